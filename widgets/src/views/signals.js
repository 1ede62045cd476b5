// The human-signals dashboard (anywidget front end).
// Python side: axis_jupyter/payloads/signals.py (actions payload, cases, case, trend,
// kpi_trend, filter_options). Parts: the shared filter bar (lib/filterbar.js: a multi-select
// per source field and signal, the time presets as its window, the active values as chips,
// "Copy as code" giving ds.signal_kpis(...) for the KPI strip), the KPI strip
// (signals/kpis.js), the trend of a chosen signal, chart sections (signals/sections.js), the
// case table (signals/cases.js) and one case (signals/detail.js).
import "../lib/ui.css";
import "./signals.css";
import { h, clear } from "../lib/dom.js";
import { fmtInt } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot, saveParams } from "../lib/shell.js";
import { select } from "../lib/controls.js";
import { ChartSet } from "../lib/charts.js";
import { overlayBox, dismissable } from "../lib/overlay.js";
import { errorText } from "../lib/transport.js";
import { kpiStrip, showKpiTrend } from "./signals/kpis.js";
import { filterBar } from "../lib/filterbar.js";
import { chartSections } from "./signals/sections.js";
import { caseTable } from "./signals/cases.js";
import { openCase } from "./signals/detail.js";
import { cycleSort, presetRange, TIME_PRESETS } from "./signals/logic.js";

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const p0 = model.get("params") || {};
  const state = {
    /** @type {Record<string, any>} */ filters: { ...(p0.filters || {}) },
    preset: p0.preset || "all",
    /** @type {string | null} */ trend: p0.trend || null,
    /** @type {string | null} */ kpi: null,
    sort: { key: /** @type {string | null} */ (null), descending: false },
    page: 1, pageSize: p0.page_size || 25,
    /** @type {string[] | null} */ columns: null,
    /** @type {any} */ payload: null,
  };
  const shell = createShell(model, el, { cls: "axis-signals", testid: "axis-signals" });
  const { root, call } = shell;
  const header = h("div", { class: "axis-header" });
  const body = h("div", { class: "axis-body" });
  const overlay = overlayBox("case-overlay");
  dismissable(overlay, root, () => { overlay.hidden = true; clear(overlay); });
  const filters = filterBar({
    call, branding: shell.branding, get: () => state.filters,
    onchange: (f) => { state.filters = f; state.page = 1; update(); },
    // a preset is a time_range ending with the newest case; its chip is the bar's time chip
    window: {
      presets: TIME_PRESETS.map(([id, label]) => /** @type {[string, string]} */ ([id, label])), initial: "all",
      get: () => state.preset,
      set: (id, f) => {
        const next = { ...(f || state.filters) };
        const range = presetRange(id, state.payload?.newest);
        if (range) next.time_range = range;
        else delete next.time_range;
        state.filters = next;
        state.preset = id;
        state.page = 1;
        update();
      },
      chip: (id) => {
        const r = presetRange(id, state.payload?.newest);
        const label = (TIME_PRESETS.find((x) => x[0] === id) || [id, id])[1];
        return r ? `${label} (${r[0]} – ${r[1]})` : null;
      },
    },
    code: () => ({ analytic: "signal_kpis", filters: state.filters }),
  });
  root.append(header, filters.el, shell.errorBox, body, shell.status, overlay);
  const charts = new ChartSet();
  /** @type {HTMLElement | null} */ let tableBox = null;
  /** @type {HTMLElement | null} */ let trendBox = null;
  /** @type {HTMLElement | null} */ let kpiBox = null;

  const tableParams = () => ({ filters: state.filters, page: state.page, page_size: state.pageSize,
    sort_by: state.sort.key, descending: state.sort.descending });

  function update(t0 = performance.now()) {
    return shell.refresh("payload", { ...tableParams(), trend: state.trend }, (p) => {
      show(p);
      saveSnapshot(model, p);
      saveParams(model, { filters: state.filters, preset: state.preset, trend: state.trend, page_size: state.pageSize });
      root.dataset.updateMs = (performance.now() - t0).toFixed(1);
    });
  }

  /** @param {any} p */
  function show(p) {
    state.payload = p;
    charts.reset();
    if (!state.columns) state.columns = p.table.defaults;
    clear(header).append(h("div", { class: "axis-title" }, "Human Signals"),
      h("span", { class: "axis-muted", "data-testid": "hs-total" }, `${fmtInt(p.total)} cases · ${p.dataset}`));
    kpiBox = h("div", { class: "axis-hs-kpi-trend", hidden: true, "data-testid": "kpi-trend" });
    trendBox = h("div", { class: "axis-hs-trend", "data-testid": "signal-trend" });
    tableBox = h("div", {});
    filters.load();
    filters.render();
    clear(body).append(
      kpiStrip(p.kpis, { selected: state.kpi, onpick: toggleKpi }), kpiBox,
      trendSection(p), ...chartSections(p.sections, p.charts || {}, (spec, testid) => charts.box(spec, testid)),
      tableBox);
    drawTable(p.table);
    if (state.kpi) loadKpiTrend(state.kpi);
    root.dataset.renderSeq = String((Number(root.dataset.renderSeq) || 0) + 1);
  }

  // ---------------------------------------------------------------- KPI trend
  /** @param {string} key */
  function toggleKpi(key) {
    state.kpi = state.kpi === key ? null : key;
    for (const c of body.querySelectorAll(".axis-hs-kpis .axis-kpi")) {
      c.classList.toggle("selected", /** @type {HTMLElement} */ (c).dataset.testid === `kpi-${state.kpi}`);
    }
    if (state.kpi) loadKpiTrend(state.kpi);
    else if (kpiBox) { kpiBox.hidden = true; clear(kpiBox); }
  }

  /** @param {string} key */
  async function loadKpiTrend(key) {
    const box = kpiBox;
    if (!box) return;
    try {
      const r = await call("kpi_trend", { key, filters: state.filters });
      if (box !== kpiBox || state.kpi !== key) return;
      await showKpiTrend(box, r, () => toggleKpi(key), (c, spec) => charts.draw(c, spec));
    } catch (err) {
      clear(box).append(h("div", { class: "axis-error" }, errorText(err)));
      box.hidden = false;
    }
  }

  // ---------------------------------------------------------------- trend of a signal
  /** @param {any} p */
  function trendSection(p) {
    const chooser = select({ testid: "trend-signal", first: ["", "Rates of the KPI strip"], options: p.trend.options,
      value: state.trend, onchange: (v) => { state.trend = v || null; loadTrend(); } });
    const box = /** @type {HTMLElement} */ (trendBox);
    const chartEl = h("div", { class: "axis-chart", "data-testid": "trend-chart" });
    clear(box).append(h("div", { class: "axis-filters" }, h("b", {}, "Signal Trends Over Time"), chooser), chartEl);
    charts.draw(chartEl, (p.charts || {}).trend);
    return box;
  }

  async function loadTrend() {
    const box = trendBox;
    if (!box) return;
    const chartEl = /** @type {HTMLElement} */ (box.querySelector("[data-testid=trend-chart]"));
    try {
      const r = await call("trend", { signal: state.trend, filters: state.filters });
      clear(chartEl);
      await charts.draw(chartEl, r.chart);
      saveParams(model, { trend: state.trend });
    } catch (err) {
      clear(chartEl).append(h("div", { class: "axis-error" }, errorText(err)));
    }
  }

  // ---------------------------------------------------------------- cases
  /** @param {any} t */
  function drawTable(t) {
    if (!tableBox) return;
    clear(tableBox).append(caseTable({
      table: t, columns: state.columns || t.defaults, colorMaps: state.payload.color_maps || {}, branding: shell.branding,
      onsort: (key) => { state.sort = cycleSort(state.sort, key); state.page = 1; loadCases(); },
      onpage: (page) => { state.page = page; loadCases(); },
      onsize: (size) => { state.pageSize = size; state.page = 1; loadCases(); },
      oncolumns: (keys) => { state.columns = keys; drawTable(t); },
      onopen: (caseId) => openCase(overlay, call, caseId),
    }));
  }

  async function loadCases() {
    try {
      const page = await call("cases", tableParams());
      const t = { ...state.payload.table, ...page }; // the page keeps the column list of the payload
      state.payload.table = t;
      drawTable(t);
      shell.showError(null);
    } catch (err) {
      shell.showError(err);
    }
  }

  const snap = snapshotOf(model);
  if (snap) show(snap);
  else update();
  shell.announceTransport();
  return () => {
    shell.transport.dispose();
    filters.dispose();
    charts.reset();
  };
}

export default { render };
