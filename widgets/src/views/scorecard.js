// The evaluation scorecard view (anywidget front end).
// Python side: axis_jupyter/views/scorecard.py (actions payload, cases, case_tree).
// Header with the experiment filter, KPI cards, the report bar, a hierarchy table or a
// metric tree, the experiments chart (a click filters), and a drill-down of test cases.
import "../lib/ui.css";
import "./scorecard.css";
import { h, clear, nextFrame } from "../lib/dom.js";
import { scoreColor, fmtScore, fmtPct, fmtInt } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot, saveParams as mergeParams } from "../lib/shell.js";
import { experimentFilter, segmented, tabButtons, labelledSelect, optionsOf } from "../lib/controls.js";
import { kpiCard, metricStatsRow } from "../lib/kpi.js";
import { pagedTable, sortArrow, nextSort } from "../lib/table.js";
import { typePill } from "../lib/badges.js";
import { sparkline } from "../lib/spark.js";
import { renderTree, toggleIn } from "../lib/tree.js";
import { keptChart } from "../lib/charts.js";
import { overlayBox, dismissable, closeOverlay } from "../lib/overlay.js";
import { visibleHierarchy } from "../lib/hierarchy.js";
import { signalListView } from "../lib/signals.js";
import { errorText } from "../lib/transport.js";

