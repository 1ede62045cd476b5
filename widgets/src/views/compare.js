// The compare view (anywidget front end): experiments side by side and head to head.
// Python side: axis_jupyter/payloads/compare.py (actions payload, cases, distribution, scatter,
// agreement, export). Every statistic shown is the one those actions (and ds.compare)
// return; charts are their Vega-Lite specs; case lists are paged server-side.
// Two modes: "Test cases" (every experiment side by side per case: compare/cases.js) and
// "Head to head" (a baseline against a challenger). The sections are drawn by
// compare/summary.js (KPIs, grid, verdict, per-metric table, win/loss), compare/diff.js
// (case-level diff), compare/charts.js (chart tabs) and compare/cases.js (test cases).
import "../lib/ui.css";
import "./compare.css";
import { h, clear } from "../lib/dom.js";
import { fmtInt } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot, saveParams as mergeParams } from "../lib/shell.js";
import { ChartSet } from "../lib/charts.js";
import { kpisSection, gridSection, verdictSection, metricsSection, winsSection } from "./compare/summary.js";
import { diffSection } from "./compare/diff.js";
import { chartsSection } from "./compare/charts.js";
import { casesSection } from "./compare/cases.js";
import { initialCases, caseParams } from "./compare/cases-logic.js";
import { filterBar } from "../lib/filterbar.js";
import { segmented } from "../lib/controls.js";

/** @type {Record<string, string[]>} the sections of each mode, top to bottom */
const SECTIONS = {
  cases: ["kpis", "grid", "charts", "cases"],
  experiments: ["kpis", "grid", "pickers", "verdict", "table", "wins", "diff", "charts"],
};

