// The calibration view's results: Comparison, Metrics, Insights and History tabs.
import { h, clear } from "../../lib/dom.js";
import { fmtInt, fmtPct, fmtScore, asText } from "../../lib/format.js";
import { kpiRow } from "../../lib/kpi.js";
import { tabButtons } from "../../lib/controls.js";
import { table, tableHead } from "../../lib/table.js";
import { alignmentCounts, filterRecords, interpretation, mark, pageOf } from "./logic.js";

const ROWS = 10;

/**
 * @typedef {object} ResultsContext
 * @property {any} state
 * @property {HTMLElement} box
 * @property {() => void} redraw
 * @property {() => void} analyse
 * @property {() => void} optimize
 * @property {() => void} applyAndRerun
 */

/** @param {ResultsContext} ctx */
export function resultsSection(ctx) {
  const { state, box } = ctx;
  clear(box);
  const run = state.payload && state.payload.run;
  if (!run) {
    box.append(h("div", { class: "axis-muted", "data-testid": "no-run" }, "No calibration run yet: label records, then run the judge."));
    return;
  }
  const tabs = /** @type {Array<[string, string]>} */ ([["comparison", "Comparison"], ["metrics", "Metrics"], ["insights", "Insights"], ["history", "History"]]);
  box.append(
    h("div", { class: "axis-header" },
      h("span", { class: "axis-title" }, `Results · run ${run.run.run_id}`),
      h("span", { class: "axis-muted", "data-testid": "run-judge" }, `judge ${run.run.judge_name} v${run.run.judge_version} · ${run.run.model || ""}`)),
    h("div", { class: "axis-cal-tabs" }, tabButtons(tabs, state.tab, (id) => { state.tab = id; ctx.redraw(); }, { prefix: "tab" })));
  const body = h("div", { class: "axis-cal-tab", "data-testid": `panel-${state.tab}` });
  box.append(body);
  if (state.tab === "comparison") comparison(ctx, body, run);
  else if (state.tab === "metrics") metrics(body, run.metrics);
  else if (state.tab === "insights") insights(ctx, body, run);
  else history(body, state.payload.history || []);
}

/** @param {ResultsContext} ctx @param {HTMLElement} body @param {any} run */
function comparison(ctx, body, run) {
  const { state } = ctx;
  const counts = alignmentCounts(run.records);
  const pills = /** @type {Array<[string, string]>} */ ([["all", `All (${counts.all})`], ["aligned", `Aligned (${counts.aligned})`], ["misaligned", `Misaligned (${counts.misaligned})`]]);
  const rows = filterRecords(run.records, state.filter);
  const page = pageOf(rows, state.page, ROWS);
  const trs = [];
  for (const r of page.rows) {
    const open = state.expanded.has(r.record_id);
    trs.push(h("tr", {
      class: `axis-cal-row ${r.aligned === false ? "mis" : ""}`, "data-testid": `row-${r.record_id}`,
      onclick: () => { open ? state.expanded.delete(r.record_id) : state.expanded.add(r.record_id); ctx.redraw(); },
    },
    h("td", { class: "axis-id" }, r.record_id),
    h("td", { class: "axis-wrap" }, asText(r.query || "").slice(0, 120)),
    h("td", { class: `axis-cal-mark ${r.human === 1 ? "yes" : "no"}` }, mark(r.human)),
    h("td", { class: `axis-cal-mark ${r.judge === 1 ? "yes" : "no"}` }, mark(r.judge)),
    h("td", {}, r.aligned === true ? "Aligned" : r.aligned === false ? "Misaligned" : "No verdict")));
    if (open) {
      trs.push(h("tr", { class: "axis-cal-detail", "data-testid": `detail-${r.record_id}` }, h("td", { colspan: "5" },
        h("div", { class: "axis-muted" }, "Response"), h("div", { class: "axis-text" }, asText(r.actual_output || "")),
        h("div", { class: "axis-muted" }, "Judge reasoning"), h("div", { class: "axis-text" }, asText(r.reasoning || r.error || "")))));
    }
  }
  body.append(
    h("div", { class: "axis-cal-pills" }, tabButtons(pills, state.filter, (id) => { state.filter = id; state.page = 1; ctx.redraw(); }, { prefix: "show" })),
    table({ testid: "comparison", head: tableHead(["ID", "Query", "Human", "Judge", "Status"]), rows: trs }),
    h("div", { class: "axis-pager" },
      h("button", { class: "axis-btn", disabled: page.page <= 1, onclick: () => { state.page = page.page - 1; ctx.redraw(); } }, "‹"),
      `page ${page.page} of ${page.pages}`,
      h("button", { class: "axis-btn", disabled: page.page >= page.pages, onclick: () => { state.page = page.page + 1; ctx.redraw(); } }, "›")));
}

