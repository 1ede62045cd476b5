// The evaluation scorecard view (anywidget front end).
// Python side: axis_jupyter/views/scorecard.py (actions payload, cases, case_tree).
import "../lib/ui.css";
import "./scorecard.css";
import { createTransport, viewCalls } from "../lib/transport.js";
import {
  h, clear, kpiCard, typePill, sparkline, pagedTable,
  scoreColor, fmtScore, fmtPct, fmtInt,
} from "../lib/ui.js";
import { renderTree } from "../lib/tree.js";
import { renderVegaLite } from "../lib/vega.js";

const EXP = "evaluation_name";
const PAGE_SIZE = 10;

function render({ model, el }) {
  const transport = createTransport(model);
  const params0 = model.get("params") || {};
  const ui0 = params0.ui || {};
  const state = {
    payload: null,
    filters: { ...(params0.filters || {}) },
    threshold: params0.threshold,
    collapsed: new Set(ui0.collapsed || []),
    sort: ui0.sort || { key: null, dir: -1 },
    tab: ui0.tab || "table",
    treeMode: "aggregated",
    treeCollapsed: new Set(),
    caseTree: null,
    caseId: null,
    drill: null,
    seq: 0,
    renders: 0,
    chart: null,
  };

  const root = h("div", { class: "axis-view axis-scorecard", "data-testid": "axis-scorecard" });
  const header = h("div", { class: "axis-header" });
  const kpis = h("div", { class: "axis-kpis" });
  const bar = h("div", { class: "axis-bar", "data-testid": "report-bar" });
  const errorBox = h("div", { class: "axis-error", hidden: true, "data-testid": "error" });
  const tabs = h("div", { class: "axis-tabs" });
  const body = h("div", { class: "axis-body" });
  const chartBox = h("div", { class: "axis-chart", "data-testid": "chart" });
  const status = h("div", { class: "axis-status", "data-testid": "status" });
  const overlay = h("div", { class: "axis-overlay", hidden: true, "data-testid": "drilldown" });
  root.append(header, errorBox, kpis, bar, tabs, body, chartBox, status, overlay);
  el.append(root);

  // ---------------------------------------------------------------- calls
  // The status line adds the payload's query time; the data attributes carry its timing.
  const { call, showError } = viewCalls(transport, {
    root, status, errorBox,
    note: (last, out) => {
      const t = out?.timing;
      if (last.action !== "payload" || !t) return "";
      root.dataset.queryMs = String(t.query_ms);
      root.dataset.serverMs = String(t.total_ms);
      root.dataset.duckdbMs = String(t.duckdb_ms ?? "");
      return ` (query ${t.query_ms.toFixed(0)} ms)`;
    },
  });

  function saveParams() {
    const ui = { collapsed: [...state.collapsed], sort: state.sort, tab: state.tab };
    const p = { ...(model.get("params") || {}), filters: state.filters, ui };
    if (state.threshold !== undefined && state.threshold !== null) p.threshold = state.threshold;
    model.set("params", p);
    model.save_changes();
  }

  async function update(t0 = performance.now()) {
    const my = ++state.seq;
    root.classList.add("axis-busy");
    try {
      const params = { filters: state.filters };
      if (state.threshold !== undefined && state.threshold !== null) params.threshold = state.threshold;
      const payload = await call("payload", params);
      if (my !== state.seq) return; // a newer request superseded this one
      showError(null);
      await show(payload);
      model.set("snapshot", payload);
      model.save_changes();
      await new Promise((r) => requestAnimationFrame(() => r()));
      root.dataset.updateMs = (performance.now() - t0).toFixed(1);
      if (state.tab === "tree" && state.treeMode === "individual") loadCaseTree(state.caseId);
    } catch (err) {
      if (my === state.seq) showError(err);
    } finally {
      if (my === state.seq) root.classList.remove("axis-busy");
    }
  }

  // ---------------------------------------------------------------- rendering
  async function show(payload) {
    state.payload = payload;
    renderHeader();
    renderKpis();
    renderBody();
    await renderChart();
    state.renders += 1;
    root.dataset.renderSeq = String(state.renders);
  }

  function renderHeader() {
    const p = state.payload;
    const exps = p.experiments || {};
    clear(header);
    header.append(h("div", { class: "axis-title" }, "Scorecard ", h("span", { class: "axis-muted" }, p.dataset)));
    if (exps.column && (exps.values || []).length) {
      const current = state.filters[EXP];
      const sel = h(
        "select",
        {
          class: "axis-select",
          "data-testid": "experiment",
          "aria-label": "Experiment",
          onchange: (e) => {
            const t0 = performance.now();
            const v = e.target.value;
            state.filters = { ...state.filters };
            if (v) state.filters[EXP] = v;
            else delete state.filters[EXP];
            saveParams();
            update(t0);
          },
        },
        h("option", { value: "" }, "All experiments"),
        exps.values.map((v) => h("option", { value: v, selected: current === v }, v)),
      );
      header.append(h("label", { class: "axis-filter" }, "Experiment ", sel));
    }
  }

  function renderKpis() {
    const k = state.payload.kpis || {};
    clear(kpis);
    kpis.append(
      kpiCard({ label: "Overall Weighted Score", value: k.overall_score, text: fmtScore(k.overall_score),
        color: scoreColor(k.overall_score), testid: "kpi-overall", sub: "weighted mean of root nodes" }),
      kpiCard({ label: "Score Variance", value: k.score_variance, text: fmtScore(k.score_variance),
        testid: "kpi-variance", sub: "consistency measure" }),
      kpiCard({ label: "Test Cases", value: k.test_cases, text: fmtInt(k.test_cases), testid: "kpi-cases" }),
      kpiCard({ label: "Metrics", value: k.metrics, text: fmtInt(k.metrics), testid: "kpi-metrics" }),
      kpiCard({ label: "Components", value: k.components, text: fmtInt(k.components), testid: "kpi-components" }),
    );
    clear(bar);
    bar.append(
      `${fmtInt(k.metrics)} metrics · ${fmtInt(k.components)} components · ${fmtInt(k.test_cases)} test cases · `,
      h("span", { class: "axis-low" }, `${k.low ?? 0} low`),
      " / ",
      h("span", { class: "axis-high" }, `${k.high ?? 0} high`),
      h("span", { class: "axis-muted" }, ` (threshold ${state.payload.threshold})`),
    );
  }

  function renderTabs() {
    clear(tabs);
    for (const [id, label] of [["table", "Hierarchy"], ["tree", "Metric tree"]]) {
      tabs.append(
        h("button", {
          class: `axis-tab ${state.tab === id ? "active" : ""}`,
          "data-testid": `tab-${id}`,
          onclick: () => {
            state.tab = id;
            saveParams();
            renderBody();
          },
        }, label),
      );
    }
  }

  function renderBody() {
    renderTabs();
    clear(body);
    if (state.tab === "tree") renderTreeTab();
    else renderTable();
  }

  // -- hierarchy table
  function visibleRows() {
    const rows = state.payload.rows || [];
    const byName = new Map(rows.map((r) => [r.name, r]));
    const { key, dir } = state.sort;
    const sortKids = (names) => {
      const list = names.map((n) => byName.get(n)).filter(Boolean);
      if (!key) return list;
      const val = (r) => (key === "name" ? r.name.toLowerCase() : key === "score" ? r.mean ?? -1 : r.weight);
      return list.sort((a, b) => (val(a) < val(b) ? -dir : val(a) > val(b) ? dir : 0));
    };
    const out = [];
    const visit = (r) => {
      out.push(r);
      if (!state.collapsed.has(r.name)) sortKids(r.children || []).forEach(visit);
    };
    sortKids(rows.filter((r) => r.level === 1).map((r) => r.name)).forEach(visit);
    return out;
  }

  function sortHeader(label, key) {
    const active = state.sort.key === key;
    const arrow = active ? (state.sort.dir > 0 ? " ▲" : " ▼") : "";
    return h("th", {
      class: "axis-sortable",
      "data-testid": `sort-${key}`,
      onclick: () => {
        state.sort = active ? { key, dir: -state.sort.dir } : { key, dir: key === "name" ? 1 : -1 };
        saveParams();
        renderBody();
      },
    }, label + arrow);
  }

  function renderTable() {
    const rows = state.payload.rows || [];
    const k = state.payload.kpis || {};
    const parents = rows.filter((r) => (r.children || []).length);
    const allOpen = parents.every((r) => !state.collapsed.has(r.name));
    body.append(
      h("div", { class: "axis-strip" },
        h("span", {}, `${fmtInt(k.metrics)} metrics • ${fmtInt(k.components)} components`),
        h("button", {
          class: "axis-btn", "data-testid": "expand-all",
          onclick: () => {
            if (allOpen) parents.forEach((r) => state.collapsed.add(r.name));
            else state.collapsed.clear();
            saveParams();
            renderBody();
          },
        }, allOpen ? "Collapse All" : "Expand All")),
    );
    const tbody = h("tbody");
    for (const r of visibleRows()) {
      const hasKids = (r.children || []).length > 0;
      const open = !state.collapsed.has(r.name);
      const chevron = h("span", {
        class: "axis-chevron", "data-testid": "toggle",
        onclick: (e) => {
          e.stopPropagation();
          if (!hasKids) return;
          if (open) state.collapsed.add(r.name);
          else state.collapsed.delete(r.name);
          saveParams();
          renderBody();
        },
      }, hasKids ? (open ? "▾" : "▸") : "");
      const range = r.count > 1 && r.min !== null
        ? h("span", { class: "axis-muted" }, ` (${fmtScore(r.min, 2)} - ${fmtScore(r.max, 2)})`) : null;
      tbody.append(
        h("tr", {
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
        h("td", { class: "axis-num axis-muted" }, fmtInt(r.count))),
      );
    }
    body.append(
      h("table", { class: "axis-table axis-hierarchy", "data-testid": "hierarchy" },
        h("thead", {}, h("tr", {},
          sortHeader("Hierarchy", "name"), h("th", {}, "Type"), sortHeader("Score", "score"),
          h("th", {}, "Pass rate"), sortHeader("Weight", "weight"), h("th", {}, "Norm. Weight"),
          h("th", {}, "Distribution"), h("th", {}, "Scores"))),
        tbody),
    );
  }

  // -- drill-down
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
    overlay.hidden = true;
    clear(overlay);
  }

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
    if (error) panel.append(h("div", { class: "axis-error" }, String(error.message || error)));
    if (data) {
      panel.append(pagedTable({
        testid: "cases",
        columns: [
          { key: "dataset_id", label: "ID", format: (v) => h("span", { title: v, class: "axis-id" }, String(v ?? "—").slice(0, 14)) },
          ...(data.rows.some((r) => r.evaluation_name !== undefined)
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
  overlay.addEventListener("click", (e) => {
    if (e.target === overlay) closeDrill();
  });
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeDrill();
  });

  // -- tree
  function renderTreeTab() {
    const controls = h("div", { class: "axis-strip" },
      h("div", { class: "axis-seg" },
        ["aggregated", "individual"].map((m) => h("button", {
          class: `axis-btn ${state.treeMode === m ? "active" : ""}`, "data-testid": `tree-${m}`,
          onclick: () => {
            state.treeMode = m;
            renderBody();
            if (m === "individual" && !state.caseTree) loadCaseTree(null);
          },
        }, m === "aggregated" ? "Aggregated" : "Individual"))),
    );
    if (state.treeMode === "individual" && state.caseTree) {
      const ids = state.caseTree.case_ids || [];
      controls.append(h("label", { class: "axis-filter" }, "Test case ",
        h("select", {
          class: "axis-select", "data-testid": "case-select",
          onchange: (e) => loadCaseTree(e.target.value),
        }, ids.map((id) => h("option", { value: id, selected: id === state.caseTree.dataset_id }, id)))));
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
        if (state.treeCollapsed.has(path)) state.treeCollapsed.delete(path);
        else state.treeCollapsed.add(path);
        renderBody();
      },
      onLeaf: (node) => showDetail(detail, node),
    }));
  }

  function showDetail(box, node) {
    clear(box);
    box.hidden = false;
    const row = (state.payload.rows || []).find((r) => r.name === node.name);
    box.append(h("div", { class: "axis-modal-head" },
      h("div", { class: "axis-title" }, node.name, " ",
        h("span", { style: { color: scoreColor(node.score) } }, fmtScore(node.score))),
      h("button", { class: "axis-btn", onclick: () => { box.hidden = true; } }, "✕")));
    box.append(h("div", { class: "axis-muted" }, `Weight ${node.weight ?? "—"} · ${fmtPct(node.norm_weight)} of siblings`));
    if (state.treeMode === "aggregated" && row) {
      box.append(h("div", { class: "axis-kpis small" },
        kpiCard({ label: "Sample size", value: row.count, text: fmtInt(row.count) }),
        kpiCard({ label: "Mean", value: row.mean, text: fmtScore(row.mean) }),
        kpiCard({ label: "Std dev", value: row.std, text: fmtScore(row.std) }),
        kpiCard({ label: "Min – max", value: "", text: `${fmtScore(row.min, 2)} – ${fmtScore(row.max, 2)}` })));
      box.append(sparkline(row.hist, row.mean, { width: 240, height: 48 }));
      box.append(h("div", {}, h("button", { class: "axis-btn", onclick: () => openDrill(node.name) }, "Show test cases")));
    } else {
      if (node.explanation) box.append(h("div", { class: "axis-explanation" }, h("b", {}, "Explanation"), h("div", {}, node.explanation)));
      if (node.signals) box.append(signalsView(node.signals));
    }
  }

  function signalsView(signals) {
    const wrap = h("div", { class: "axis-signals" }, h("b", {}, "Signals"));
    if (typeof signals !== "object") {
      wrap.append(h("div", {}, String(signals)));
      return wrap;
    }
    const groups = Array.isArray(signals) ? { overall: signals } : signals;
    const order = Object.keys(groups).sort((a, b) => (a === "overall" ? -1 : b === "overall" ? 1 : a.localeCompare(b, undefined, { numeric: true })));
    for (const g of order) {
      const items = Array.isArray(groups[g]) ? groups[g] : [groups[g]];
      wrap.append(h("div", { class: "axis-muted" }, `${g.toUpperCase()} (${items.length})`));
      for (const it of items) {
        if (it && typeof it === "object" && "name" in it) {
          const v = typeof it.value === "boolean" ? (it.value ? "Yes" : "No") : JSON.stringify(it.value);
          wrap.append(h("div", { class: "axis-signal" }, h("span", {}, it.name), h("span", {}, v)));
        } else wrap.append(h("div", { class: "axis-signal" }, JSON.stringify(it)));
      }
    }
    return wrap;
  }

  async function loadCaseTree(caseId) {
    try {
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

  // -- chart (Vega-Lite spec built with Altair in Python)
  async function renderChart() {
    const spec = state.payload.chart;
    if (state.chart && spec) {
      try {
        if (await state.chart.update(spec)) return; // same chart, new numbers: no re-parse
      } catch (err) {
        console.warn("AXIS: chart update failed, re-rendering", err);
      }
    }
    if (state.chart) {
      state.chart.finalize();
      state.chart = null;
    }
    clear(chartBox);
    chartBox.hidden = !spec;
    if (!spec) return;
    const field = spec.usermeta?.axis?.click;
    try {
      state.chart = await renderVegaLite(chartBox, spec, {
        onClick: (datum) => {
          if (!field || datum[field] === undefined) return;
          const t0 = performance.now();
          const v = String(datum[field]);
          state.filters = { ...state.filters };
          if (state.filters[EXP] === v) delete state.filters[EXP];
          else state.filters[EXP] = v;
          saveParams();
          renderHeader();
          update(t0);
        },
      });
    } catch (err) {
      chartBox.append(h("div", { class: "axis-muted" }, `chart unavailable: ${err.message || err}`));
    }
  }

  // ---------------------------------------------------------------- start
  const snap = model.get("snapshot");
  const onSnapshot = () => {
    const s = model.get("snapshot");
    if (s && s !== state.payload && Object.keys(s).length) {
      state.filters = { ...(s.filters || {}) };
      show(s);
    }
  };
  model.on("change:snapshot", onSnapshot);
  if (snap && Object.keys(snap).length) {
    show(snap).then(() => {
      root.dataset.updateMs = "0";
    });
  } else {
    update();
  }
  // decide the transport early (a health probe) so the first click is fast
  transport.decide().then((m) => {
    root.dataset.transport = m;
  });

  return () => {
    model.off("change:snapshot", onSnapshot);
    transport.dispose();
    if (state.chart) state.chart.finalize();
  };
}

export default { render };
