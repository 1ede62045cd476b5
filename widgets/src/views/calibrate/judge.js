// The calibration view's left and right columns: pattern insights, and the judge editor
// (Model | Prompt | Examples) with the run bar.
import { h, clear } from "../../lib/dom.js";
import { fmtInt, fmtPct } from "../../lib/format.js";
import { tabButtons } from "../../lib/controls.js";
import { appendPattern, mark } from "./logic.js";

/**
 * @typedef {object} JudgeContext
 * @property {any} state
 * @property {HTMLElement} left
 * @property {HTMLElement} right
 * @property {() => void} redraw
 * @property {() => void} run
 * @property {() => void} saveJudge
 * @property {() => void} findPatterns
 * @property {(strategy: string, count: number) => void} suggest
 */

/** @param {JudgeContext} ctx */
export function patternsSection(ctx) {
  const { state, left } = ctx;
  const p = state.patterns;
  const methods = /** @type {Array<[string, string]>} */ ([["local", "Local"], ["llm", "LLM"]]);
  clear(left).append(
    h("div", { class: "axis-header" }, h("span", { class: "axis-title" }, "Pattern insights"),
      h("span", { class: "axis-muted", "data-testid": "pattern-count" },
        p ? `${p.patterns.length} patterns · ${fmtInt(p.metadata.with_text)} notes` : "")),
    h("div", { class: "axis-cal-row-flex" },
      h("span", { class: "axis-muted" }, "Clustering:"),
      tabButtons(methods, state.method, (id) => { state.method = id; ctx.redraw(); }, { prefix: "method" }),
      h("button", { class: "axis-btn", "data-testid": "find-patterns", disabled: state.busy, onclick: () => ctx.findPatterns() }, p ? "↻ Refresh" : "Find patterns")),
    p ? h("div", { class: "axis-cal-patterns", "data-testid": "patterns" },
      p.patterns.length ? p.patterns.map((/** @type {any} */ c, /** @type {number} */ i) => h("div", { class: "axis-cal-card", "data-testid": `pattern-${i}` },
        h("div", {}, h("b", {}, c.category), h("span", { class: "axis-muted" }, ` · ${c.count}`)),
        c.description ? h("div", { class: "axis-muted" }, c.description) : null,
        (c.examples || []).map((/** @type {string} */ e) => h("div", { class: "axis-cal-quote" }, `“${e}”`)),
        h("button", { class: "axis-btn", "data-testid": `use-pattern-${i}`,
          onclick: () => { state.judge.evaluation_criteria = appendPattern(state.judge.evaluation_criteria, c); state.judgeTab = "prompt"; ctx.redraw(); } }, "Use as criteria")))
        : h("div", { class: "axis-muted" }, "No recurring pattern (each needs 2 notes or more)."),
      (p.learnings || []).map((/** @type {any} */ l) => h("div", { class: "axis-cal-card learning", "data-testid": "learning" },
        h("div", {}, h("b", {}, l.title), h("span", { class: "axis-muted" }, ` · confidence ${fmtPct(l.confidence, 0)}`)),
        h("div", {}, l.content),
        l.recommended_actions && l.recommended_actions.length ? h("ul", {}, l.recommended_actions.map((/** @type {string} */ a) => h("li", {}, a))) : null,
        l.when_not_to_apply ? h("div", { class: "axis-muted" }, `Not when: ${l.when_not_to_apply}`) : null)),
      p.metadata.learnings_skipped && p.metadata.distilled === false ? h("div", { class: "axis-muted" }, `Learnings: ${p.metadata.learnings_skipped}`) : null)
      : h("div", { class: "axis-muted" }, "Cluster the critiques people wrote into recurring patterns (Local needs no network)."));
}

