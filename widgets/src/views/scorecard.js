// The evaluation scorecard view (anywidget front end).
// Python side: axis_jupyter/payloads/scorecard.py (actions payload, cases, case_tree).
// Header with the experiment filter, KPI cards, the report bar, a hierarchy table
// (scorecard/table.js) or a metric tree (scorecard/tree.js), the experiments chart (a
// click filters), and a drill-down of a metric's test cases (scorecard/drilldown.js).
import "../lib/ui.css";
import "./scorecard.css";
import { h, clear, nextFrame } from "../lib/dom.js";
import { scoreColor, fmtScore, fmtInt } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot, saveParams as mergeParams } from "../lib/shell.js";
import { tabButtons } from "../lib/controls.js";
import { filterBar, valuesOf } from "../lib/filterbar.js";
import { kpiCard } from "../lib/kpi.js";
import { keptChart } from "../lib/charts.js";
import { hierarchyTable } from "./scorecard/table.js";
import { treeTab, loadCaseTree } from "./scorecard/tree.js";
import { drilldown } from "./scorecard/drilldown.js";
import { reportModal } from "./scorecard/report.js";

const EXP = "evaluation_name";

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
      // which data answered: the pre-aggregated summaries, the raw rows or both (issue 18)
      root.dataset.path = String(t.path ?? "");
      const via = t.path === "summary" ? ", from summaries" : t.path === "mixed" ? ", partly from summaries" : "";
      return ` (query ${t.query_ms.toFixed(0)} ms${via})`;
    },
  });
  const { root, call, showError } = shell;
  const header = h("div", { class: "axis-header" });
  const kpis = h("div", { class: "axis-kpis" });
  const bar = h("div", { class: "axis-bar", "data-testid": "report-bar" });
  const tabs = h("div", { class: "axis-tabs" });
  const body = h("div", { class: "axis-body" });
  const chart = keptChart(h("div", { class: "axis-chart", "data-testid": "chart" }), { hideWhenEmpty: true, onClick: filterByBar });
  const drill = drilldown(root, call, () => state.filters);
  // the shared filter bar: experiments, sources, any column with few values; "Copy as code"
  // gives ds.summary(...), whose per-metric means are the hierarchy's leaf rows
  const filters = filterBar({
    call, branding: shell.branding, time: true, get: () => state.filters,
    onchange: (f) => {
      state.filters = f;
      saveParams();
      update();
    },
    code: () => ({ analytic: "summary", args: { threshold: state.payload ? state.payload.threshold : state.threshold } }),
  });
  const report = reportModal(root, call);
  root.append(header, filters.el, shell.errorBox, kpis, bar, tabs, body, chart.box, shell.status, drill.overlay,
    report.overlay);

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
    if (v) state.filters[EXP] = [v];
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
      if (state.tab === "tree" && state.treeMode === "individual") loadCaseTree(ctx, state.caseId);
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
    const now = valuesOf(state.filters, EXP);
    setExperiment(now.length === 1 && now[0] === v ? null : v);
    filters.render();
    update(t0);
  }

  function renderHeader() {
    const p = state.payload;
    clear(header).append(h("div", { class: "axis-title" }, "Scorecard ", h("span", { class: "axis-muted" }, p.dataset)));
    filters.render();
  }

  function renderKpis() {
    const k = state.payload.kpis || {};
    clear(kpis).append(
      kpiCard({ label: "Overall Weighted Score", value: k.overall_score, text: fmtScore(k.overall_score),
        color: scoreColor(k.overall_score), testid: "kpi-overall", sub: "weighted mean of root nodes" }),
      kpiCard({ label: "Score std dev", value: k.score_std, text: fmtScore(k.score_std),
        testid: "kpi-std", sub: "spread of the metric means" }),
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
      h("button", { class: "axis-btn axis-report-open", "data-testid": "generate-report",
        onclick: () => report.open(null) }, "Generate Report"),
    );
  }

  function renderBody() {
    clear(tabs).append(...tabButtons([["table", "Hierarchy"], ["tree", "Metric tree"]], state.tab, (id) => {
      state.tab = id;
      saveParams();
      renderBody();
    }));
    clear(body);
    if (state.tab === "tree") treeTab(ctx);
    else hierarchyTable(ctx);
  }

  /** @type {import("./scorecard/table.js").ScorecardContext} */
  const ctx = { state, body, call, showError, saveParams, renderBody, openDrill: (metric) => drill.open(metric),
    openReport: (node) => report.open(node) };

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
  filters.load();

  return () => {
    model.off("change:snapshot", onSnapshot);
    filters.dispose();
    shell.transport.dispose();
    chart.finalize();
  };
}

export default { render };
