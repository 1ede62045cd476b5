// The calibration view (anywidget front end): measure an LLM judge against people's labels.
// Python side: axis_jupyter/payloads/calibrate.py (actions payload, run, start, status,
// misalignment, optimize, save_judge, fewshot, patterns).
//
// Left: pattern insights from the critiques (local clustering needs no network; "Use as
// criteria" appends a pattern to the judge's criteria). Right: the judge editor (Model |
// Prompt | Examples with suggestions) and the run bar (a job; its progress is polled).
// Below: the latest run's results (Comparison, Metrics with the kappa interval and the
// confusion matrix, Insights with misalignment analysis, optimisation and "Apply & re-run",
// History of judge versions side by side). calibrate/logic.js holds the pure rules.
import "../lib/ui.css";
import "./calibrate.css";
import { h } from "../lib/dom.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { judgeSection, patternsSection } from "./calibrate/judge.js";
import { resultsSection } from "./calibrate/results.js";

const POLL_MS = 500;

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const p0 = model.get("params") || {};
  const state = {
    /** @type {any} */ payload: null,
    /** @type {any} */ judge: null,
    /** @type {any} */ patterns: null,
    /** @type {any} */ job: null,
    method: "local",
    judgeTab: "prompt",
    tab: "comparison",
    filter: "misaligned",
    page: 1,
    /** @type {Set<string>} */ expanded: new Set(),
    busy: false,
    runId: p0.run_id || null,
    disposed: false,
  };
  const shell = createShell(model, el, { cls: "axis-calibrate", testid: "axis-calibrate" });
  const { root, call, showError } = shell;
  const header = h("div", { class: "axis-header" });
  const left = h("section", { class: "axis-cal-col", "data-testid": "patterns-section" });
  const right = h("section", { class: "axis-cal-col", "data-testid": "judge-section" });
  const results = h("section", { class: "axis-cal-results", "data-testid": "results-section" });
  root.append(header, shell.errorBox, h("div", { class: "axis-cal-grid" }, left, right), results, shell.status);

  const ctx = { state, left, right, box: results, redraw, run, saveJudge, findPatterns, suggest, analyse, optimize, applyAndRerun };

  function redraw() {
    const p = state.payload;
    if (!p) return;
    header.replaceChildren(
      h("span", { class: "axis-title" }, `Calibrate · ${model.get("dataset") || ""}`),
      h("span", { class: "axis-muted", "data-testid": "labelled" },
        `${p.labelled.total} labelled (${p.labelled.accepts} accept, ${p.labelled.rejects} reject, ${p.labelled.with_notes} with notes)`));
    root.dataset.runId = p.run ? p.run.run.run_id : "";
    root.dataset.busy = state.busy ? "1" : "0";
    patternsSection(ctx);
    judgeSection(ctx);
    resultsSection(ctx);
  }

  /** @param {any} p */
  function apply(p) {
    state.payload = p;
    state.judge = structuredClone(p.judge);
    state.job = null;
    redraw();
  }

  /** @param {() => Promise<void>} fn */
  async function busy(fn) {
    state.busy = true;
    redraw();
    try {
      await fn();
      showError(null);
    } catch (err) {
      showError(err);
    } finally {
      state.busy = false;
      redraw();
    }
  }

  /** @param {string} id */
  async function follow(id) {
    for (;;) {
      if (state.disposed) return null;
      const s = await call("status", { job_id: id });
      state.job = { state: s.state, done: s.progress?.done || 0, total: s.progress?.total || 0 };
      redraw();
      if (["succeeded", "failed", "cancelled"].includes(s.state)) {
        if (s.state !== "succeeded") throw new Error(s.error || `the job ${s.state}`);
        return s.result;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** @param {string | object} judge */
  async function startAndShow(judge) {
    const out = await call("start", { judge });
    const result = await follow(out.job_id);
    if (!result) return;
    const p = await call("payload", { run_id: result.run_id });
    saveSnapshot(model, p);
    state.tab = "metrics";
    apply(p);
  }

  function run() {
    busy(() => startAndShow(judgeObject()));
  }

  function judgeObject() {
    const j = state.judge;
    return { name: j.name, model: j.model, system_prompt: j.system_prompt, evaluation_criteria: j.evaluation_criteria,
      few_shot_examples: j.few_shot_examples || [], temperature: j.temperature, fields: j.fields };
  }

  function saveJudge() {
    busy(async () => {
      const out = await call("save_judge", { judge: judgeObject() });
      state.judge = { ...state.judge, version: out.judge.version };
    });
  }

  function findPatterns() {
    busy(async () => {
      const out = await call("patterns", { method: state.method });
      state.patterns = await follow(out.job_id);
      state.job = null;
    });
  }

  /** @param {string} strategy @param {number} count */
  function suggest(strategy, count) {
    busy(async () => {
      const runId = state.payload.run ? state.payload.run.run.run_id : undefined;
      const out = await call("fewshot", { strategy, count, ...(runId ? { run_id: runId } : {}) });
      const have = new Set((state.judge.few_shot_examples || []).map((/** @type {any} */ e) => e.record_id));
      state.judge.few_shot_examples = [...(state.judge.few_shot_examples || []),
        ...out.examples.filter((/** @type {any} */ e) => !have.has(e.record_id))];
      state.judgeTab = "examples";
    });
  }

  function analyse() {
    busy(async () => {
      state.payload.run.misalignment = await call("misalignment", { run_id: state.payload.run.run.run_id });
    });
  }

  function optimize() {
    busy(async () => {
      state.payload.run.optimization = await call("optimize", { run_id: state.payload.run.run.run_id });
    });
  }

  function applyAndRerun() {
    busy(async () => {
      const opt = state.payload.run.optimization;
      // the run's own judge with the new criteria (not whatever the editor holds now)
      const base = { ...(state.payload.run.judge || judgeObject()) };
      delete base.version;
      const saved = await call("save_judge", { judge: { ...base, evaluation_criteria: opt.evaluation_criteria },
        note: `applied to run ${state.payload.run.run.run_id}` });
      await startAndShow(`${saved.judge.name}@${saved.judge.version}`);
    });
  }

  const snap = snapshotOf(model);
  if (snap) apply(snap);
  else shell.refresh("payload", state.runId ? { run_id: state.runId } : {}, (p) => { apply(p); saveSnapshot(model, p); });
  shell.announceTransport();
  return () => {
    state.disposed = true;
    shell.transport.dispose();
  };
}

export default { render };
