// The runner's progress of a run (phases, bar, running means, warnings, log) and the
// results of a finished one (see ../runner.js).
import { h, clear } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtPct, fmtInt } from "../../lib/format.js";
import { kpiRow } from "../../lib/kpi.js";
import { table } from "../../lib/table.js";
import { select } from "../../lib/controls.js";
import { FINAL, progressPercent, runPhase, runTotals } from "./logic.js";

/** @typedef {import("../runner.js").RunnerContext} RunnerContext */

/** @param {RunnerContext} ctx */
export function progressSection(ctx) {
  const st = ctx.state.status;
  const sec = clear(ctx.sec.prog);
  if (!st) {
    sec.hidden = true;
    return;
  }
  sec.hidden = false;
  const total = st.total || 0;
  const done = st.done || 0;
  const pct = progressPercent(st);
  const phase = runPhase(st);
  const steps = ["Validate", "Agent", "Evaluate", "Complete"].map((label, i) =>
    h("span", { class: `axis-rn-phase${i < phase ? " past" : i === phase ? " current" : ""}` }, label));
  sec.append(
    h("div", { class: "axis-rn-step" },
      `Run ${st.run_id || ""} → `,
      h("b", { "data-testid": "result-name" }, st.dataset || ""),
      h("span", { class: `axis-rn-state axis-rn-state-${st.state}`, "data-testid": "run-state" }, st.state)),
    h("div", { class: "axis-rn-phases" }, steps),
    h("div", { class: "axis-rn-bar", "data-testid": "progress", "data-done": done, "data-total": total, "data-state": st.state },
      h("div", { class: `axis-rn-fill axis-rn-fill-${st.state}`, style: { width: `${pct}%` } })),
    h("div", { class: "axis-muted", "data-testid": "progress-text" },
      `${fmtInt(done)}/${total ? fmtInt(total) : "?"} (${pct}%)` +
        (st.elapsed !== null && st.elapsed !== undefined ? ` · ${st.elapsed.toFixed(1)} s` : "") +
        (st.stage ? ` · ${st.stage}` : "")),
  );
  /** @type {Array<[string, number]>} */
  const means = Object.entries(st.means || {});
  if (means.length && !FINAL.has(st.state)) {
    sec.append(h("div", { class: "axis-rn-means", "data-testid": "running-means" },
      means.map(([k, v]) => h("span", { class: "axis-rn-chip", style: { color: scoreColor(v) } }, `${k} ${fmtScore(v)}`))));
  }
  /** @type {Array<[string, number]>} */
  const warnings = Object.entries(st.metric_errors || {});
  if (warnings.length) {
    sec.append(h("div", { class: "axis-rn-warn", "data-testid": "warnings" },
      `${fmtInt(st.errors)} score(s) failed: `,
      warnings.map(([k, n]) => `${k} ${fmtInt(n)}${st.first_errors?.[k] ? ` (${st.first_errors[k]})` : ""}`).join("; ")));
  }
  if (st.agent && st.agent.failed) {
    sec.append(h("div", { class: "axis-rn-warn", "data-testid": "agent-warnings" },
      `The agent did not answer ${fmtInt(st.agent.failed)} of ${fmtInt(st.agent.called)} item(s); their outputs stay empty (see the log).`));
  }
  if (st.state === "failed" && st.error) {
    sec.append(h("div", { class: "axis-error", "data-testid": "run-error" }, st.error));
  }
  /** @type {Array<{level?: string, message: string}>} */
  const logs = st.log || [];
  if (logs.length) {
    sec.append(h("div", { class: "axis-rn-log", "data-testid": "log" },
      logs.slice(-12).map((l) => h("div", { class: `axis-rn-log-${l.level || "info"}` }, l.message))));
  }
}

/**
 * What the results section shows: the finished run being followed, or a past run opened.
 * @param {RunnerContext} ctx
 * @returns {null | {dataset: string, summary: any[], records: number, failed: number, earlier: string[], llm: any, past: boolean}}
 */
