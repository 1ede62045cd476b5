// The production monitor view (anywidget front end).
// Python side: axis_jupyter/payloads/monitor.py (actions payload, traces, failing, trace,
// classification, insights, alerts). Every number shown comes from those actions.
// This module holds the state, the filter bar and the tabs; monitor/score.js draws the
// score tab, monitor/tabs.js the classification, analysis and alerts tabs, and
// monitor/trace.js the trace panel.
import "../lib/ui.css";
import "./monitor.css";
import { h, clear, nextFrame } from "../lib/dom.js";
import { pathNote } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { labelledSelect, tabButtons } from "../lib/controls.js";
import { filterBar } from "../lib/filterbar.js";
import { ChartSet, keptChart } from "../lib/charts.js";
import { overlayBox } from "../lib/overlay.js";
import { scoreTab } from "./monitor/score.js";
import { classificationTab, insightsTab, alertsTab } from "./monitor/tabs.js";
import { openTrace } from "./monitor/trace.js";

/** @type {Record<string, string>} */
const TIME_LABELS = { "1h": "Last hour", "6h": "Last 6 h", "24h": "Last 24 h", "7d": "Last 7 days", "30d": "Last 30 days", all: "All time", custom: "Custom" };
const DEFAULT_TIME = "24h";
/** @type {Array<[string, string]>} */
const BUCKETS = [["hour", "Hourly"], ["day", "Daily"], ["week", "Weekly"]];