/** @param {JudgeContext} ctx */
export function judgeSection(ctx) {
  const { state, right } = ctx;
  const j = state.judge;
  const tabs = /** @type {Array<[string, string]>} */ ([["model", "Model"], ["prompt", "Prompt"], ["examples", `Examples (${(j.few_shot_examples || []).length})`]]);
  const body = h("div", { class: "axis-cal-tab" });
  /** @param {string} key @param {string} testid @param {number} rows */
  const area = (key, testid, rows) => {
    const t = /** @type {HTMLTextAreaElement} */ (h("textarea", { class: "axis-cal-area", rows: String(rows), "data-testid": testid,
      oninput: () => { j[key] = t.value; } }));
    t.value = j[key] || "";
    return t;
  };
  if (state.judgeTab === "model") {
    body.append(
      h("label", { class: "axis-cal-field" }, "Judge name ", h("input", { class: "axis-input", value: j.name, "data-testid": "judge-name",
        oninput: (/** @type {Event} */ e) => { j.name = /** @type {HTMLInputElement} */ (e.target).value; } })),
      h("label", { class: "axis-cal-field" }, "Model ", h("input", { class: "axis-input", value: j.model, "data-testid": "judge-model",
        oninput: (/** @type {Event} */ e) => { j.model = /** @type {HTMLInputElement} */ (e.target).value; } })),
      h("label", { class: "axis-cal-field" }, "Temperature ", h("input", { class: "axis-input", type: "number", min: "0", max: "2", step: "0.1", value: j.temperature,
        "data-testid": "judge-temperature", oninput: (/** @type {Event} */ e) => { j.temperature = Number(/** @type {HTMLInputElement} */ (e.target).value); } })),
      h("div", {}, state.payload.llm_configured ? null : h("div", { class: "axis-muted", "data-testid": "no-key" },
        "No API key: set ANTHROPIC_API_KEY in the server's (or kernel's) environment to run the judge.")));
  } else if (state.judgeTab === "prompt") {
    body.append(
      h("div", { class: "axis-muted" }, "The criteria go where the system prompt says {evaluation_criteria}."),
      h("div", { class: "axis-muted" }, "System prompt"), area("system_prompt", "system-prompt", 6),
      h("div", { class: "axis-muted" }, "Evaluation criteria"), area("evaluation_criteria", "criteria", 7),
      h("button", { class: "axis-btn", "data-testid": "reset-prompt", onclick: () => {
        j.system_prompt = state.payload.defaults.system_prompt;
        j.evaluation_criteria = state.payload.defaults.evaluation_criteria;
        ctx.redraw();
      } }, "Reset to default"));
  } else {
    const strategy = /** @type {HTMLSelectElement} */ (h("select", { class: "axis-select", "data-testid": "strategy" },
      [["balanced", "Balanced"], ["misalignment", "Edge cases (misaligned)"], ["pattern", "One per pattern"]].map(([v, l]) => h("option", { value: v }, l))));
    body.append(
      (j.few_shot_examples || []).map((/** @type {any} */ ex, /** @type {number} */ i) => h("div", { class: "axis-cal-card", "data-testid": `example-${i}` },
        h("div", {}, h("b", {}, mark(ex.score), ex.score === 1 ? " accept" : " reject"), ex.record_id ? h("span", { class: "axis-muted axis-id" }, ` ${ex.record_id}`) : null,
          h("button", { class: "axis-btn axis-cal-x", title: "Remove", "data-testid": `remove-example-${i}`,
            onclick: () => { j.few_shot_examples.splice(i, 1); ctx.redraw(); } }, "×")),
        h("div", { class: "axis-cal-quote" }, (ex.query || "").slice(0, 140)),
        h("div", { class: "axis-muted" }, (ex.reasoning || "").slice(0, 200)))),
      h("div", { class: "axis-cal-row-flex" }, "Suggest", strategy,
        h("button", { class: "axis-btn", "data-testid": "suggest", disabled: state.busy, onclick: () => ctx.suggest(strategy.value, 4) }, "Suggest 4")));
  }
  const runBar = h("div", { class: "axis-cal-runbar", "data-testid": "run-bar" },
    h("span", {}, `${j.model} · ${fmtInt(state.payload.labelled.total)} labelled records`),
    h("button", { class: "axis-btn", "data-testid": "save-judge", disabled: state.busy, onclick: () => ctx.saveJudge() }, "Save version"),
    h("button", { class: "axis-btn active", "data-testid": "run", disabled: state.busy || !state.payload.llm_configured || !state.payload.labelled.total,
      onclick: () => ctx.run() }, "▶ Run evaluation"),
    state.job ? h("div", { class: "axis-cal-progress", "data-testid": "run-progress", "data-state": state.job.state },
      h("div", { style: { width: `${state.job.total ? Math.round((100 * state.job.done) / state.job.total) : 0}%` } }),
      h("span", {}, `${state.job.state} ${fmtInt(state.job.done || 0)}/${fmtInt(state.job.total || 0)}`)) : null);
  clear(right).append(
    h("div", { class: "axis-header" }, h("span", { class: "axis-title" }, "LLM judge"),
      h("span", { class: "axis-muted", "data-testid": "judge-version" }, j.version ? `${j.name} v${j.version}` : `${j.name} (unsaved)`)),
    h("div", { class: "axis-cal-tabs" }, tabButtons(tabs, state.judgeTab, (id) => { state.judgeTab = id; ctx.redraw(); }, { prefix: "judge" })),
    body, runBar);
}