/**
 * What a section draws with.
 * @typedef {object} CompareContext
 * @property {any} state
 * @property {Record<string, HTMLElement>} sections one element per section (SECTIONS)
 * @property {{main: ChartSet, chart: ChartSet}} charts the payload's charts; the chart tab's
 * @property {(action: string, params?: object) => Promise<any>} call
 * @property {(err: unknown) => void} showError
 * @property {() => void} saveParams
 * @property {() => void} update reload the payload (after a new pair)
 * @property {() => void} resetDiff back to the first case of the diff
 * @property {() => {baseline: string, challenger: string}} pair
 * @property {() => Record<string, any>} filters
 * @property {(title: string, extra?: import("../lib/dom.js").Child) => HTMLElement} head a section title
 * @property {HTMLElement} root the view's root
 * @property {(text: string, mime: string, filename: string) => void} download save a file
 * @property {(d: any) => void} onCases a page of test cases arrived
 */

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} ctx */
function render({ model, el }) {
  const p0 = model.get("params") || {};
  const ui0 = p0.ui || {};
  const state = {
    /** @type {any} */ payload: null,
    baseline: p0.baseline || null,
    challenger: p0.challenger || null,
    sort: ui0.sort || { key: null, dir: 1 },
    chartTab: ui0.chart || "bar",
    showGrid: true,
    diff: { outcome: "all", search: "", sort_by: "abs_delta", descending: true, page: 1, position: 1 },
    charts: { /** @type {string | null} */ dist: null, /** @type {string | null} */ scatter: null, threshold: 0.5 },
    listSeq: 0, // the latest case-list, case and chart-tab requests (older answers are dropped)
    diffSeq: 0,
    chartSeq: 0,
    /** @type {"cases" | "experiments"} */
    mode: ui0.mode || p0.mode || "cases",
    cases: initialCases(ui0.cases || {}),
    /** @type {Record<string, any>} the filter bar's filters (experiment, source, metadata, time) */
    filters: { ...(p0.filters || {}) },
    /** @type {any} the last page of test cases */
    casesData: null,
    casesSeq: 0,
    /** @type {Set<string>} test cases whose details are open */
    casesExpanded: new Set(),
  };

  const shell = createShell(model, el, { cls: "axis-compare", testid: "axis-compare" });
  const { root } = shell;
  const header = h("div", { class: "axis-header" });
  const main = h("div", { class: "axis-body" });
  // the shared filter bar; "Copy as code" gives the call behind the mode shown: the test
  // cases' page (ds.test_cases) or the head-to-head statistics (ds.compare)
  const filters = filterBar({
    call: shell.call, branding: shell.branding, time: true, get: () => state.filters,
    onchange: (f) => {
      state.filters = f;
      state.cases.page = 1;
      ctx.resetDiff();
      saveParams();
      update();
    },
    code: () => {
      if (state.mode === "cases") {
        const { filters: _f, ...args } = caseParams(state.cases, {});
        return { analytic: "test_cases", args };
      }
      return { analytic: "compare", args: ctx.pair() };
    },
  });
  root.append(header, filters.el, shell.errorBox, main, shell.status);

  /** @type {CompareContext} */
  const ctx = {
    state,
    sections: {},
    charts: { main: new ChartSet(), chart: new ChartSet() },
    call: shell.call,
    showError: shell.showError,
    saveParams,
    update,
    resetDiff() {
      state.diff.page = 1;
      state.diff.position = 1;
    },
    pair: () => ({ baseline: state.baseline, challenger: state.challenger }),
    filters: () => state.filters,
    head: (title, extra) => h("div", { class: "axis-subhead" }, h("span", {}, title), extra || null),
    root,
    download,
    onCases(d) {
      // the KPI card counts what the filters keep, of all the cases
      const card = root.querySelector("[data-testid=kpi-cases] .axis-kpi-value");
      if (card) card.textContent = d.total === d.all_cases ? fmtInt(d.all_cases) : `${fmtInt(d.total)} / ${fmtInt(d.all_cases)}`;
      root.dataset.casesTotal = String(d.total);
    },
  };

  function saveParams() {
    /** @type {Record<string, any>} */
    const p = { ui: { sort: state.sort, chart: state.chartTab, mode: state.mode, cases: state.cases }, filters: state.filters };
    if (state.baseline) p.baseline = state.baseline;
    if (state.challenger) p.challenger = state.challenger;
    mergeParams(model, p);
  }

  function update() {
    /** @type {Record<string, any>} */
    const params = { filters: ctx.filters() };
    for (const k of ["baseline", "challenger", "metrics", "alpha"]) {
      const v = k === "baseline" || k === "challenger" ? state[/** @type {"baseline" | "challenger"} */ (k)] : p0[k];
      if (v !== null && v !== undefined && v !== "") params[k] = v;
    }
    return shell.refresh("payload", params, (payload) => {
      show(payload);
      saveSnapshot(model, payload);
    });
  }

  /** @param {any} payload */
  function show(payload) {
    state.payload = payload;
    state.baseline = payload.baseline || state.baseline;
    state.challenger = payload.challenger || state.challenger;
    ctx.charts.main.reset();
    ctx.charts.chart.reset();
    clear(header);
    clear(main);
    header.append(h("div", { class: "axis-title" }, "Compare ", h("span", { class: "axis-muted" }, payload.dataset)),
      segmented([["cases", "Test cases"], ["experiments", "Head to head"]], state.mode, (m) => {
        state.mode = /** @type {"cases" | "experiments"} */ (m);
        saveParams();
        show(state.payload);
      }, (m) => `mode-${m}`));
    root.dataset.mode = state.mode;
    filters.load();
    filters.render();
    if (payload.need_experiments && state.mode === "cases") {
      ctx.sections.cases = h("div", { class: "axis-section axis-sec-cases", "data-testid": "section-cases" });
      main.append(h("div", { class: "axis-muted" }, payload.message || ""), ctx.sections.cases);
      casesSection(ctx);
      return;
    }
    if (payload.need_experiments) {
      main.append(h("div", { class: "axis-empty", "data-testid": "need-experiments" },
        h("div", { class: "axis-title" }, "Need multiple experiments"),
        h("div", {}, payload.message || "Comparing needs at least two experiments."),
        h("ul", {}, (payload.experiments || []).map((/** @type {string} */ e) => h("li", {}, e)))));
      return;
    }
    if (state.mode === "experiments") header.append(exportButtons());
    ctx.sections = {};
    for (const k of SECTIONS[state.mode]) {
      ctx.sections[k] = h("div", { class: `axis-section axis-sec-${k}`, "data-testid": `section-${k}` });
      main.append(ctx.sections[k]);
    }
    kpisSection(ctx);
    gridSection(ctx);
    if (state.mode === "experiments") {
      pickersSection();
      verdictSection(ctx);
      metricsSection(ctx);
      winsSection(ctx);
      diffSection(ctx);
    }
    chartsSection(ctx);
    if (state.mode === "cases") casesSection(ctx);
    root.dataset.pair = `${payload.baseline}|${payload.challenger}`;
  }

  // ---------------------------------------------------------------- baseline / challenger
  function pickersSection() {
    const p = state.payload;
    const stats = new Map((p.experiment_stats || []).map((/** @type {any} */ s) => [s.evaluation_name, s]));
    /** @param {string | null} selected @param {string | null} other */
    const opts = (selected, other) => (p.experiments || []).map((/** @type {string} */ e) => h("option", {
      value: e, selected: e === selected, disabled: e === other,
    }, `${e} (${fmtInt(stats.get(e)?.cases)} cases)`));
    const newPair = () => {
      ctx.resetDiff();
      saveParams();
      update();
    };
    /** @param {"baseline" | "challenger"} which */
    const pick = (which) => (/** @type {any} */ e) => {
      state[which] = e.target.value;
      newPair();
    };
    clear(ctx.sections.pickers).append(h("div", { class: "axis-pickers" },
      h("label", { class: "axis-filter" }, "Baseline ",
        h("select", { class: "axis-select", "data-testid": "baseline", onchange: pick("baseline") }, opts(state.baseline, state.challenger))),
      h("button", { class: "axis-btn", "data-testid": "swap", title: "Swap baseline and challenger",
        onclick: () => {
          [state.baseline, state.challenger] = [state.challenger, state.baseline];
          newPair();
        } }, "⇄ Swap"),
      h("label", { class: "axis-filter" }, "Challenger ",
        h("select", { class: "axis-select", "data-testid": "challenger", onchange: pick("challenger") }, opts(state.challenger, state.baseline)))));
  }

  // ---------------------------------------------------------------- export
  function exportButtons() {
    /** @param {string} fmt @param {string} label */
    const btn = (fmt, label) => h("button", { class: "axis-btn", "data-testid": `export-${fmt}`, onclick: async (/** @type {any} */ e) => {
      const b = e.currentTarget;
      b.disabled = true;
      try {
        const out = await shell.call("export", { ...ctx.pair(), format: fmt, filters: ctx.filters() });
        download(out.text, out.mime || "text/plain", out.filename || `comparison.${fmt}`);
        root.dataset.exported = out.filename || fmt;
      } catch (err) {
        shell.showError(err);
      } finally {
        b.disabled = false;
      }
    } }, label);
    return h("div", { class: "axis-export" }, h("span", { class: "axis-muted" }, "Export "),
      btn("csv", "CSV"), btn("json", "JSON"), btn("markdown", "Markdown"));
  }

  // ---------------------------------------------------------------- start
  const onSnapshot = () => {
    const s = model.get("snapshot");
    if (s && s !== state.payload && Object.keys(s).length && s.view === "compare") show(s);
  };
  model.on("change:snapshot", onSnapshot);
  const snap = snapshotOf(model);
  if (snap && snap.view === "compare") show(snap);
  else update();
  shell.announceTransport();

  return () => {
    model.off("change:snapshot", onSnapshot);
    shell.transport.dispose();
    ctx.charts.main.reset();
    ctx.charts.chart.reset();
  };
}

/**
 * Save `text` as a file named `filename` (the browser's download).
 * @param {string} text @param {string} mime @param {string} filename
 */
function download(text, mime, filename) {
  const blob = new Blob([text], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export default { render };
