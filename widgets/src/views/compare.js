// The compare view (anywidget front end): experiments side by side and head to head.
// Python side: axis_jupyter/views/compare.py (actions payload, cases, distribution, scatter,
// agreement, export). Every statistic shown is the one those actions (and ds.compare)
// return; charts are their Vega-Lite specs; case lists are paged server-side.
import "../lib/ui.css";
import "./compare.css";
import { createTransport, viewCalls } from "../lib/transport.js";
import { h, clear, kpiCard, pagedTable, scoreColor, fmtScore, fmtPct, fmtInt } from "../lib/ui.js";
import { renderVegaLite } from "../lib/vega.js";

const CASE_PAGE = 10;
const OUTCOMES = [
  ["all", "All cases"], ["wins", "Challenger wins"], ["losses", "Baseline wins"], ["ties", "Ties"],
  ["large", "Large difference (≥ 0.10)"],
];
const SORTS = [
  ["abs_delta", "|Δ|"], ["delta", "Δ"], ["case_id", "Case id"], ["baseline_score", "Baseline score"],
  ["challenger_score", "Challenger score"],
];
const COLUMNS = [
  // key, label, numeric
  ["metric_name", "Metric", false], ["baseline_mean", "Baseline", true], ["challenger_mean", "Challenger", true],
  ["delta", "Δ", true], ["pct_change", "Δ %", true], ["test", "Test", false], ["p_value", "p", true],
  ["p_value_adjusted", "p (Holm)", true], ["cohens_d", "Cohen's d", true], ["ci_low", "95% CI of Δ", true],
  ["n_pairs", "n pairs", true], ["significant", "Significant", false],
];
const TEST_LABEL = { paired_t: "paired t", welch: "Welch t" };