/** @param {number | null | undefined} v */
const ratio = (v) => (v === null || v === undefined ? "—" : fmtPct(v));

/** @param {HTMLElement} body @param {any} m */
export function metrics(body, m) {
  const kappa = m.kappa === null || m.kappa === undefined ? "—" : fmtScore(m.kappa);
  const ci = m.kappa_ci_low === null || m.kappa_ci_low === undefined ? "no interval" : `95% CI ${fmtScore(m.kappa_ci_low)} – ${fmtScore(m.kappa_ci_high)}`;
  const [[tn, fp], [fn, tp]] = m.confusion;
  const cell = (/** @type {number} */ v, /** @type {string} */ cls, /** @type {string} */ id, /** @type {string} */ name) =>
    h("td", { class: `axis-cal-cell ${cls}`, "data-testid": id, "data-value": v }, h("b", {}, fmtInt(v)), h("div", { class: "axis-muted" }, name));
  const reasons = Object.entries(m.reasons || {});
  body.append(
    kpiRow([
      { label: "Cohen's κ", value: m.kappa, text: kappa, sub: [m.kappa_band || "undefined", " · ", ci], testid: "kpi-kappa" },
      { label: "F1", value: m.f1, text: m.f1 === null ? "—" : fmtScore(m.f1), testid: "kpi-f1" },
      { label: "Alignment", value: m.accuracy, text: ratio(m.accuracy), testid: "kpi-accuracy" },
      { label: "Samples", value: m.n, text: fmtInt(m.n), testid: "kpi-n" },
    ]),
    h("div", { class: "axis-cal-callout", "data-testid": "interpretation" }, interpretation(m)),
    kpiRow([
      { label: "Precision", value: m.precision, text: ratio(m.precision), testid: "kpi-precision" },
      { label: "Recall", value: m.recall, text: ratio(m.recall), testid: "kpi-recall" },
      { label: "Specificity", value: m.specificity, text: ratio(m.specificity), testid: "kpi-specificity" },
      { label: "Agreement", value: m.agreement_count, text: fmtInt(m.agreement_count), testid: "kpi-agreement" },
    ], { small: true }),
    h("table", { class: "axis-cal-confusion", "data-testid": "confusion" },
      h("tr", {}, h("th", {}, ""), h("th", {}, "Judge accept"), h("th", {}, "Judge reject")),
      h("tr", {}, h("th", {}, "Human accept"), cell(tp, "good", "tp", "TP"), cell(fn, "bad", "fn", "FN (too strict)")),
      h("tr", {}, h("th", {}, "Human reject"), cell(fp, "bad", "fp", "FP (too lenient)"), cell(tn, "good", "tn", "TN"))),
    h("div", { class: "axis-muted", "data-testid": "reasons" }, reasons.map(([k, v]) => h("div", {}, `${k}: ${v}`))));
}

