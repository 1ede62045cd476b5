// The evaluation deep-dive view (anywidget front end).
// Python side: axis_jupyter/payloads/deepdive.py (actions payload, distribution, tradeoffs,
// length, turns, metadata, cases, case, tree). Every number shown comes from those actions;
// charts are the Vega-Lite specs they return. The experiment filter applies to every tab.
// The tabs are drawn by deepdive/tabs.js; this module holds the state, the shell, the
// loading of a tab's data and the test-case panel.
import "../lib/ui.css";
import "./deepdive.css";
import { h, clear } from "../lib/dom.js";
import { createShell, snapshotOf, saveSnapshot, saveParams as mergeParams } from "../lib/shell.js";
import { tabButtons } from "../lib/controls.js";
import { filterBar, valuesOf } from "../lib/filterbar.js";
import { ChartSet } from "../lib/charts.js";
import { overlayBox, dismissable } from "../lib/overlay.js";
import { testCaseView } from "../lib/test-case.js";
import { errorText } from "../lib/transport.js";
import { TAB_VIEWS } from "./deepdive/tabs.js";

const EXP = "evaluation_name";
/** @type {Array<[string, string]>} */
const TABS = [
  ["overview", "Overview"],
  ["distribution", "Distribution"],
  ["tradeoffs", "Tradeoffs"],
  ["tree", "Tree"],
  ["length", "Response"],
  ["turns", "Conversation"],
  ["metadata", "Metadata"],
  ["cases", "Test cases"],
];

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} ctx */
function render({ model, el }) {
  const p0 = model.get("params") || {};
  const ui0 = p0.ui || {};
  const state = {
    /** @type {any} */ payload: null,
    /** @type {Record<string, any>} */ filters: { ...(p0.filters || {}) },
    threshold: p0.threshold,
    tab: ui0.tab || "overview",
    /** @type {Record<string, {key: string, value: any}>} */ data: {}, // tab -> last result (cleared when the filter changes)
    dist: { kind: "violin", /** @type {string[] | null} */ metrics: null },
    trade: { /** @type {string | null} */ x: null, /** @type {string | null} */ y: null, trend: false },
    len: { metric: "" },
    turns: { metric: "" },
    meta: { /** @type {string | null} */ key: null, metric: "", threshold: 0.5 },
    tree: { mode: "aggregated", /** @type {string | null} */ caseId: null, /** @type {Set<string>} */ collapsed: new Set() },
    cases: { page: 1, search: "" },
    tabSeq: 0,
    caseSeq: 0,
  };

  const shell = createShell(model, el, { cls: "axis-deepdive", testid: "axis-deepdive", attrs: { tabindex: "-1" } });
  const { root, call, showError } = shell;
  const header = h("div", { class: "axis-header" });
  const tabs = h("div", { class: "axis-tabs", role: "tablist" });
  const body = h("div", { class: "axis-body", "data-testid": "body" });
  const overlay = overlayBox("case-panel");
  // the shared filter bar; "Copy as code" gives ds.summary(...), the overview's numbers
  const filters = filterBar({
    call: shell.call, branding: shell.branding, time: true, get: () => state.filters,
    onchange: (f) => {
      state.filters = f;
      state.cases.page = 1;
      state.tree.caseId = null;
      saveParams();
      update();
    },
    code: () => ({ analytic: "summary", args: { threshold: state.payload ? state.payload.threshold : state.threshold } }),
  });
  root.append(header, filters.el, shell.errorBox, tabs, body, shell.status, overlay);
  const charts = new ChartSet(); // the charts of the current tab

  function saveParams() {
    mergeParams(model, { filters: state.filters, ui: { tab: state.tab } });
  }

  /** the one experiment shown, or null (all, or several) */
  const experiment = () => {
    const v = valuesOf(state.filters, EXP);
    return v.length === 1 ? v[0] : null;
  };

  function update() {
    /** @type {Record<string, any>} */
    const params = { filters: state.filters };
    if (state.threshold !== undefined && state.threshold !== null) params.threshold = state.threshold;
    return shell.refresh("payload", params, (payload) => {
      state.payload = payload;
      state.data = {};
      saveSnapshot(model, payload);
      renderAll();
    });
  }

  // ---------------------------------------------------------------- shell
  function renderAll() {
    renderHeader();
    renderTabs();
    renderBody();
  }

  function renderHeader() {
    const p = state.payload;
    clear(header).append(h("div", { class: "axis-title" }, "Deep dive ", h("span", { class: "axis-muted" }, p.dataset)));
    filters.render();
  }

  function renderTabs() {
    clear(tabs).append(...tabButtons(TABS, state.tab, (id) => {
      if (state.tab === id) return;
      state.tab = id;
      saveParams();
      renderTabs();
      renderBody();
    }, { aria: true }));
  }

  function renderBody() {
    state.tabSeq += 1;
    charts.reset();
    clear(body);
    body.dataset.tab = state.tab;
    (TAB_VIEWS[state.tab] || TAB_VIEWS.overview)(tab);
  }

  /**
   * Load a tab's data (cached per params) and draw it with draw(data).
   * @param {string} name
   * @param {string} action
   * @param {object} params
   * @param {(data: any) => void} draw
   */
  async function load(name, action, params, draw) {
    const key = JSON.stringify([action, params]);
    const cached = state.data[name];
    if (cached && cached.key === key) {
      draw(cached.value);
      body.dataset.loaded = name;
      return;
    }
    const mine = state.tabSeq;
    body.append(h("div", { class: "axis-muted axis-loading" }, "Loading…"));
    body.dataset.loaded = "";
    const dropLoading = () => body.querySelectorAll(".axis-loading").forEach((n) => n.remove());
    try {
      const value = await call(action, params);
      state.data[name] = { key, value };
      if (mine !== state.tabSeq) return;
      showError(null);
      dropLoading();
      draw(value);
      body.dataset.loaded = name;
    } catch (err) {
      if (mine === state.tabSeq) {
        dropLoading();
        showError(err);
      }
    }
  }

  /** What a tab draws with (see deepdive/tabs.js). @type {import("./deepdive/tabs.js").DeepDiveTab} */
  const tab = { state, body, charts, load, renderBody, openCase, experiment, call };

  // ---------------------------------------------------------------- test-case panel
  function closeCase() {
    overlay.hidden = true;
    root.style.minHeight = "";
    clear(overlay);
  }
  dismissable(overlay, root, closeCase);

  /** @param {string} id */
  async function openCase(id) {
    const mine = ++state.caseSeq;
    clear(overlay);
    overlay.hidden = false;
    root.style.minHeight = "660px"; // room for the panel when the current tab is short
    const loading = h("div", { class: "axis-muted" }, "Loading…");
    const panel = h("div", { class: "axis-panel", role: "dialog", "aria-label": `Test case ${id}` },
      h("div", { class: "axis-panel-head" },
        h("div", { class: "axis-title" }, "Test case ", h("span", { class: "axis-id", "data-testid": "case-id" }, id)),
        h("button", { class: "axis-btn", "data-testid": "case-close", onclick: closeCase, "aria-label": "Close" }, "×")),
      loading);
    overlay.append(panel);
    try {
      const d = await call("case", { dataset_id: id, evaluation_name: experiment() || undefined });
      if (mine !== state.caseSeq) return;
      loading.remove();
      testCaseView(panel, d);
      overlay.dataset.loaded = id;
    } catch (err) {
      if (mine === state.caseSeq) loading.replaceWith(h("div", { class: "axis-error" }, errorText(err)));
    }
  }

  // ---------------------------------------------------------------- start
  const onSnapshot = () => {
    const s = model.get("snapshot");
    if (s && s !== state.payload && Object.keys(s).length && s.view === "deepdive") {
      state.payload = s;
      state.filters = { ...(s.filters || {}) };
      state.data = {};
      renderAll();
    }
  };
  model.on("change:snapshot", onSnapshot);
  const snap = snapshotOf(model);
  if (snap && snap.kpis) {
    state.payload = snap;
    state.filters = { ...(snap.filters || state.filters) };
    renderAll();
  } else {
    update();
  }
  shell.announceTransport();
  filters.load();

  return () => {
    model.off("change:snapshot", onSnapshot);
    filters.dispose();
    shell.transport.dispose();
    charts.reset();
  };
}

export default { render };
