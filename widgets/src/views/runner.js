// The evaluation runner view (anywidget front end).
// Python side: axis_jupyter/payloads/runner.py (actions setup, start, status, cancel).
//
// Dataset -> column mapping -> metric catalogue -> name/concurrency -> Start; a progress
// bar polls `status` every ~500 ms while the run is queued or running; the result summary
// has "Open scorecard", which asks the Python widget (trait scorecard_request) to show the
// scorecard of the results dataset below the runner.
//
// Calls go through createTransport: HTTP when the store lives in this page's Jupyter
// server, otherwise the kernel. runner/setup.js draws the four setup steps,
// runner/agent.js the optional agent (and "Test connection"), runner/progress.js the
// progress and results (downloads, re-run failed, compare with an earlier run, past
// runs); runner/logic.js holds the pure rules.
import "../lib/ui.css";
import "./runner.css";
import { h } from "../lib/dom.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { FINAL, agentSettings, emptyAgent, exportBlob, mappedFields, metricParams, runnableMetrics } from "./runner/logic.js";
import { datasetStep, mappingStep, metricsStep, runStep } from "./runner/setup.js";
import { agentStep } from "./runner/agent.js";
import { progressSection, resultsSection } from "./runner/progress.js";
import { errorText } from "../lib/transport.js";

const POLL_MS = 500;