/** @param {ResultsContext} ctx @param {HTMLElement} body @param {any} run */
function insights(ctx, body, run) {
  const { state } = ctx;
  const mis = run.misalignment;
  const opt = run.optimization;
  const llm = state.payload.llm_configured;
  body.append(h("div", { class: "axis-cal-actions" },
    h("button", { class: "axis-btn", "data-testid": "analyse", disabled: !llm || state.busy, onclick: () => ctx.analyse() }, "Analyze patterns"),
    h("button", { class: "axis-btn", "data-testid": "optimize", disabled: !llm || state.busy, onclick: () => ctx.optimize() }, "Generate optimized criteria"),
    opt && opt.changed ? h("button", { class: "axis-btn active", "data-testid": "apply", disabled: !llm || state.busy, onclick: () => ctx.applyAndRerun() }, "Apply & re-run →") : null,
    llm ? null : h("span", { class: "axis-muted" }, "Set ANTHROPIC_API_KEY to analyse with the LLM.")));
  if (mis) {
    body.append(h("div", { class: "axis-cal-insight", "data-testid": "misalignment" },
      kpiRow([
        { label: "Misaligned", value: mis.total_misaligned, text: fmtInt(mis.total_misaligned) },
        { label: "Too lenient (FP)", value: mis.false_positives, text: fmtInt(mis.false_positives) },
        { label: "Too strict (FN)", value: mis.false_negatives, text: fmtInt(mis.false_negatives) },
      ], { small: true }),
      h("p", { "data-testid": "summary" }, mis.summary),
      (mis.patterns || []).map((/** @type {any} */ p) => h("div", { class: "axis-cal-pattern" },
        h("b", {}, p.pattern_type === "false_positive" ? "Too lenient: " : "Too strict: "), p.description,
        h("span", { class: "axis-muted" }, ` (${(p.example_ids || []).join(", ")})`))),
      h("ol", { "data-testid": "recommendations" }, (mis.recommendations || []).map((/** @type {string} */ r) => h("li", {}, r)))));
  }
  if (opt) {
    body.append(h("div", { class: "axis-cal-insight", "data-testid": "optimization" },
      h("div", {}, h("b", {}, "Expected improvement: "), opt.expected_improvement || "—"),
      h("ul", {}, (opt.suggestions || []).map((/** @type {any} */ s) => h("li", {}, h("b", {}, `${s.aspect}: `), s.suggestion, h("div", { class: "axis-muted" }, s.rationale)))),
      h("details", {}, h("summary", { "data-testid": "view-criteria" }, "View optimized criteria"),
        h("pre", { class: "axis-cal-pre", "data-testid": "optimized-criteria" }, opt.evaluation_criteria))));
  }
}

/** @param {HTMLElement} body @param {any[]} rows */
function history(body, rows) {
  if (!rows.length) {
    body.append(h("div", { class: "axis-muted" }, "No runs yet."));
    return;
  }
  body.append(table({
    testid: "history",
    head: tableHead(["Judge", "Version", "Runs", "n", "κ", "κ 95% CI", "Accuracy", "F1", "Precision", "Recall", "Verdict"], { numFrom: 2 }),
    rows: rows.map((r) => h("tr", { "data-testid": `version-${r.judge_version}` },
      h("td", {}, r.judge_name), h("td", { class: "axis-num" }, `v${r.judge_version}`), h("td", { class: "axis-num" }, fmtInt(r.runs)),
      h("td", { class: "axis-num" }, fmtInt(r.n)), h("td", { class: "axis-num" }, r.kappa === null ? "—" : fmtScore(r.kappa)),
      h("td", { class: "axis-num" }, r.kappa_ci_low === null ? "—" : `${fmtScore(r.kappa_ci_low)} – ${fmtScore(r.kappa_ci_high)}`),
      h("td", { class: "axis-num" }, ratio(r.accuracy)), h("td", { class: "axis-num" }, r.f1 === null ? "—" : fmtScore(r.f1)),
      h("td", { class: "axis-num" }, ratio(r.precision)), h("td", { class: "axis-num" }, ratio(r.recall)), h("td", {}, r.verdict || "—"))),
  }));
}
