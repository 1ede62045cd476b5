// The compare view's summary sections (see ../compare.js): KPIs, the performance grid,
// the verdict, the per-metric table and the win/loss split.
import { h, clear } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtPct, fmtInt, fmtSigned, fmtPctSigned, fmtP, deltaClass } from "../../lib/format.js";
import { kpiRow } from "../../lib/kpi.js";
import { sortArrow, nextSort } from "../../lib/table.js";
import { sortNullsLast } from "../../lib/hierarchy.js";
import { diffSection, outcomeLabel } from "./diff.js";

/** @typedef {import("../compare.js").CompareContext} CompareContext */

/** @type {Array<[string, string, boolean]>} key, label, numeric */
const COLUMNS = [
  ["metric_name", "Metric", false], ["baseline_mean", "Baseline", true], ["challenger_mean", "Challenger", true],
  ["delta", "Δ", true], ["pct_change", "Δ %", true], ["test", "Test", false], ["p_value", "p", true],
  ["p_value_adjusted", "p (Holm)", true], ["cohens_d", "Cohen's d", true], ["ci_low", "95% CI of Δ", true],
  ["n_pairs", "n pairs", true], ["significant", "Significant", false],
];
/** @type {Record<string, string>} */
const TEST_LABEL = { paired_t: "paired t", welch: "Welch t" };

/** @param {CompareContext} ctx */
export function kpisSection({ state, sections }) {
  const p = state.payload;
  /** @type {any[]} */
  const stats = p.experiment_stats || [];
  const cases = Math.max(0, ...stats.map((s) => s.cases || 0));
  const means = stats.map((s) => s.mean).filter((v) => v !== null && v !== undefined);
  const avg = means.length ? means.reduce((a, b) => a + b, 0) / means.length : null;
  const lead = p.leading || {};
  clear(sections.kpis).append(kpiRow([
    { label: "Experiments", value: (p.experiments || []).length, text: fmtInt((p.experiments || []).length), testid: "kpi-experiments" },
    { label: "Test cases", value: cases, text: fmtInt(cases), testid: "kpi-cases" },
    { label: "Leading experiment", value: lead.experiment || "", text: lead.experiment || "—", testid: "kpi-leading",
      sub: lead.vs_next !== null && lead.vs_next !== undefined ? `${fmtPctSigned(lead.vs_next)} vs next` : null },
    { label: "Average score", value: avg, text: fmtScore(avg), color: scoreColor(avg), testid: "kpi-average" },
  ]));
}

/** The experiments × metrics grid of means, collapsible. @param {CompareContext} ctx */
export function gridSection(ctx) {
  const { state, sections } = ctx;
  const p = state.payload;
  /** @type {string[]} */
  const exps = p.experiments || [];
  /** @type {any[]} */
  const grid = p.grid || [];
  const metrics = [...new Set(grid.map((r) => r.metric_name))];
  const at = new Map(grid.map((r) => [`${r.evaluation_name}\u0000${r.metric_name}`, r]));
  const stats = new Map((p.experiment_stats || []).map((/** @type {any} */ s) => [s.evaluation_name, s]));
  const toggle = h("button", { class: "axis-btn axis-link", "data-testid": "grid-toggle",
    onclick: () => { state.showGrid = !state.showGrid; gridSection(ctx); } }, state.showGrid ? "Collapse" : "Expand");
  clear(sections.grid).append(ctx.head("Performance summary", toggle));
  if (!state.showGrid) return;
  sections.grid.append(h("div", { class: "axis-scroll" }, h("table", { class: "axis-table axis-grid", "data-testid": "grid" },
    h("thead", {}, h("tr", {}, h("th", {}, "Experiment"), h("th", { class: "axis-num" }, "Cases"), h("th", { class: "axis-num" }, "Mean"),
      metrics.map((m) => h("th", { class: "axis-num" }, m)))),
    h("tbody", {}, exps.map((e) => {
      const s = stats.get(e) || {};
      // the pair compared head to head are the grid's selected rows (theme colours: legible in dark)
      const chosen = e === state.baseline || e === state.challenger;
      return h("tr", { "data-exp": e, class: chosen ? "axis-row-selected" : undefined, "aria-selected": chosen ? "true" : undefined },
        h("td", {}, h("b", {}, e), e === state.baseline ? h("span", { class: "axis-tag" }, "baseline") : null,
          e === state.challenger ? h("span", { class: "axis-tag axis-tag-c" }, "challenger") : null),
        h("td", { class: "axis-num" }, fmtInt(s.cases)),
        // the band as a dot beside text in the theme's colour: green text on a tinted row
        // (or on white) falls below WCAG's 4.5:1
        h("td", { class: "axis-num" }, h("span", { class: "axis-dot", style: { background: scoreColor(s.mean) }, "aria-hidden": "true" }),
          h("b", {}, fmtScore(s.mean))),
        metrics.map((m) => {
          const r = at.get(`${e}\u0000${m}`);
          const v = r ? r.mean : null;
          return h("td", { class: "axis-num axis-tile", "data-metric": m, "data-value": v ?? "",
            style: { background: v === null ? "" : `${scoreColor(v)}22` },
            title: r ? `${e} · ${m}\nmean ${fmtScore(v)} · std ${fmtScore(r.std)} · pass ${fmtPct(r.pass_rate)} · n ${r.count}` : "" }, fmtScore(v));
        }));
    })))));
}