function debounce(fn, ms) {
  let t = null;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

const fmtSigned = (v, d = 3) => (v === null || v === undefined ? "—" : `${v > 0 ? "+" : ""}${Number(v).toFixed(d)}`);
const fmtPctSigned = (v) => (v === null || v === undefined ? "—" : `${v > 0 ? "+" : ""}${(v * 100).toFixed(1)}%`);
function fmtP(p) {
  if (p === null || p === undefined) return "—";
  return p < 0.001 ? p.toExponential(2) : p.toFixed(4);
}
const deltaClass = (v) => (v === null || v === undefined || v === 0 ? "" : v > 0 ? "axis-up" : "axis-down");

function render({ model, el }) {
  const transport = createTransport(model);
  const p0 = model.get("params") || {};
  const ui0 = p0.ui || {};
  const state = {
    payload: null,
    baseline: p0.baseline || null,
    challenger: p0.challenger || null,
    sort: ui0.sort || { key: null, dir: 1 },
    chartTab: ui0.chart || "bar",
    showGrid: true,
    diff: { outcome: "all", search: "", sort_by: "abs_delta", descending: true, page: 1, position: 1 },
    charts: { dist: null, scatter: null, threshold: 0.5 },
    live: { main: [], chart: [] },
    seq: 0,
    listSeq: 0,
    diffSeq: 0,
    chartSeq: 0,
  };

  const root = h("div", { class: "axis-view axis-compare", "data-testid": "axis-compare" });
  const header = h("div", { class: "axis-header" });
  const errorBox = h("div", { class: "axis-error", hidden: true, "data-testid": "error" });
  const main = h("div", { class: "axis-body" });
  const status = h("div", { class: "axis-status", "data-testid": "status" });
  root.append(header, errorBox, main, status);
  el.append(root);

  // ---------------------------------------------------------------- calls
  const { call, showError } = viewCalls(transport, { root, status, errorBox });

  const pair = () => ({ baseline: state.baseline, challenger: state.challenger });
  const filters = () => (state.payload && state.payload.filters) || p0.filters || {};

  function saveParams() {
    const p = { ...(model.get("params") || {}), ui: { sort: state.sort, chart: state.chartTab } };
    if (state.baseline) p.baseline = state.baseline;
    if (state.challenger) p.challenger = state.challenger;
    model.set("params", p);
    model.save_changes();
  }

  async function update() {
    const my = ++state.seq;
    root.classList.add("axis-busy");
    try {
      const params = { filters: filters() };
      for (const k of ["baseline", "challenger", "metrics", "alpha"]) {
        const v = k === "baseline" || k === "challenger" ? state[k] : p0[k];
        if (v !== null && v !== undefined && v !== "") params[k] = v;
      }
      const payload = await call("payload", params);
      if (my !== state.seq) return;
      showError(null);
      show(payload);
      model.set("snapshot", payload);
      model.save_changes();
    } catch (err) {
      if (my === state.seq) showError(err);
    } finally {
      if (my === state.seq) root.classList.remove("axis-busy");
    }
  }

  // ---------------------------------------------------------------- charts
  function drop(slot) {
    for (const c of state.live[slot]) c.finalize();
    state.live[slot] = [];
  }

  function chartBox(spec, testid, slot, cls = "") {
    const box = h("div", { class: `axis-chart ${cls}`, "data-testid": testid });
    if (!spec) {
      box.append(h("div", { class: "axis-muted" }, "No chart for this selection."));
      return box;
    }
    const gen = slot === "chart" ? state.chartSeq : state.seq;
    // renderVegaLite sizes "container" specs once the caller has attached the box
    renderVegaLite(box, spec)
      .then((c) => {
        const now = slot === "chart" ? state.chartSeq : state.seq;
        if (now !== gen) c.finalize();
        else {
          state.live[slot].push(c);
          box.dataset.rendered = "1";
        }
      })
      .catch((err) => box.append(h("div", { class: "axis-muted" }, `chart unavailable: ${err.message || err}`)));
    return box;
  }

  // ---------------------------------------------------------------- layout
  const sections = {};
  function show(payload) {
    state.payload = payload;
    state.baseline = payload.baseline || state.baseline;
    state.challenger = payload.challenger || state.challenger;
    drop("main");
    drop("chart");
    clear(header);
    clear(main);
    header.append(h("div", { class: "axis-title" }, "Compare ", h("span", { class: "axis-muted" }, payload.dataset)));
    if (payload.need_experiments) {
      main.append(h("div", { class: "axis-empty", "data-testid": "need-experiments" },
        h("div", { class: "axis-title" }, "Need multiple experiments"),
        h("div", {}, payload.message || "Comparing needs at least two experiments."),
        h("ul", {}, (payload.experiments || []).map((e) => h("li", {}, e)))));
      return;
    }
    header.append(exportButtons());
    for (const k of ["kpis", "grid", "pickers", "verdict", "table", "wins", "diff", "charts"]) {
      sections[k] = h("div", { class: `axis-section axis-sec-${k}`, "data-testid": `section-${k}` });
      main.append(sections[k]);
    }
    renderKpis();
    renderGrid();
    renderPickers();
    renderVerdict();
    renderTable();
    renderWins();
    renderDiff();
    renderCharts();
    root.dataset.pair = `${payload.baseline}|${payload.challenger}`;
  }

  function head(title, extra) {
    return h("div", { class: "axis-subhead" }, h("span", {}, title), extra || null);
  }

  // ---------------------------------------------------------------- KPIs and the summary grid
  function renderKpis() {
    const p = state.payload;
    const stats = p.experiment_stats || [];
    const cases = Math.max(0, ...stats.map((s) => s.cases || 0));
    const means = stats.map((s) => s.mean).filter((v) => v !== null && v !== undefined);
    const avg = means.length ? means.reduce((a, b) => a + b, 0) / means.length : null;
    const lead = p.leading || {};
    clear(sections.kpis).append(h("div", { class: "axis-kpis" },
      kpiCard({ label: "Experiments", value: (p.experiments || []).length, text: fmtInt((p.experiments || []).length), testid: "kpi-experiments" }),
      kpiCard({ label: "Test cases", value: cases, text: fmtInt(cases), testid: "kpi-cases" }),
      kpiCard({ label: "Leading experiment", value: lead.experiment || "", text: lead.experiment || "—", testid: "kpi-leading",
        sub: lead.vs_next !== null && lead.vs_next !== undefined ? `${fmtPctSigned(lead.vs_next)} vs next` : null }),
      kpiCard({ label: "Average score", value: avg, text: fmtScore(avg), color: scoreColor(avg), testid: "kpi-average" })));
  }

  function renderGrid() {
    const p = state.payload;
    const exps = p.experiments || [];
    const metrics = [...new Set((p.grid || []).map((r) => r.metric_name))];
    const at = new Map((p.grid || []).map((r) => [`${r.evaluation_name}\u0000${r.metric_name}`, r]));
    const stats = new Map((p.experiment_stats || []).map((s) => [s.evaluation_name, s]));
    const toggle = h("button", { class: "axis-btn axis-link", "data-testid": "grid-toggle",
      onclick: () => { state.showGrid = !state.showGrid; renderGrid(); } }, state.showGrid ? "Collapse" : "Expand");
    clear(sections.grid).append(head("Performance summary", toggle));
    if (!state.showGrid) return;
    sections.grid.append(h("div", { class: "axis-scroll" }, h("table", { class: "axis-table axis-grid", "data-testid": "grid" },
      h("thead", {}, h("tr", {}, h("th", {}, "Experiment"), h("th", { class: "axis-num" }, "Cases"), h("th", { class: "axis-num" }, "Mean"),
        metrics.map((m) => h("th", { class: "axis-num" }, m)))),
      h("tbody", {}, exps.map((e) => {
        const s = stats.get(e) || {};
        return h("tr", { "data-exp": e },
          h("td", {}, h("b", {}, e), e === state.baseline ? h("span", { class: "axis-tag" }, "baseline") : null,
            e === state.challenger ? h("span", { class: "axis-tag axis-tag-c" }, "challenger") : null),
          h("td", { class: "axis-num" }, fmtInt(s.cases)),
          h("td", { class: "axis-num" }, h("b", { style: { color: scoreColor(s.mean) } }, fmtScore(s.mean))),
          metrics.map((m) => {
            const r = at.get(`${e}\u0000${m}`);
            const v = r ? r.mean : null;
            return h("td", { class: "axis-num axis-tile", "data-metric": m, "data-value": v ?? "",
              style: { background: v === null ? "" : `${scoreColor(v)}22` },
              title: r ? `${e} · ${m}\nmean ${fmtScore(v)} · std ${fmtScore(r.std)} · pass ${fmtPct(r.pass_rate)} · n ${r.count}` : "" }, fmtScore(v));
          }));
      })))));
  }

  // ---------------------------------------------------------------- pickers and verdict
  function renderPickers() {
    const p = state.payload;
    const stats = new Map((p.experiment_stats || []).map((s) => [s.evaluation_name, s]));
    const opts = (selected, other) => (p.experiments || []).map((e) => h("option", {
      value: e, selected: e === selected, disabled: e === other,
    }, `${e} (${fmtInt(stats.get(e)?.cases)} cases)`));
    const pick = (which) => (e) => {
      const v = e.target.value;
      if (which === "baseline") state.baseline = v;
      else state.challenger = v;
      resetDiff();
      saveParams();
      update();
    };
    clear(sections.pickers).append(h("div", { class: "axis-pickers" },
      h("label", { class: "axis-filter" }, "Baseline ",
        h("select", { class: "axis-select", "data-testid": "baseline", onchange: pick("baseline") }, opts(state.baseline, state.challenger))),
      h("button", { class: "axis-btn", "data-testid": "swap", title: "Swap baseline and challenger",
        onclick: () => {
          [state.baseline, state.challenger] = [state.challenger, state.baseline];
          resetDiff();
          saveParams();
          update();
        } }, "⇄ Swap"),
      h("label", { class: "axis-filter" }, "Challenger ",
        h("select", { class: "axis-select", "data-testid": "challenger", onchange: pick("challenger") }, opts(state.challenger, state.baseline)))));
  }

  function resetDiff() {
    state.diff.page = 1;
    state.diff.position = 1;
  }

  function renderVerdict() {
    const p = state.payload;
    const v = p.verdict || {};
    const name = v.winner === "challenger" ? p.challenger : v.winner === "baseline" ? p.baseline : "Tie";
    const sig = (p.metrics || []).filter((m) => m.significant).length;
    clear(sections.verdict).append(
      h("div", { class: "axis-vs" }, h("b", {}, p.baseline), h("span", { class: "axis-muted" }, " vs "), h("b", {}, p.challenger)),
      h("div", { class: "axis-kpis" },
        kpiCard({ label: "Winner", value: v.winner || "", text: name, testid: "verdict-winner",
          color: v.winner === "tie" ? undefined : "#16a34a",
          sub: `${v.significant_wins ?? 0} significant wins · ${v.significant_losses ?? 0} losses (Holm)` }),
        kpiCard({ label: "Overall change", value: v.mean_pct_change, text: fmtPctSigned(v.mean_pct_change), testid: "verdict-change",
          color: v.mean_pct_change > 0 ? "#16a34a" : v.mean_pct_change < 0 ? "#dc2626" : undefined, sub: "mean of per-metric % change" }),
        kpiCard({ label: "Metrics won", value: v.metrics_won, text: `${v.metrics_won ?? 0}/${v.metrics ?? 0}`, testid: "verdict-won",
          sub: `${sig} significant at α = ${p.alpha}` })));
  }

  // ---------------------------------------------------------------- per-metric table
  function sortedMetrics() {
    const rows = [...(state.payload.metrics || [])];
    const { key, dir } = state.sort;
    if (!key) return rows;
    const val = (r) => {
      const v = r[key];
      if (v === null || v === undefined) return null;
      return typeof v === "string" ? v.toLowerCase() : typeof v === "boolean" ? Number(v) : v;
    };
    return rows.sort((a, b) => {
      const x = val(a);
      const y = val(b);
      if (x === null && y === null) return 0;
      if (x === null) return 1; // missing values last in either direction
      if (y === null) return -1;
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
  }

  function renderTable() {
    const { key, dir } = state.sort;
    const th = ([k, label, num]) => h("th", {
      class: `axis-sortable ${num ? "axis-num" : ""}`, "data-testid": `sort-${k}`, "data-sort": key === k ? (dir > 0 ? "asc" : "desc") : "",
      onclick: () => {
        state.sort = { key: k, dir: key === k ? -dir : num ? -1 : 1 };
        saveParams();
        renderTable();
      },
    }, label, key === k ? (dir > 0 ? " ▲" : " ▼") : "");
    const cell = (r, k, content, extra = {}) => h("td", { class: "axis-num", "data-col": k, "data-value": r[k] ?? "", ...extra }, content);
    const rows = sortedMetrics().map((r) => h("tr", {
      "data-testid": "metric-row", "data-metric": r.metric_name, class: r.significant ? "axis-sig" : "",
      title: r.note || "",
    },
    h("td", { "data-col": "metric_name" }, r.metric_name, r.note ? h("span", { class: "axis-note", title: r.note }, " ⓘ") : null),
    cell(r, "baseline_mean", fmtScore(r.baseline_mean)),
    cell(r, "challenger_mean", fmtScore(r.challenger_mean)),
    cell(r, "delta", h("span", { class: deltaClass(r.delta) }, fmtSigned(r.delta))),
    cell(r, "pct_change", h("span", { class: deltaClass(r.pct_change) }, fmtPctSigned(r.pct_change))),
    h("td", { "data-col": "test", "data-value": r.test ?? "",
      title: r.wilcoxon_p !== null && r.wilcoxon_p !== undefined ? `Wilcoxon signed-rank p = ${fmtP(r.wilcoxon_p)}` : "" },
    TEST_LABEL[r.test] || r.test || "—"),
    cell(r, "p_value", [fmtP(r.p_value), r.stars ? h("span", { class: "axis-stars" }, ` ${r.stars}`) : null],
      { title: `p = ${fmtP(r.p_value)}${r.stars ? ` (${r.stars})` : ""}\n* < .05, ** < .01, *** < .001\nCohen's d = ${fmtScore(r.cohens_d, 2)}` }),
    cell(r, "p_value_adjusted", fmtP(r.p_value_adjusted)),
    cell(r, "cohens_d", [fmtScore(r.cohens_d, 2), r.effect_size ? h("span", { class: `axis-effect axis-effect-${r.effect_size}` }, r.effect_size) : null]),
    h("td", { class: "axis-num", "data-col": "ci", "data-low": r.ci_low ?? "", "data-high": r.ci_high ?? "" },
      r.ci_low === null || r.ci_low === undefined ? "—" : `[${fmtSigned(r.ci_low)}, ${fmtSigned(r.ci_high)}]`),
    cell(r, "n_pairs", fmtInt(r.n_pairs)),
    h("td", { "data-col": "significant", "data-value": String(!!r.significant) },
      r.significant ? h("span", { class: `axis-badge ${r.delta > 0 ? "axis-badge-up" : "axis-badge-down"}` }, r.delta > 0 ? "better" : "worse")
        : h("span", { class: "axis-muted" }, "n.s."))));
    clear(sections.table).append(
      head("Per-metric breakdown", h("span", { class: "axis-muted" },
        " paired t (with Wilcoxon) when the same cases were scored by both, Welch otherwise; p (Holm) corrects for testing every metric")),
      h("div", { class: "axis-scroll" }, h("table", { class: "axis-table axis-metrics", "data-testid": "metrics-table" },
        h("thead", {}, h("tr", {}, COLUMNS.map(th))), h("tbody", {}, rows))));
  }

  // ---------------------------------------------------------------- win / loss
  function renderWins() {
    const p = state.payload;
    const rows = p.win_loss || [];
    const total = rows.reduce((a, r) => a + (r.cases || 0), 0);
    const label = (r) => (r.outcome === "tie" ? "Tie" : `${r.experiment} (${r.outcome})`);
    const table = h("table", { class: "axis-table axis-wins", "data-testid": "wins-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Outcome"), h("th", { class: "axis-num" }, "Cases"), h("th", { class: "axis-num" }, "Win rate"),
        h("th", {}, ""), h("th", { class: "axis-num" }, "Mean Δ"))),
      h("tbody", {}, rows.map((r) => h("tr", { "data-outcome": r.outcome, "data-cases": r.cases },
        h("td", {}, label(r)), h("td", { class: "axis-num" }, fmtInt(r.cases)), h("td", { class: "axis-num" }, fmtPct(r.share)),
        h("td", { class: "axis-barcell" }, h("div", { class: `axis-hbar axis-hbar-${r.outcome}`, style: { width: `${Math.round((r.share || 0) * 100)}%` } })),
        h("td", { class: "axis-num" }, h("span", { class: deltaClass(r.mean_delta) }, fmtSigned(r.mean_delta)))))));
    const jump = (outcome) => h("button", { class: "axis-btn", onclick: () => {
      state.diff.outcome = outcome;
      resetDiff();
      renderDiff();
      sections.diff.scrollIntoView({ block: "start", behavior: "smooth" });
    } }, OUTCOMES.find((o) => o[0] === outcome)[1]);
    clear(sections.wins).append(head("Win / loss per test case", h("span", { class: "axis-muted" }, ` ${fmtInt(total)} cases scored by both`)),
      h("div", { class: "axis-row" },
        chartBox(p.charts?.pie, "chart-pie", "main"),
        h("div", { class: "axis-grow" }, table,
          h("div", { class: "axis-strip" }, h("span", { class: "axis-muted" }, "Most divergent: "), jump("wins"), jump("losses"), jump("ties")))));
  }

  // ---------------------------------------------------------------- case-level diff
  function diffParams(extra = {}) {
    const d = state.diff;
    const out = { ...pair(), outcome: d.outcome, sort_by: d.sort_by, descending: d.descending, filters: filters(), ...extra };
    if (d.search) out.search = d.search;
    return out;
  }

  function renderDiff() {
    const d = state.diff;
    const sec = clear(sections.diff);
    const controls = h("div", { class: "axis-strip" },
      h("label", { class: "axis-filter" }, "Show ",
        h("select", { class: "axis-select", "data-testid": "diff-outcome",
          onchange: (e) => { d.outcome = e.target.value; resetDiff(); renderDiff(); } },
        OUTCOMES.map(([v, t]) => h("option", { value: v, selected: v === d.outcome }, t)))),
      h("input", { class: "axis-input", type: "search", placeholder: "Search id, query or responses…", value: d.search,
        "data-testid": "diff-search",
        oninput: debounce((e) => { d.search = e.target.value; resetDiff(); loadList(); loadDiff(); }, 300) }),
      h("label", { class: "axis-filter" }, "Sort by ",
        h("select", { class: "axis-select", "data-testid": "diff-sort",
          onchange: (e) => { d.sort_by = e.target.value; resetDiff(); renderDiff(); } },
        SORTS.map(([v, t]) => h("option", { value: v, selected: v === d.sort_by }, t)))),
      h("button", { class: "axis-btn", "data-testid": "diff-dir",
        onclick: () => { d.descending = !d.descending; resetDiff(); renderDiff(); } }, d.descending ? "↓ desc" : "↑ asc"));
    const list = h("div", { class: "axis-diff-list", "data-testid": "diff-list" });
    const detail = h("div", { class: "axis-diff", "data-testid": "diff" });
    sec.append(head("Case-level comparison"), controls, detail, list);
    sections.diffList = list;
    sections.diffDetail = detail;
    loadList();
    loadDiff();
  }

  async function loadList() {
    const my = ++state.listSeq;
    const list = sections.diffList;
    try {
      const data = await call("cases", diffParams({ page: state.diff.page, page_size: CASE_PAGE }));
      if (my !== state.listSeq) return;
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
        onPage: (p) => { state.diff.page = p; loadList(); },
        rowAttrs: (r) => ({ class: `axis-click ${r.position === state.diff.position ? "axis-current" : ""}`, "data-testid": "diff-row",
          "data-case": r.case_id, "data-position": r.position,
          onclick: () => { state.diff.position = r.position; loadDiff(); markCurrent(); } }),
      }));
    } catch (err) {
      if (my === state.listSeq) clear(list).append(h("div", { class: "axis-error" }, String(err.message || err)));
    }
  }

  function markCurrent() {
    sections.diffList?.querySelectorAll("[data-testid=diff-row]").forEach((tr) =>
      tr.classList.toggle("axis-current", Number(tr.dataset.position) === state.diff.position));
  }

  async function loadDiff() {
    const my = ++state.diffSeq;
    const box = sections.diffDetail;
    box.classList.add("axis-loading");
    try {
      const data = await call("cases", diffParams({ page: state.diff.position, page_size: 1 }));
      if (my !== state.diffSeq) return;
      box.classList.remove("axis-loading");
      drawDiff(box, data);
    } catch (err) {
      if (my === state.diffSeq) {
        box.classList.remove("axis-loading");
        clear(box).append(h("div", { class: "axis-error" }, String(err.message || err)));
      }
    }
  }

  function drawDiff(box, data) {
    clear(box);
    const total = data.total || 0;
    const r = (data.rows || [])[0];
    const pos = r ? r.position : 0;
    const go = (p) => {
      state.diff.position = p;
      const page = Math.floor((p - 1) / CASE_PAGE) + 1;
      if (page !== state.diff.page) {
        state.diff.page = page;
        loadList();
      } else markCurrent();
      loadDiff();
    };
    const jump = h("input", { class: "axis-input axis-jump", type: "number", min: 1, max: total, value: pos || "",
      "data-testid": "diff-jump", title: "Jump to case number",
      onchange: (e) => { const v = Math.max(1, Math.min(total, Number(e.target.value) || 1)); go(v); } });
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
    const resp = (title, text, testid) => {
      const t = h("div", { class: "axis-text axis-clip", "data-testid": testid }, text ?? "—");
      return h("div", { class: "axis-resp" },
        h("div", { class: "axis-resp-head" }, h("b", {}, title),
          h("button", { class: "axis-btn axis-link", onclick: (e) => {
            t.classList.toggle("axis-clip");
            e.target.textContent = t.classList.contains("axis-clip") ? "Expand" : "Collapse";
          } }, "Expand")), t);
    };
    box.append(
      h("div", { class: "axis-query" }, h("span", { class: "axis-muted" }, `${r.case_id} · query`),
        h("div", { class: "axis-text", "data-testid": "diff-query" }, r.query ?? "—")),
      h("div", { class: "axis-row" },
        resp(`Baseline · ${state.payload.baseline}`, r.baseline_response, "diff-baseline-response"),
        resp(`Challenger · ${state.payload.challenger}`, r.challenger_response, "diff-challenger-response")),
      h("table", { class: "axis-table axis-diff-metrics", "data-testid": "diff-metrics" },
        h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", { class: "axis-num" }, "Baseline"),
          h("th", { class: "axis-num" }, "Challenger"), h("th", { class: "axis-num" }, "Δ"))),
        h("tbody", {},
          (r.metrics || []).map((m) => h("tr", { "data-testid": "diff-metric", "data-metric": m.metric_name, "data-delta": m.delta ?? "" },
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

  // ---------------------------------------------------------------- charts
  const CHART_TABS = [["bar", "Grouped bar"], ["radar", "Radar"], ["distribution", "Distribution"], ["scatter", "Scatter"], ["agreement", "Agreement"]];

  function renderCharts() {
    state.chartSeq += 1;
    drop("chart");
    const sec = clear(sections.charts);
    sec.append(head("Comparison charts"));
    sec.append(h("div", { class: "axis-tabs" }, CHART_TABS.map(([id, label]) => h("button", {
      class: `axis-tab ${state.chartTab === id ? "active" : ""}`, "data-testid": `chart-tab-${id}`,
      onclick: () => { state.chartTab = id; saveParams(); renderCharts(); },
    }, label))));
    const box = h("div", { class: "axis-chart-body", "data-testid": "chart-body", "data-tab": state.chartTab });
    sec.append(box);
    const p = state.payload;
    const metrics = [...new Set((p.metrics || []).map((m) => m.metric_name))];
    const metricSelect = (testid, value, onchange) => h("label", { class: "axis-filter" }, "Metric ",
      h("select", { class: "axis-select", "data-testid": testid, onchange: (e) => onchange(e.target.value) },
        metrics.map((m) => h("option", { value: m, selected: m === value }, m))));
    const gen = state.chartSeq;
    const fetchChart = async (action, params, draw) => {
      box.append(h("div", { class: "axis-muted axis-loading" }, "Loading…"));
      try {
        const d = await call(action, params);
        if (gen !== state.chartSeq) return;
        box.querySelectorAll(".axis-loading").forEach((n) => n.remove());
        draw(d);
      } catch (err) {
        if (gen === state.chartSeq) box.append(h("div", { class: "axis-error" }, String(err.message || err)));
      }
    };
    const tab = state.chartTab;
    if (tab === "bar") box.append(chartBox(p.charts?.bar, "chart-bar", "chart", "axis-wide"));
    else if (tab === "radar") box.append(chartBox(p.charts?.radar, "chart-radar", "chart"));
    else if (tab === "distribution") {
      const m = state.charts.dist && metrics.includes(state.charts.dist) ? state.charts.dist : metrics[0];
      box.append(metricSelect("dist-metric", m, (v) => { state.charts.dist = v; renderCharts(); }));
      fetchChart("distribution", { metric: m, filters: filters() }, (d) => box.append(chartBox(d.chart, "chart-distribution", "chart", "axis-wide")));
    } else if (tab === "scatter") {
      const m = state.charts.scatter && metrics.includes(state.charts.scatter) ? state.charts.scatter : metrics[0];
      box.append(metricSelect("scatter-metric", m, (v) => { state.charts.scatter = v; renderCharts(); }));
      fetchChart("scatter", { ...pair(), metric: m, filters: filters() }, (d) => {
        box.append(h("div", { class: "axis-muted", "data-testid": "scatter-points", "data-points": d.points }, `${fmtInt(d.points)} cases scored by both`));
        box.append(chartBox(d.chart, "chart-scatter", "chart"));
      });
    } else if (tab === "agreement") {
      const th = state.charts.threshold;
      const label = h("span", { class: "axis-num" }, th.toFixed(2));
      box.append(h("label", { class: "axis-filter" }, "Pass threshold ",
        h("input", { type: "range", min: 0, max: 1, step: 0.05, value: th, "data-testid": "agreement-threshold",
          oninput: (e) => { label.textContent = Number(e.target.value).toFixed(2); },
          onchange: (e) => { state.charts.threshold = Number(e.target.value); renderCharts(); } }), label));
      fetchChart("agreement", { threshold: th, filters: filters() }, (d) => {
        const pairs = (d.rows || []).filter((r) => r.experiment_a < r.experiment_b);
        box.append(h("div", { class: "axis-row" },
          chartBox(d.chart, "chart-agreement", "chart"),
          h("table", { class: "axis-table axis-grow", "data-testid": "agreement-table" },
            h("thead", {}, h("tr", {}, ["Pair", "n", "Agreement", "κ", "Both pass", "Both fail", "A only", "B only"].map((c, i) =>
              h("th", { class: i ? "axis-num" : "" }, c)))),
            h("tbody", {}, pairs.map((r) => h("tr", {},
              h("td", {}, `${r.experiment_a} · ${r.experiment_b}`), h("td", { class: "axis-num" }, fmtInt(r.n)),
              h("td", { class: "axis-num" }, h("b", { style: { color: r.agreement >= 0.8 ? "#16a34a" : r.agreement >= 0.5 ? "#d97706" : "#dc2626" } }, fmtPct(r.agreement))),
              h("td", { class: "axis-num" }, fmtScore(r.kappa, 2)),
              ["both_pass", "both_fail", "a_only", "b_only"].map((k) => h("td", { class: "axis-num" }, fmtInt(r[k])))))))));
      });
    }
  }

  // ---------------------------------------------------------------- export
  function exportButtons() {
    const btn = (fmt, label) => h("button", { class: "axis-btn", "data-testid": `export-${fmt}`, onclick: async (e) => {
      const b = e.currentTarget;
      b.disabled = true;
      try {
        const out = await call("export", { ...pair(), format: fmt, filters: filters() });
        const blob = new Blob([out.text], { type: out.mime || "text/plain" });
        const url = URL.createObjectURL(blob);
        const a = h("a", { href: url, download: out.filename || `comparison.${fmt}` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        root.dataset.exported = out.filename || fmt;
      } catch (err) {
        showError(err);
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
  const snap = model.get("snapshot");
  if (snap && Object.keys(snap).length && snap.view === "compare") show(snap);
  else update();
  transport.decide().then((m) => {
    root.dataset.transport = root.dataset.transport || m;
  });

  return () => {
    model.off("change:snapshot", onSnapshot);
    transport.dispose();
    drop("main");
    drop("chart");
  };
}

export default { render };
