// The compare view's case-level diff (see ../compare.js): a paged list of the test cases
// of the pair, filtered by outcome and search and sorted, and one case side by side.
import { h, clear } from "../../lib/dom.js";
import { fmtScore, fmtInt, fmtSigned, deltaClass } from "../../lib/format.js";
import { pagedTable } from "../../lib/table.js";
import { labelledSelect, searchBox } from "../../lib/controls.js";
import { errorText } from "../../lib/transport.js";

/** @typedef {import("../compare.js").CompareContext} CompareContext */

const CASE_PAGE = 10;
/** @type {Array<[string, string]>} */
const OUTCOMES = [
  ["all", "All cases"], ["wins", "Challenger wins"], ["losses", "Baseline wins"], ["ties", "Ties"],
  ["large", "Large difference (≥ 0.10)"],
];
/** @type {Array<[string, string]>} */
const SORTS = [
  ["abs_delta", "|Δ|"], ["delta", "Δ"], ["case_id", "Case id"], ["baseline_score", "Baseline score"],
  ["challenger_score", "Challenger score"],
];

/** The label of an outcome filter ("wins" -> "Challenger wins"). @param {string} outcome */
export const outcomeLabel = (outcome) => (OUTCOMES.find((o) => o[0] === outcome) || [outcome, outcome])[1];

/**
 * The parameters of the "cases" action for the current filters.
 * @param {CompareContext} ctx
 * @param {object} extra
 */
function diffParams(ctx, extra) {
  const d = ctx.state.diff;
  /** @type {Record<string, any>} */
  const out = { ...ctx.pair(), outcome: d.outcome, sort_by: d.sort_by, descending: d.descending, filters: ctx.filters(), ...extra };
  if (d.search) out.search = d.search;
  return out;
}

/** @param {CompareContext} ctx */
export function diffSection(ctx) {
  const d = ctx.state.diff;
  const sec = clear(ctx.sections.diff);
  /** @param {() => void} fn */
  const change = (fn) => {
    fn();
    ctx.resetDiff();
    diffSection(ctx);
  };
  const controls = h("div", { class: "axis-strip" },
    labelledSelect({ label: "Show ", testid: "diff-outcome", options: OUTCOMES, value: d.outcome,
      onchange: (v) => change(() => { d.outcome = v; }) }),
    searchBox({ testid: "diff-search", placeholder: "Search id, query or responses…", value: d.search,
      onsearch: (text) => {
        d.search = text;
        ctx.resetDiff();
        loadList(ctx);
        loadDiff(ctx);
      } }),
    labelledSelect({ label: "Sort by ", testid: "diff-sort", options: SORTS, value: d.sort_by,
      onchange: (v) => change(() => { d.sort_by = v; }) }),
    h("button", { class: "axis-btn", "data-testid": "diff-dir",
      onclick: () => change(() => { d.descending = !d.descending; }) }, d.descending ? "↓ desc" : "↑ asc"));
  const list = h("div", { class: "axis-diff-list", "data-testid": "diff-list" });
  const detail = h("div", { class: "axis-diff", "data-testid": "diff" });
  sec.append(ctx.head("Case-level comparison"), controls, detail, list);
  ctx.sections.diffList = list;
  ctx.sections.diffDetail = detail;
  loadList(ctx);
  loadDiff(ctx);
}

/** One page of cases. @param {CompareContext} ctx */
async function loadList(ctx) {
  const my = ++ctx.state.listSeq; // an answer to an older request is dropped
  const list = ctx.sections.diffList;
  const d = ctx.state.diff;
  try {
    const data = await ctx.call("cases", diffParams(ctx, { page: d.page, page_size: CASE_PAGE }));
    if (my !== ctx.state.listSeq) return;
    clear(list).append(pagedTable({
      testid: "diff-cases",
      columns: [
        { key: "position", label: "#", class: "axis-num" },
        { key: "case_id", label: "Case", format: (v) => h("span", { class: "axis-id" }, v) },
        { key: "query", label: "Query", class: "axis-wrap" },
        { key: "baseline_score", label: "Baseline", class: "axis-num", format: (v) => fmtScore(v) },
        { key: "challenger_score", label: "Challenger", class: "axis-num", format: (v) => fmtScore(v) },
        { key: "delta", label: "Δ", class: "axis-num", format: (v) => h("span", { class: deltaClass(v) }, fmtSigned(v)) },
        { key: "outcome", label: "Winner", format: (v) => h("span", { class: `axis-chip axis-chip-${v}` }, v) },
      ],
      rows: data.rows, total: data.total, page: data.page, pageSize: data.page_size,
      onPage: (p) => { d.page = p; loadList(ctx); },
      rowAttrs: (r) => ({ class: `axis-click ${r.position === d.position ? "axis-current" : ""}`, "data-testid": "diff-row",
        "data-case": r.case_id, "data-position": r.position,
        onclick: () => { d.position = r.position; loadDiff(ctx); markCurrent(ctx); } }),
    }));
  } catch (err) {
    if (my === ctx.state.listSeq) clear(list).append(h("div", { class: "axis-error" }, errorText(err)));
  }
}