/** The winner, the overall change and the metrics won. @param {CompareContext} ctx */
export function verdictSection({ state, sections }) {
  const p = state.payload;
  const v = p.verdict || {};
  const name = v.winner === "challenger" ? p.challenger : v.winner === "baseline" ? p.baseline : "Tie";
  const sig = (p.metrics || []).filter((/** @type {any} */ m) => m.significant).length;
  clear(sections.verdict).append(
    h("div", { class: "axis-vs" }, h("b", {}, p.baseline), h("span", { class: "axis-muted" }, " vs "), h("b", {}, p.challenger)),
    kpiRow([
      { label: "Winner", value: v.winner || "", text: name, testid: "verdict-winner",
        color: v.winner === "tie" ? undefined : "#16a34a",
        sub: `${v.significant_wins ?? 0} significant wins · ${v.significant_losses ?? 0} losses (Holm)` },
      { label: "Overall change", value: v.mean_pct_change, text: fmtPctSigned(v.mean_pct_change), testid: "verdict-change",
        color: v.mean_pct_change > 0 ? "#16a34a" : v.mean_pct_change < 0 ? "#dc2626" : undefined, sub: "mean of per-metric % change" },
      { label: "Metrics won", value: v.metrics_won, text: `${v.metrics_won ?? 0}/${v.metrics ?? 0}`, testid: "verdict-won",
        sub: `${sig} significant at α = ${p.alpha}` },
    ]));
}

/** The per-metric statistics, sortable by any column. @param {CompareContext} ctx */
export function metricsSection(ctx) {
  const { state, sections } = ctx;
  const { key, dir } = state.sort;
  /** @param {[string, string, boolean]} col */
  const th = ([k, label, num]) => h("th", {
    class: `axis-sortable ${num ? "axis-num" : ""}`, "data-testid": `sort-${k}`, "data-sort": key === k ? (dir > 0 ? "asc" : "desc") : "",
    onclick: () => {
      state.sort = nextSort(state.sort, k, num ? -1 : 1);
      ctx.saveParams();
      metricsSection(ctx);
    },
  }, label, sortArrow(state.sort, k));
  clear(sections.table).append(
    ctx.head("Per-metric breakdown", h("span", { class: "axis-muted" },
      " paired t (with Wilcoxon) when the same cases were scored by both, Welch otherwise; p (Holm) corrects for testing every metric")),
    h("div", { class: "axis-scroll" }, h("table", { class: "axis-table axis-metrics", "data-testid": "metrics-table" },
      h("thead", {}, h("tr", {}, COLUMNS.map(th))),
      h("tbody", {}, sortNullsLast(state.payload.metrics || [], key, dir).map(metricRow)))));
}