/**
 * What a tab draws with.
 * @typedef {object} MonitorContext
 * @property {any} state
 * @property {HTMLElement} body the tab's area
 * @property {(action: string, params?: object) => Promise<any>} call
 * @property {() => Record<string, any>} scope the filters and time window every action takes
 * @property {(fn: () => void) => void} change apply a filter change and reload the payload
 * @property {() => Promise<void>} renderBody redraw the current tab
 * @property {ChartSet} charts the current tab's charts
 * @property {(name: string, testid: string) => ReturnType<typeof keptChart>} kept a score-tab chart kept across updates
 * @property {(row: any, anchor?: Element) => void} openTrace open the trace panel of a row, beside `anchor`
 * @property {import("../lib/agents.js").Branding} branding agents.yaml labels for the source column
 */

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const p0 = model.get("params") || {};
  const state = {
    /** @type {Record<string, any>} */ filters: { ...(p0.filters || {}) },
    time: p0.time || DEFAULT_TIME,
    /** @type {Array<string | null> | null} */ time_range: p0.time_range || null,
    anchor: p0.anchor || "data",
    granularity: p0.granularity || "hour",
    group_by: p0.group_by || "",
    tab: (p0.ui || {}).tab || "score",
    /** @type {any} */ payload: null,
    traces: { page: 1, search: "", metric: "", sort: "recent", descending: true },
    failThreshold: 0.5,
    cls: { /** @type {string | null} */ metric: null, source: "explanation", mode: "percent" },
    ins: { page: 1, search: "", metric: "" },
  };

  // The status line adds the payload's server time and which data answered it: the
  // pre-aggregated summaries, the raw rows or both (issue 18; as the scorecard's). The
  // trace tables load after the payload and take the line over: they keep its note.
  let viewNote = "";
  const shell = createShell(model, el, {
    cls: "axis-monitor", testid: "axis-monitor",
    note: (last, out) => {
      const t = out?.timing;
      if (last.action !== "payload" || !t) return viewNote ? ` · view ${viewNote}` : "";
      root.dataset.path = String(t.path ?? "");
      viewNote = `(server ${Number(t.total_ms).toFixed(0)} ms${pathNote(t.path)})`;
      return ` ${viewNote}`;
    },
  });
  const { root } = shell;
  const header = h("div", { class: "axis-header" });
  const tabs = h("div", { class: "axis-tabs" });
  const body = h("div", { class: "axis-body" });
  const overlay = overlayBox("trace-detail");
  // the shared filter bar (multi-select per source/environment/... column, chips, "Copy as
  // code"); the time window is the bar's window (its select and a "Time: …" chip whose
  // removal goes back to the last 24 h), the buckets sit in it as an extra. The code is
  // ds.pass_rates(...) over the payload's resolved scope: the per-metric pass rates shown.
  const filters = filterBar({
    call: shell.call, branding: shell.branding, get: () => state.filters,
    onchange: (f) => change(() => { state.filters = f; }),
    window: {
      presets: Object.entries(TIME_LABELS), initial: DEFAULT_TIME, get: () => state.time,
      set: (id, f) => {
        if (id === "custom" && !f) {  // the range is chosen first, then applied
          state.time = "custom";
          return;
        }
        change(() => {
          state.time = id;
          if (id !== "custom") state.time_range = null;
          if (f) state.filters = f;
        });
      },
      chip: (id) => (id !== "custom" ? null : state.time_range ? `${state.time_range[0] || "…"} – ${state.time_range[1] || "…"}`
        : "custom, choose the dates and Apply"),
      custom: () => customRange(),
    },
    extras: () => bucketControl(),
    code: () => (state.payload ? { analytic: "pass_rates", args: { threshold: state.payload.threshold },
      filters: state.payload.scope || {} } : null),
  });
  root.append(header, filters.el, shell.errorBox, tabs, body, shell.status, overlay);

  const charts = new ChartSet();
  /** @type {Record<string, ReturnType<typeof keptChart>>} score-tab charts reused across updates */
  let kept = {};

  const scope = () => {
    /** @type {Record<string, any>} */
    const s = { filters: state.filters, time: state.time, anchor: state.anchor };
    if (state.time === "custom") s.time_range = state.time_range;
    return s;
  };

  function saveParams() {
    const p = { ...(model.get("params") || {}), ...scope(), granularity: state.granularity, ui: { tab: state.tab } };
    if (state.group_by) p.group_by = state.group_by;
    else delete p.group_by;
    if (state.time !== "custom") delete p.time_range;
    model.set("params", p); // replaced, not merged: group_by and time_range may go
    model.save_changes();
  }

  function update(t0 = performance.now()) {
    /** @type {Record<string, any>} */
    const params = { ...scope(), granularity: state.granularity };
    if (state.group_by) params.group_by = state.group_by;
    return shell.refresh("payload", params, async (payload) => {
      root.dataset.callMs = (performance.now() - t0).toFixed(1); // change -> payload received
      await show(payload);
      await nextFrame();
      root.dataset.updateMs = (performance.now() - t0).toFixed(1);
      if (payload.timing) {
        root.dataset.serverMs = String(payload.timing.total_ms);
        root.dataset.duckdbMs = String(payload.timing.duckdb_ms ?? "");
        root.dataset.analyticsMs = String(payload.timing.analytics_ms ?? "");
      }
      // The snapshot (kept in the saved notebook) goes to the kernel after the view is
      // drawn: serialising the payload over the comm is not part of showing it.
      saveSnapshot(model, payload);
    });
  }

  /** @param {() => void} fn */
  function change(fn) {
    const t0 = performance.now();
    fn();
    state.traces.page = 1;
    state.ins.page = 1;
    // The params go to the kernel once the view is drawn (or the call failed), as the
    // snapshot does: the comm message and its echo then do not share the two cores with
    // the payload's queries and the re-render.
    update(t0).finally(saveParams);
  }

  /** @param {any} payload */
  async function show(payload) {
    state.payload = payload;
    renderHeader();
    renderTabs();
    await renderBody();
    root.dataset.renderSeq = String((Number(root.dataset.renderSeq) || 0) + 1);
  }

  // ---------------------------------------------------------------- header: filters and time
  function renderHeader() {
    const p = state.payload;
    // The bar only changes with the options or a setting; a filter change leaves it as the
    // user just set it (rebuilding every select cost a few ms per update).
    const key = JSON.stringify([p.dataset, p.options, state.filters, state.time, state.time_range, state.granularity]);
    if (header.dataset.key === key && header.firstChild) return;
    header.dataset.key = key;
    clear(header).append(h("div", { class: "axis-title" }, "Monitor ", h("span", { class: "axis-muted" }, p.dataset)));
    filters.load();
    filters.render();
  }

  /** The dates of a custom window and their Apply (beside the bar's time select). */
  function customRange() {
    const p = state.payload;
    if (!p || state.time !== "custom") return [];
    const tr = state.time_range || p.options.time_range || [null, null];
    const from = /** @type {HTMLInputElement} */ (h("input", { type: "date", class: "axis-select", "data-testid": "time-start", "aria-label": "From", value: (tr[0] || "").slice(0, 10) }));
    const to = /** @type {HTMLInputElement} */ (h("input", { type: "date", class: "axis-select", "data-testid": "time-end", "aria-label": "To", value: (tr[1] || "").slice(0, 10) }));
    return [from, to, h("button", {
      class: "axis-btn", "data-testid": "time-apply",
      onclick: () => change(() => { state.time_range = [from.value || null, to.value || null]; }),
    }, "Apply")];
  }

  /** The buckets of the trends: the view's own control in the filter bar. */
  function bucketControl() {
    if (!state.payload) return [];
    return [labelledSelect({ label: "Buckets", testid: "granularity", options: BUCKETS, value: state.granularity,
      onchange: (v) => change(() => { state.granularity = v; }) })];
  }

  function renderTabs() {
    const p = state.payload;
    const cats = p.options.categories || ["SCORE"];
    /** @type {Array<[string, string, boolean]>} */
    const list = [["score", "Score Metrics", cats.includes("SCORE")], ["classification", "Classification", cats.includes("CLASSIFICATION")],
      ["analysis", "Analysis Insights", cats.includes("ANALYSIS")], ["alerts", `Alerts (${p.kpis.alerts})`, true]];
    if (!list.find(([id, , on]) => on && id === state.tab)) state.tab = "score";
    const shown = /** @type {Array<[string, string]>} */ (list.filter(([, , on]) => on).map(([id, label]) => [id, label]));
    clear(tabs).append(...tabButtons(shown, state.tab, (id) => {
      state.tab = id;
      saveParams();
      renderTabs();
      renderBody();
    }));
  }

  async function renderBody() {
    charts.reset();
    clear(body);
    if (state.tab !== "score" || state.payload.empty) dropKept();
    if (state.payload.empty && state.tab === "score") {
      body.append(h("div", { class: "axis-empty", "data-testid": "empty" }, "No data for selected filters"));
      return;
    }
    if (state.tab === "score") await scoreTab(ctx);
    else if (state.tab === "classification") await classificationTab(ctx);
    else if (state.tab === "analysis") await insightsTab(ctx);
    else await alertsTab(ctx);
  }

  function dropKept() {
    for (const k of Object.values(kept)) k.finalize();
    kept = {};
  }

  /** @type {MonitorContext} */
  const ctx = {
    state, body, call: shell.call, scope, change, renderBody, charts, branding: shell.branding,
    kept: (name, testid) => (kept[name] ||= keptChart(h("div", { class: "axis-chart", "data-testid": testid }))),
    openTrace: (row, anchor) => openTrace(overlay, shell.call, row, anchor, state.payload?.options?.latency_unit),
  };

  // ---------------------------------------------------------------- start
  const snap = snapshotOf(model);
  if (snap) show(snap).then(() => { root.dataset.updateMs = "0"; });
  else update();
  shell.announceTransport();
  return () => {
    shell.transport.dispose();
    charts.reset();
    dropKept();
  };
}

export default { render };