const EXP = "evaluation_name";
const PAGE_SIZE = 10;

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} ctx */
function render({ model, el }) {
  const params0 = model.get("params") || {};
  const ui0 = params0.ui || {};
  const state = {
    /** @type {any} */ payload: null,
    /** @type {Record<string, any>} */ filters: { ...(params0.filters || {}) },
    threshold: params0.threshold,
    /** @type {Set<string>} */ collapsed: new Set(ui0.collapsed || []),
    /** @type {{key: string | null, dir: number}} */ sort: ui0.sort || { key: null, dir: -1 },
    tab: ui0.tab || "table",
    treeMode: "aggregated",
    /** @type {Set<string>} */ treeCollapsed: new Set(),
    /** @type {any} */ caseTree: null,
    /** @type {string | null} */ caseId: null,
    /** @type {{metric: string, page: number, data: any, error?: unknown} | null} */ drill: null,
    renders: 0,
  };

  // The status line adds the payload's query time; the data attributes carry its timing.
  const shell = createShell(model, el, {
    cls: "axis-scorecard", testid: "axis-scorecard",
    note: (last, out) => {
      const t = out?.timing;
      if (last.action !== "payload" || !t) return "";
      root.dataset.queryMs = String(t.query_ms);
      root.dataset.serverMs = String(t.total_ms);
      root.dataset.duckdbMs = String(t.duckdb_ms ?? "");
      return ` (query ${t.query_ms.toFixed(0)} ms)`;
    },
  });
  const { root, call, showError } = shell;
  const header = h("div", { class: "axis-header" });
  const kpis = h("div", { class: "axis-kpis" });
  const bar = h("div", { class: "axis-bar", "data-testid": "report-bar" });
  const tabs = h("div", { class: "axis-tabs" });
  const body = h("div", { class: "axis-body" });
  const chart = keptChart(h("div", { class: "axis-chart", "data-testid": "chart" }), { hideWhenEmpty: true, onClick: filterByBar });
  const overlay = overlayBox("drilldown");
  root.append(header, shell.errorBox, kpis, bar, tabs, body, chart.box, shell.status, overlay);

  function saveParams() {
    const ui = { collapsed: [...state.collapsed], sort: state.sort, tab: state.tab };
    /** @type {Record<string, any>} */
    const p = { filters: state.filters, ui };
    if (state.threshold !== undefined && state.threshold !== null) p.threshold = state.threshold;
    mergeParams(model, p);
  }

  /** @param {string | null} v the experiment to show, or null for all */
  function setExperiment(v) {
    state.filters = { ...state.filters };
    if (v) state.filters[EXP] = v;
    else delete state.filters[EXP];
    saveParams();
  }

  function update(t0 = performance.now()) {
    /** @type {Record<string, any>} */
    const params = { filters: state.filters };
    if (state.threshold !== undefined && state.threshold !== null) params.threshold = state.threshold;
    return shell.refresh("payload", params, async (payload) => {
      await show(payload);
      saveSnapshot(model, payload);
      await nextFrame();
      root.dataset.updateMs = (performance.now() - t0).toFixed(1);
      if (state.tab === "tree" && state.treeMode === "individual") loadCaseTree(state.caseId);
    });
  }

  /** @param {any} payload */
  async function show(payload) {
    state.payload = payload;
    renderHeader();
    renderKpis();
    renderBody();
    await chart.show(payload.chart);
    state.renders += 1;
    root.dataset.renderSeq = String(state.renders);
  }

  // A click on a bar of the experiments chart filters to that experiment (again: all).
  /** @param {any} datum @param {any} spec */
  function filterByBar(datum, spec) {
    const field = spec.usermeta?.axis?.click;
    if (!field || datum[field] === undefined) return;
    const t0 = performance.now();
    const v = String(datum[field]);
    setExperiment(state.filters[EXP] === v ? null : v);
    renderHeader();
    update(t0);
  }

  function renderHeader() {
    const p = state.payload;
    const exps = p.experiments || {};
    clear(header).append(h("div", { class: "axis-title" }, "Scorecard ", h("span", { class: "axis-muted" }, p.dataset)));
    if (exps.column && (exps.values || []).length) {
      header.append(experimentFilter(exps.values, state.filters[EXP], (v) => {
        const t0 = performance.now();
        setExperiment(v);
        update(t0);
      }));
    }
  }

  function renderKpis() {
    const k = state.payload.kpis || {};
    clear(kpis).append(
      kpiCard({ label: "Overall Weighted Score", value: k.overall_score, text: fmtScore(k.overall_score),
        color: scoreColor(k.overall_score), testid: "kpi-overall", sub: "weighted mean of root nodes" }),
      kpiCard({ label: "Score Variance", value: k.score_variance, text: fmtScore(k.score_variance),
        testid: "kpi-variance", sub: "consistency measure" }),
      kpiCard({ label: "Test Cases", value: k.test_cases, text: fmtInt(k.test_cases), testid: "kpi-cases" }),
      kpiCard({ label: "Metrics", value: k.metrics, text: fmtInt(k.metrics), testid: "kpi-metrics" }),
      kpiCard({ label: "Components", value: k.components, text: fmtInt(k.components), testid: "kpi-components" }),
    );
    clear(bar).append(
      `${fmtInt(k.metrics)} metrics · ${fmtInt(k.components)} components · ${fmtInt(k.test_cases)} test cases · `,
      h("span", { class: "axis-low" }, `${k.low ?? 0} low`),
      " / ",
      h("span", { class: "axis-high" }, `${k.high ?? 0} high`),
      h("span", { class: "axis-muted" }, ` (threshold ${state.payload.threshold})`),
    );
  }

  function renderBody() {
    clear(tabs).append(...tabButtons([["table", "Hierarchy"], ["tree", "Metric tree"]], state.tab, (id) => {
      state.tab = id;
      saveParams();
      renderBody();
    }));
    clear(body);
    if (state.tab === "tree") renderTreeTab();
    else renderTable();
  }

  /** A change of the table's sorting or folding: kept in params, drawn at once. @param {() => void} fn */
  const changeTable = (fn) => {
    fn();
    saveParams();
    renderBody();
  };

  // -- hierarchy table
  /** @param {string} label @param {string} key */
  function sortHeader(label, key) {
    return h("th", {
      class: "axis-sortable", "data-testid": `sort-${key}`,
      onclick: () => changeTable(() => { state.sort = nextSort(state.sort, key, key === "name" ? 1 : -1); }),
    }, label + sortArrow(state.sort, key));
  }

  function renderTable() {
    const rows = state.payload.rows || [];
    const k = state.payload.kpis || {};
    const parents = rows.filter((/** @type {any} */ r) => (r.children || []).length);
    const allOpen = parents.every((/** @type {any} */ r) => !state.collapsed.has(r.name));
    body.append(h("div", { class: "axis-strip" },
      h("span", {}, `${fmtInt(k.metrics)} metrics • ${fmtInt(k.components)} components`),
      h("button", {
        class: "axis-btn", "data-testid": "expand-all",
        onclick: () => changeTable(() => {
          if (allOpen) parents.forEach((/** @type {any} */ r) => state.collapsed.add(r.name));
          else state.collapsed.clear();
        }),
      }, allOpen ? "Collapse All" : "Expand All")));
    body.append(h("table", { class: "axis-table axis-hierarchy", "data-testid": "hierarchy" },
      h("thead", {}, h("tr", {},
        sortHeader("Hierarchy", "name"), h("th", {}, "Type"), sortHeader("Score", "score"),
        h("th", {}, "Pass rate"), sortHeader("Weight", "weight"), h("th", {}, "Norm. Weight"),
        h("th", {}, "Distribution"), h("th", {}, "Scores"))),
      h("tbody", {}, visibleHierarchy(rows, state.collapsed, state.sort).map(hierarchyRow))));
  }

  /** @param {any} r */
  function hierarchyRow(r) {
    const hasKids = (r.children || []).length > 0;
    const open = !state.collapsed.has(r.name);
    const chevron = h("span", {
      class: "axis-chevron", "data-testid": "toggle",
      onclick: (/** @type {Event} */ e) => {
        e.stopPropagation();
        if (hasKids) changeTable(() => toggleIn(state.collapsed, r.name));
      },
    }, hasKids ? (open ? "▾" : "▸") : "");
    const range = r.count > 1 && r.min !== null
      ? h("span", { class: "axis-muted" }, ` (${fmtScore(r.min, 2)} - ${fmtScore(r.max, 2)})`) : null;
    return h("tr", {
      class: "axis-row", "data-testid": "row", "data-name": r.name, "data-level": r.level,
      "data-mean": r.mean ?? "", "data-count": r.count,
      onclick: () => openDrill(r.name),
      title: "Click to see the test cases",
    },
    h("td", { class: "axis-name", style: { paddingLeft: `${(r.level - 1) * 24 + 4}px` } },
      chevron, h("span", { class: `axis-icon axis-icon-${r.type}` }), r.name),
    h("td", {}, typePill(r.type)),
    h("td", { class: "axis-num" }, h("span", { style: { color: scoreColor(r.mean), fontWeight: 600 } }, fmtScore(r.mean)), range),
    h("td", { class: "axis-num" }, fmtPct(r.pass_rate)),
    h("td", { class: "axis-num" }, Number(r.weight).toFixed(2)),
    h("td", { class: "axis-num" }, fmtPct(r.norm_weight)),
    h("td", {}, sparkline(r.hist, r.mean)),
    h("td", { class: "axis-num axis-muted" }, fmtInt(r.count)));
  }

  // -- drill-down: the test cases of one metric, paged by the server
  /** @param {string} metric @param {number} [page] */
  async function openDrill(metric, page = 1) {
    state.drill = { metric, page, data: null };
    renderDrill();
    try {
      const data = await call("cases", {
        metric, page, page_size: PAGE_SIZE, sort: "score_desc", filters: state.filters,
      });
      if (!state.drill || state.drill.metric !== metric) return;
      state.drill.data = data;
      renderDrill();
    } catch (err) {
      if (state.drill) state.drill.error = err;
      renderDrill();
    }
  }

  function closeDrill() {
    state.drill = null;
    closeOverlay(overlay);
  }
  dismissable(overlay, root, closeDrill);

  function renderDrill() {
    clear(overlay);
    if (!state.drill) {
      overlay.hidden = true;
      return;
    }
    overlay.hidden = false;
    const { metric, data, error } = state.drill;
    const panel = h("div", { class: "axis-modal", role: "dialog" },
      h("div", { class: "axis-modal-head" },
        h("div", {}, h("div", { class: "axis-title" }, metric),
          h("div", { class: "axis-muted", "data-testid": "cases-total", "data-value": data ? data.total : "" },
            data ? `${fmtInt(data.total)} test cases with this metric` : "Loading…")),
        h("button", { class: "axis-btn", "data-testid": "close", onclick: closeDrill }, "✕")),
    );
    if (error) panel.append(h("div", { class: "axis-error" }, errorText(error)));
    if (data) {
      panel.append(pagedTable({
        testid: "cases",
        columns: [
          { key: "dataset_id", label: "ID", format: (v) => h("span", { title: v, class: "axis-id" }, String(v ?? "—").slice(0, 14)) },
          ...(data.rows.some((/** @type {any} */ r) => r.evaluation_name !== undefined)
            ? [{ key: "evaluation_name", label: "Experiment" }] : []),
          { key: "query", label: "Query", class: "axis-wrap" },
          { key: "metric_score", label: "Score", class: "axis-num",
            format: (v) => h("span", { style: { color: scoreColor(v), fontWeight: 600 } }, fmtScore(v)) },
          { key: "explanation", label: "Explanation", class: "axis-wrap" },
        ],
        rows: data.rows, total: data.total, page: data.page, pageSize: data.page_size,
        onPage: (p) => openDrill(metric, p),
      }));
    }
    overlay.append(panel);
  }

  // -- metric tree: aggregated, or one test case's scores
  function renderTreeTab() {
    const controls = h("div", { class: "axis-strip" },
      segmented([["aggregated", "Aggregated"], ["individual", "Individual"]], state.treeMode, (m) => {
        state.treeMode = m;
        renderBody();
        if (m === "individual" && !state.caseTree) loadCaseTree(null);
      }, (m) => `tree-${m}`));
    if (state.treeMode === "individual" && state.caseTree) {
      controls.append(labelledSelect({
        label: "Test case ", testid: "case-select", options: optionsOf(state.caseTree.case_ids || []),
        value: state.caseTree.dataset_id, onchange: (v) => loadCaseTree(v),
      }));
    }
    controls.append(h("span", { class: "axis-muted" }, "Click a parent to collapse it, a leaf for details."));
    body.append(controls);
    const treeBox = h("div", { class: "axis-tree-box" });
    const detail = h("div", { class: "axis-detail", hidden: true, "data-testid": "tree-detail" });
    body.append(h("div", { class: "axis-tree-wrap" }, treeBox, detail));
    const data = state.treeMode === "individual" ? state.caseTree?.tree : state.payload.tree;
    if (!data) {
      treeBox.append(h("div", { class: "axis-muted" }, state.treeMode === "individual" ? "Loading…" : "No hierarchy."));
      return;
    }
    // wait for layout so the tree can use the available width
    requestAnimationFrame(() => renderTree(treeBox, data, {
      collapsed: state.treeCollapsed,
      onToggle: (path) => {
        toggleIn(state.treeCollapsed, path);
        renderBody();
      },
      onLeaf: (node) => showDetail(detail, node),
    }));
  }

  /** @param {HTMLElement} box @param {any} node */
  function showDetail(box, node) {
    clear(box);
    box.hidden = false;
    const row = (state.payload.rows || []).find((/** @type {any} */ r) => r.name === node.name);
    box.append(h("div", { class: "axis-modal-head" },
      h("div", { class: "axis-title" }, node.name, " ",
        h("span", { style: { color: scoreColor(node.score) } }, fmtScore(node.score))),
      h("button", { class: "axis-btn", onclick: () => { box.hidden = true; } }, "✕")));
    box.append(h("div", { class: "axis-muted" }, `Weight ${node.weight ?? "—"} · ${fmtPct(node.norm_weight)} of siblings`));
    if (state.treeMode === "aggregated" && row) {
      box.append(metricStatsRow(row));
      box.append(sparkline(row.hist, row.mean, { width: 240, height: 48 }));
      box.append(h("div", {}, h("button", { class: "axis-btn", onclick: () => openDrill(node.name) }, "Show test cases")));
    } else {
      if (node.explanation) box.append(h("div", { class: "axis-explanation" }, h("b", {}, "Explanation"), h("div", {}, node.explanation)));
      if (node.signals) box.append(signalListView(node.signals));
    }
  }

  /** @param {string | null} caseId */
  async function loadCaseTree(caseId) {
    try {
      /** @type {Record<string, any>} */
      const params = { filters: state.filters };
      if (caseId) params.dataset_id = caseId;
      const data = await call("case_tree", params);
      state.caseTree = data;
      state.caseId = data.dataset_id;
      if (state.tab === "tree" && state.treeMode === "individual") renderBody();
    } catch (err) {
      showError(err);
    }
  }

  // ---------------------------------------------------------------- start
  const onSnapshot = () => {
    const s = model.get("snapshot");
    if (s && s !== state.payload && Object.keys(s).length) {
      state.filters = { ...(s.filters || {}) };
      show(s);
    }
  };
  model.on("change:snapshot", onSnapshot);
  const snap = snapshotOf(model);
  if (snap) {
    show(snap).then(() => {
      root.dataset.updateMs = "0";
    });
  } else {
    update();
  }
  shell.announceTransport();

  return () => {
    model.off("change:snapshot", onSnapshot);
    shell.transport.dispose();
    chart.finalize();
  };
}

export default { render };