/** @param {any} r */
function metricRow(r) {
  /** @param {string} k @param {import("../../lib/dom.js").Child} content @param {object} [extra] */
  const cell = (k, content, extra = {}) => h("td", { class: "axis-num", "data-col": k, "data-value": r[k] ?? "", ...extra }, content);
  return h("tr", {
    "data-testid": "metric-row", "data-metric": r.metric_name, class: r.significant ? "axis-sig" : "",
    title: r.note || "",
  },
  h("td", { "data-col": "metric_name" }, r.metric_name, r.note ? h("span", { class: "axis-note axis-info", title: r.note, "aria-label": r.note }, "i") : null),
  cell("baseline_mean", fmtScore(r.baseline_mean)),
  cell("challenger_mean", fmtScore(r.challenger_mean)),
  cell("delta", h("span", { class: deltaClass(r.delta) }, fmtSigned(r.delta))),
  cell("pct_change", h("span", { class: deltaClass(r.pct_change) }, fmtPctSigned(r.pct_change))),
  h("td", { "data-col": "test", "data-value": r.test ?? "",
    title: r.wilcoxon_p !== null && r.wilcoxon_p !== undefined ? `Wilcoxon signed-rank p = ${fmtP(r.wilcoxon_p)}` : "" },
  TEST_LABEL[r.test] || r.test || "—"),
  cell("p_value", [fmtP(r.p_value), r.stars ? h("span", { class: "axis-stars" }, ` ${r.stars}`) : null],
    { title: `p = ${fmtP(r.p_value)}${r.stars ? ` (${r.stars})` : ""}\n* < .05, ** < .01, *** < .001\nCohen's d = ${fmtScore(r.cohens_d, 2)}` }),
  cell("p_value_adjusted", fmtP(r.p_value_adjusted)),
  cell("cohens_d", [fmtScore(r.cohens_d, 2), r.effect_size ? h("span", { class: `axis-effect axis-effect-${r.effect_size}` }, r.effect_size) : null]),
  h("td", { class: "axis-num", "data-col": "ci", "data-low": r.ci_low ?? "", "data-high": r.ci_high ?? "" },
    r.ci_low === null || r.ci_low === undefined ? "—" : `[${fmtSigned(r.ci_low)}, ${fmtSigned(r.ci_high)}]`),
  cell("n_pairs", fmtInt(r.n_pairs)),
  h("td", { "data-col": "significant", "data-value": String(!!r.significant) },
    r.significant ? h("span", { class: `axis-badge ${r.delta > 0 ? "axis-badge-up" : "axis-badge-down"}` }, r.delta > 0 ? "better" : "worse")
      : h("span", { class: "axis-muted" }, "n.s.")));
}

/** Wins, losses and ties per test case, with jumps into the case-level diff. @param {CompareContext} ctx */
export function winsSection(ctx) {
  const { state, sections } = ctx;
  const p = state.payload;
  /** @type {any[]} */
  const rows = p.win_loss || [];
  const total = rows.reduce((a, r) => a + (r.cases || 0), 0);
  /** @param {any} r */
  const label = (r) => (r.outcome === "tie" ? "Tie" : `${r.experiment} (${r.outcome})`);
  const table = h("table", { class: "axis-table axis-wins", "data-testid": "wins-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Outcome"), h("th", { class: "axis-num" }, "Cases"), h("th", { class: "axis-num" }, "Win rate"),
      h("th", {}, ""), h("th", { class: "axis-num" }, "Mean Δ"))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-outcome": r.outcome, "data-cases": r.cases },
      h("td", {}, label(r)), h("td", { class: "axis-num" }, fmtInt(r.cases)), h("td", { class: "axis-num" }, fmtPct(r.share)),
      h("td", { class: "axis-barcell" }, h("div", { class: `axis-hbar axis-hbar-${r.outcome}`, style: { width: `${Math.round((r.share || 0) * 100)}%` } })),
      h("td", { class: "axis-num" }, h("span", { class: deltaClass(r.mean_delta) }, fmtSigned(r.mean_delta)))))));
  /** @param {string} outcome */
  const jump = (outcome) => h("button", { class: "axis-btn", onclick: () => {
    state.diff.outcome = outcome;
    ctx.resetDiff();
    diffSection(ctx);
    sections.diff.scrollIntoView({ block: "start", behavior: "smooth" });
  } }, outcomeLabel(outcome));
  clear(sections.wins).append(ctx.head("Win / loss per test case", h("span", { class: "axis-muted" }, ` ${fmtInt(total)} cases scored by both`)),
    h("div", { class: "axis-row" },
      ctx.charts.main.box(p.charts?.pie, "chart-pie"),
      h("div", { class: "axis-grow" }, table,
        h("div", { class: "axis-strip" }, h("span", { class: "axis-muted" }, "Most divergent: "), jump("wins"), jump("losses"), jump("ties")))));
}