/** @param {CompareContext} ctx */
function markCurrent(ctx) {
  ctx.sections.diffList?.querySelectorAll("[data-testid=diff-row]").forEach((tr) =>
    tr.classList.toggle("axis-current", Number(/** @type {HTMLElement} */ (tr).dataset.position) === ctx.state.diff.position));
}

/** The case at the current position, side by side. @param {CompareContext} ctx */
async function loadDiff(ctx) {
  const my = ++ctx.state.diffSeq;
  const box = ctx.sections.diffDetail;
  box.classList.add("axis-loading");
  try {
    const data = await ctx.call("cases", diffParams(ctx, { page: ctx.state.diff.position, page_size: 1 }));
    if (my !== ctx.state.diffSeq) return;
    box.classList.remove("axis-loading");
    drawDiff(ctx, box, data);
  } catch (err) {
    if (my === ctx.state.diffSeq) {
      box.classList.remove("axis-loading");
      clear(box).append(h("div", { class: "axis-error" }, errorText(err)));
    }
  }
}

/**
 * @param {CompareContext} ctx
 * @param {HTMLElement} box
 * @param {any} data one page of one case
 */
function drawDiff(ctx, box, data) {
  const { state } = ctx;
  clear(box);
  const total = data.total || 0;
  const r = (data.rows || [])[0];
  const pos = r ? r.position : 0;
  /** @param {number} p */
  const go = (p) => {
    state.diff.position = p;
    const page = Math.floor((p - 1) / CASE_PAGE) + 1;
    if (page !== state.diff.page) {
      state.diff.page = page;
      loadList(ctx);
    } else markCurrent(ctx);
    loadDiff(ctx);
  };
  const jump = h("input", { class: "axis-input axis-jump", type: "number", min: 1, max: total, value: pos || "",
    "data-testid": "diff-jump", title: "Jump to case number",
    onchange: (/** @type {any} */ e) => { const v = Math.max(1, Math.min(total, Number(e.target.value) || 1)); go(v); } });
  box.append(h("div", { class: "axis-strip" },
    h("button", { class: "axis-btn", "data-testid": "diff-prev", disabled: pos <= 1, onclick: () => go(pos - 1) }, "‹ Prev"),
    h("span", { "data-testid": "diff-position", "data-position": pos, "data-total": total }, `Case `, jump, ` of ${fmtInt(total)}`),
    h("button", { class: "axis-btn", "data-testid": "diff-next", disabled: pos >= total, onclick: () => go(pos + 1) }, "Next ›"),
    r ? h("span", { class: `axis-chip axis-chip-${r.outcome}`, "data-testid": "diff-outcome-chip" },
      r.outcome === "tie" ? "tie" : `${r.outcome === "challenger" ? state.payload.challenger : state.payload.baseline} wins`) : null));
  if (!r) {
    box.append(h("div", { class: "axis-empty" }, "No test case matches these filters."));
    box.dataset.case = "";
    return;
  }
  box.dataset.case = r.case_id;
  box.append(
    h("div", { class: "axis-query" }, h("span", { class: "axis-muted" }, `${r.case_id} · query`),
      h("div", { class: "axis-text", "data-testid": "diff-query" }, r.query ?? "—")),
    h("div", { class: "axis-row" },
      response(`Baseline · ${state.payload.baseline}`, r.baseline_response, "diff-baseline-response"),
      response(`Challenger · ${state.payload.challenger}`, r.challenger_response, "diff-challenger-response")),
    h("table", { class: "axis-table axis-diff-metrics", "data-testid": "diff-metrics" },
      h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", { class: "axis-num" }, "Baseline"),
        h("th", { class: "axis-num" }, "Challenger"), h("th", { class: "axis-num" }, "Δ"))),
      h("tbody", {},
        (r.metrics || []).map((/** @type {any} */ m) => h("tr", { "data-testid": "diff-metric", "data-metric": m.metric_name, "data-delta": m.delta ?? "" },
          h("td", {}, m.metric_name),
          h("td", { class: "axis-num" }, fmtScore(m.baseline)),
          h("td", { class: "axis-num" }, fmtScore(m.challenger)),
          h("td", { class: "axis-num" }, h("span", { class: deltaClass(m.delta) }, fmtSigned(m.delta))))),
        h("tr", { class: "axis-overall", "data-testid": "diff-overall", "data-delta": r.delta ?? "" },
          h("td", {}, h("b", {}, "Overall score")),
          h("td", { class: "axis-num" }, h("b", {}, fmtScore(r.baseline_score))),
          h("td", { class: "axis-num" }, h("b", {}, fmtScore(r.challenger_score))),
          h("td", { class: "axis-num" }, h("b", { class: deltaClass(r.delta) }, fmtSigned(r.delta)))))));
}

/**
 * One experiment's response, clipped until expanded.
 * @param {string} title @param {string | null | undefined} text @param {string} testid
 */
function response(title, text, testid) {
  const t = h("div", { class: "axis-text axis-clip", "data-testid": testid }, text ?? "—");
  return h("div", { class: "axis-resp" },
    h("div", { class: "axis-resp-head" }, h("b", {}, title),
      h("button", { class: "axis-btn axis-link", onclick: (/** @type {any} */ e) => {
        t.classList.toggle("axis-clip");
        e.target.textContent = t.classList.contains("axis-clip") ? "Expand" : "Collapse";
      } }, "Expand")), t);
}