/**
 * What the runner's sections draw with.
 * @typedef {object} RunnerContext
 * @property {any} state
 * @property {Record<"data" | "map" | "agent" | "metrics" | "run" | "prog" | "result", HTMLElement>} sec
 * @property {() => Set<string>} mapped the fields a run will have
 * @property {() => import("./runner/logic.js").Metric[]} chosen the selected metrics that can run
 * @property {() => void} redraw redraw the sections that depend on the mapping and selection
 * @property {(source: string | null) => void} loadSetup
 * @property {() => void} startRun
 * @property {() => void} cancelRun
 * @property {() => void} openScorecard
 * @property {() => void} newRun
 * @property {(action: string, params: any) => Promise<any>} call
 * @property {() => boolean} agentOn an agent fills the empty outputs
 * @property {(name: string, format: string) => void} download
 * @property {(name: string) => void} rerunFailed
 * @property {(name: string, earlier: string) => void} compareWith
 * @property {(name: string) => void} openPast
 */

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const state = {
    /** @type {any} */ setup: null,
    /** @type {string | null} */ source: (model.get("params") || {}).source || model.get("dataset") || null,
    /** @type {Record<string, string>} */ mapping: {},
    /** @type {Set<string>} */ selected: new Set(),
    filter: "compatible",
    search: "",
    name: "",
    nameEdited: false,
    concurrency: 8,
    agent: emptyAgent(),
    /** @type {any} */ agentTest: null,
    judgeProvider: "",
    judgeModel: "",
    /** @type {any} */ opened: null,
    runId: model.get("run_id") || "",
    /** @type {any} */ status: null,
    /** @type {ReturnType<typeof setTimeout> | undefined} */ timer: undefined,
    busy: false,
    disposed: false,
    /** @type {Record<string, Record<string, string>>} settings of the metrics that need them */
    params: {},
    /** @type {string} why the last Start was refused */
    startError: "",
  };

  const shell = createShell(model, el, { cls: "axis-runner", testid: "axis-runner" });
  const { root, showError } = shell;
  const caller = shell.transport;
  const via = h("span", { class: "axis-muted", "data-testid": "via" });
  const header = h("div", { class: "axis-header" }, h("span", { class: "axis-title" }, "Evaluation runner"), via);
  /** @param {string} testid @param {boolean} [hidden] */
  const section = (testid, hidden = false) => h("section", { class: "axis-rn-section", hidden, "data-testid": testid });
  const sec = {
    data: section("dataset-section"), map: section("mapping-section"), agent: section("agent-section", true),
    metrics: section("metrics-section"),
    run: section("run-section"), prog: section("progress-section", true), result: section("results-section", true),
  };
  root.append(header, shell.errorBox, sec.data, sec.map, sec.agent, sec.metrics, sec.run, sec.prog, sec.result);

  function noteVia() {
    const last = caller.stats.last;
    if (!last) return;
    root.dataset.transport = last.via;
    via.textContent = `via ${last.via === "server" ? "Jupyter server (HTTP)" : "kernel"}`;
  }

  /** @type {RunnerContext} */
  const ctx = {
    state, sec,
    mapped: () => mappedFields(state.mapping, state.source, ctx.agentOn()),
    agentOn: () => state.agent.mode !== "none",
    call: (action, params) => caller.call(action, params),
    chosen: () => runnableMetrics(state.selected, state.setup?.metrics || [], ctx.mapped()),
    redraw: () => {
      mappingStep(ctx);
      metricsStep(ctx);
      runStep(ctx);
    },
    loadSetup, startRun, cancelRun, openScorecard, newRun, download, rerunFailed, compareWith, openPast,
  };

  function renderAll() {
    datasetStep(ctx);
    mappingStep(ctx);
    agentStep(ctx);
    metricsStep(ctx);
    runStep(ctx);
    progressSection(ctx);
    resultsSection(ctx);
  }

  // ---------------------------------------------------------------- actions
  /** @param {any} s the setup action's result */
  function applySetup(s) {
    state.setup = s;
    state.source = s.source || null;
    /** @type {Record<string, string>} */
    const mapping = {};
    for (const f of s.fields || []) mapping[f.field] = (s.mapping || {})[f.field] || "";
    state.mapping = { ...(s.mapping || {}), ...mapping };
    const compat = new Set((s.metrics || []).filter((/** @type {any} */ m) => m.compatible).map((/** @type {any} */ m) => m.key));
    state.selected = new Set([...state.selected].filter((k) => compat.has(k)));
    if (!state.nameEdited) state.name = s.defaults?.name || "";
    state.concurrency = state.concurrency || s.defaults?.concurrency || 8;
    root.dataset.source = state.source || "";
  }

  /** @param {string | null} source */
  async function loadSetup(source) {
    showError(null);
    root.classList.add("axis-busy");
    try {
      const s = await caller.call("setup", source ? { source } : {});
      noteVia();
      applySetup(s);
      model.set("params", { ...(model.get("params") || {}), source: state.source });
      saveSnapshot(model, s);
      renderAll();
    } catch (err) {
      showError(err);
    } finally {
      root.classList.remove("axis-busy");
    }
  }

  async function startRun() {
    showError(null);
    state.startError = "";
    const agent = agentSettings(state.agent);
    if (agent && "error" in agent) {
      state.startError = `AXIS: ${agent.error}`;
      runStep(ctx);
      return;
    }
    state.busy = true;
    runStep(ctx);
    try {
      const chosen = ctx.chosen();
      /** @type {Record<string, any>} */
      const params = {
        source: state.source,
        metrics: chosen.map((m) => m.key),
        mapping: state.mapping,
        name: state.name || null,
        concurrency: state.concurrency,
        agent,
        provider: state.judgeProvider || null,
        model: state.judgeModel || null,
      };
      const settings = metricParams(chosen, state.params);
      if (Object.keys(settings).length) params.metric_params = settings;
      const out = await caller.call("start", params);
      noteVia();
      follow(out);
    } catch (err) {
      state.startError = `AXIS: ${errorText(err)}`;
    } finally {
      state.busy = false;
      runStep(ctx);
    }
  }

  async function cancelRun() {
    if (!state.runId) return;
    try {
      state.status = await caller.call("cancel", { run_id: state.runId });
      progressSection(ctx);
      runStep(ctx);
    } catch (err) {
      showError(err);
    }
  }

  /**
   * Show and poll the run the server just started (a new run or a rerun of failed items).
   * @param {{run_id: string, status: any}} out
   */
  function follow(out) {
    state.opened = null;
    state.runId = out.run_id;
    state.status = out.status;
    model.set("run_id", out.run_id);
    model.save_changes();
    progressSection(ctx);
    resultsSection(ctx);
    schedulePoll(0);
  }

  function schedulePoll(delay = POLL_MS) {
    clearTimeout(state.timer);
    if (state.disposed) return;
    state.timer = setTimeout(poll, delay);
  }

  async function poll() {
    if (!state.runId || state.disposed) return;
    try {
      const st = await caller.call("status", { run_id: state.runId });
      noteVia();
      state.status = st;
      root.dataset.runState = st.state;
      progressSection(ctx);
      if (FINAL.has(st.state)) {
        resultsSection(ctx);
        runStep(ctx);
        saveSnapshot(model, { ...(state.setup || {}), last_status: { ...st, log: undefined } });
        if (st.state === "succeeded") loadDatasetsQuietly();
        return;
      }
      runStep(ctx);
    } catch (err) {
      showError(err);
      if (/no evaluation run|no job/i.test(String(/** @type {any} */ (err).message))) return; // forgotten run
    }
    schedulePoll();
  }

  async function loadDatasetsQuietly() {
    // the results dataset now exists: refresh the picker without losing the selections
    try {
      const s = await caller.call("setup", state.source ? { source: state.source } : {});
      state.setup = { ...state.setup, datasets: s.datasets, runs: s.runs, results: s.results };
      datasetStep(ctx);
    } catch {
      /* not essential */
    }
  }

  function openScorecard() {
    const name = state.opened?.dataset || state.status?.dataset;
    if (!name) return;
    model.set("scorecard_request", { dataset: name, n: Date.now() });
    model.save_changes();
    const note = sec.result.querySelector("[data-testid=scorecard-note]");
    if (note) note.textContent = `Scorecard of ${name} opened below.`;
  }

  /** @param {string} name @param {string} format */
  async function download(name, format) {
    showError(null);
    try {
      const file = await caller.call("export", { name, format });
      const url = URL.createObjectURL(exportBlob(file));
      const a = h("a", { href: url, download: file.filename, "data-testid": "download-link" });
      root.append(a);
      a.click();
      setTimeout(() => {
        URL.revokeObjectURL(url);
        a.remove();
      }, 1000);
      root.dataset.downloaded = `${file.filename}:${file.size}`;
    } catch (err) {
      showError(err);
    }
  }

  /** @param {string} name */
  async function rerunFailed(name) {
    showError(null);
    try {
      const out = await caller.call("rerun", { name });
      follow(out);
    } catch (err) {
      showError(err);
    }
  }

  /** @param {string} name @param {string} earlier */
  async function compareWith(name, earlier) {
    showError(null);
    try {
      const out = await caller.call("compare", { name, earlier });
      model.set("scorecard_request", { ...out, view: "compare", n: Date.now() });
      model.save_changes();
      const note = sec.result.querySelector("[data-testid=scorecard-note]");
      if (note) note.textContent = `Comparison ${out.dataset} opened below.`;
      loadDatasetsQuietly();
    } catch (err) {
      showError(err);
    }
  }

  /** @param {string} name */
  async function openPast(name) {
    showError(null);
    try {
      state.opened = await caller.call("open_run", { name });
      state.status = null;
      state.runId = "";
      progressSection(ctx);
      resultsSection(ctx);
    } catch (err) {
      showError(err);
    }
  }

  function newRun() {
    state.status = null;
    state.runId = "";
    state.nameEdited = false;
    model.set("run_id", "");
    model.save_changes();
    loadSetup(state.source);
  }

  // ---------------------------------------------------------------- start
  const onRunId = () => {
    const rid = model.get("run_id");
    if (rid && rid !== state.runId) {
      state.runId = rid;
      schedulePoll(0);
    }
  };
  model.on("change:run_id", onRunId);

  const snap = snapshotOf(model);
  if (snap && snap.fields) {
    applySetup(snap);
    if (snap.last_status && snap.last_status.run_id === state.runId) state.status = snap.last_status;
    renderAll();
  } else {
    loadSetup(state.source);
  }
  if (state.runId && !(state.status && FINAL.has(state.status.state))) schedulePoll(0);
  caller.decide().then((m) => {
    root.dataset.transport = m;
  });

  return () => {
    state.disposed = true;
    clearTimeout(state.timer);
    model.off("change:run_id", onRunId);
    caller.dispose();
  };
}

export default { render };