function shownRun(ctx) {
  const { state } = ctx;
  if (state.opened) {
    const o = state.opened;
    return { dataset: o.dataset, summary: o.summary, records: o.records, failed: o.failed, earlier: o.earlier, llm: null, past: true };
  }
  const st = state.status;
  if (!st || st.state !== "succeeded") return null;
  /** @type {any[]} */
  const past = state.setup?.results || [];
  const earlier = past.filter((r) => r.name !== st.dataset && r.source === (st.source || state.source)).map((r) => r.name);
  const failed = (st.errors || 0) + (st.agent?.failed || 0);
  return { dataset: st.dataset, summary: st.summary || [], records: st.records, failed, earlier, llm: st.llm, past: false };
}

/** @param {RunnerContext} ctx */
export function resultsSection(ctx) {
  const run = shownRun(ctx);
  const sec = clear(ctx.sec.result);
  if (!run) {
    sec.hidden = true;
    return;
  }
  sec.hidden = false;
  const st = { ...run, dataset: run.dataset };
  /** @type {any[]} */
  const rows = run.summary || [];
  const { avg, pass } = runTotals(rows);
  sec.append(
    kpiRow([
      { label: "Rows evaluated", value: st.records, text: fmtInt(st.records), testid: "kpi-rows" },
      { label: "Metrics", value: rows.length, text: fmtInt(rows.length), testid: "kpi-metrics" },
      { label: "Avg score", value: avg, text: fmtScore(avg), color: scoreColor(avg), testid: "kpi-avg" },
      { label: "Pass rate", value: pass, text: fmtPct(pass), color: scoreColor(pass), testid: "kpi-pass" },
    ]),
    table({
      testid: "summary", cls: "axis-rn-results", head: ["Metric", "Count", "Mean", "Min", "Max", "Pass rate", ""],
      rows: rows.map((r) => {
        const passing = (r.pass_rate ?? 0) >= 0.5;
        return h("tr", { "data-testid": "summary-row", "data-metric": r.metric_name, "data-mean": r.mean ?? "", "data-pass": r.pass_rate ?? "" },
          h("td", {}, r.metric_name),
          h("td", { class: "axis-num" }, fmtInt(r.count)),
          h("td", { class: "axis-num", style: { color: scoreColor(r.mean) } }, fmtScore(r.mean)),
          h("td", { class: "axis-num" }, fmtScore(r.min)),
          h("td", { class: "axis-num" }, fmtScore(r.max)),
          h("td", { class: "axis-num" }, fmtPct(r.pass_rate)),
          h("td", {}, h("span", { class: `axis-pill ${passing ? "axis-rn-pass" : "axis-rn-warnpill"}` }, passing ? "PASS" : "WARN")));
      }),
    }),
    h("div", { class: "axis-rn-toolbar" },
      h("button", { class: "axis-btn active", "data-testid": "open-scorecard", onclick: ctx.openScorecard }, "Open scorecard"),
      h("button", { class: "axis-btn", "data-testid": "new-run", onclick: ctx.newRun }, "New evaluation"),
      st.llm ? h("span", { class: "axis-muted", "data-testid": "llm-usage" },
        `LLM: ${fmtInt(st.llm.requests)} requests, ${fmtInt(st.llm.cache_hits)} cached, ${fmtInt((st.llm.tokens_in || 0) + (st.llm.tokens_out || 0))} tokens, $${(st.llm.cost || 0).toFixed(4)}`) : null,
      h("span", { class: "axis-muted", "data-testid": "scorecard-note" })),
    h("div", { class: "axis-rn-toolbar", "data-testid": "run-actions", "data-dataset": st.dataset },
      h("span", {}, "Download"),
      ["csv", "parquet", "json"].map((f) => h("button", { class: "axis-btn", "data-testid": `download-${f}`,
        onclick: () => ctx.download(st.dataset, f) }, f.toUpperCase())),
      h("button", { class: "axis-btn", "data-testid": "rerun-failed", disabled: !run.failed,
        title: run.failed ? "score only the failed rows again" : "nothing failed",
        onclick: () => ctx.rerunFailed(st.dataset) }, `Re-run failed (${fmtInt(run.failed)})`),
      run.earlier.length ? h("span", {}, "Compare with ", select({
        testid: "compare-earlier", first: ["", "— an earlier run —"], options: run.earlier.map((n) => [n, n]), value: "",
        onchange: (v) => v && ctx.compareWith(st.dataset, v),
      })) : h("span", { class: "axis-muted", "data-testid": "no-earlier" }, "no earlier run of this dataset to compare")),
  );
}
