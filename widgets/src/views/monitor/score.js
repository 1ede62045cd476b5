// The monitor's score tab (see ../monitor.js): KPI cards, the trend, latency and pass-rate
// charts (kept across updates), the top failing outputs and all traces.
import { h, clear } from "../../lib/dom.js";
import { sourceCell } from "../../lib/agents.js";
import { scoreColor, fmtScore, fmtPct, fmtInt, fmtTime, fmtLatency } from "../../lib/format.js";
import { kpiRow } from "../../lib/kpi.js";
import { pagedTable, table } from "../../lib/table.js";
import { select, searchBox } from "../../lib/controls.js";

/** @typedef {import("../monitor.js").MonitorContext} MonitorContext */

/** @type {Array<[string, string]>} */
const GROUP_BY = [["", "None"], ["environment", "Environment"], ["source_name", "Source"], ["source_component", "Component"], ["source_type", "Type"]];
const FAIL_THRESHOLDS = [0.3, 0.5, 0.7, 0.8, 0.9];

/** @param {MonitorContext} ctx */
export async function scoreTab(ctx) {
  const { state, body } = ctx;
  const p = state.payload;
  const k = p.kpis;
  const unit = p.options.latency_unit;
  const kp = kpiRow([
    { label: "Avg Score", value: k.avg_score, text: fmtScore(k.avg_score), color: scoreColor(k.avg_score), sub: k.avg_text, testid: "kpi-avg" },
    { label: "Pass Rate", value: k.pass_rate, text: fmtPct(k.pass_rate), sub: k.pass_text, testid: "kpi-pass" },
    { label: "P95 Latency", value: k.p95_latency, text: fmtLatency(k.p95_latency, unit), sub: "of each record's latency", testid: "kpi-p95" },
    { label: "Active Alerts", value: k.alerts, text: fmtInt(k.alerts), color: k.errors ? "#dc2626" : k.warnings ? "#d97706" : undefined,
      sub: `${k.errors} errors · ${k.warnings} warnings`, testid: "kpi-alerts" },
  ]);
  const trend = ctx.kept("trend", "trend-chart");
  const latency = ctx.kept("latency", "latency-chart");
  const pass = ctx.kept("pass", "pass-chart");
  const groupSel = select({ testid: "latency-group", options: GROUP_BY, value: state.group_by,
    onchange: (v) => ctx.change(() => { state.group_by = v; }) });
  const pct = p.latency.percentiles || {};
  const failBox = h("div", { "data-testid": "failing" });
  const traceBox = h("div", { "data-testid": "traces" });
  body.append(kp, trend.box,
    h("div", { class: "axis-row" },
      h("div", { class: "axis-col" }, h("div", { class: "axis-subhead" }, "Latency ", h("label", { class: "axis-filter" }, "Group by", groupSel),
        h("span", { class: "axis-muted", "data-testid": "latency-pct" }, ` P50 ${fmtLatency(pct.p50, unit)} · P95 ${fmtLatency(pct.p95, unit)} · P99 ${fmtLatency(pct.p99, unit)}`)), latency.box),
      h("div", { class: "axis-col" }, pass.box)),
    h("div", { class: "axis-subhead" }, "Top failing outputs"), failBox,
    h("div", { class: "axis-subhead" }, "All traces"), traceBox);
  await Promise.all([trend.show(p.charts.trend), latency.show(p.charts.latency), pass.show(p.charts.pass_rates)]);
  loadFailing(ctx, failBox);
  loadTraces(ctx, traceBox);
}

/** @param {MonitorContext} ctx @param {any} row */
const traceButton = (ctx, row) => h("button", { class: "axis-btn", "data-testid": "open-trace", onclick: (/** @type {any} */ e) => ctx.openTrace(row, e.currentTarget) }, "Trace");

/** The lowest scores under a threshold. @param {MonitorContext} ctx @param {HTMLElement} box */
async function loadFailing(ctx, box) {
  const { state } = ctx;
  const r = await ctx.call("failing", { ...ctx.scope(), threshold: state.failThreshold });
  clear(box);
  const sel = select({ testid: "fail-threshold", options: FAIL_THRESHOLDS.map((t) => [t, String(t)]), value: state.failThreshold,
    onchange: (v) => { state.failThreshold = Number(v); loadFailing(ctx, box); } });
  box.append(h("label", { class: "axis-filter" }, "Threshold", sel));
  box.append(table({
    head: ["Metric", "Score", "Trace", "Time", "Input", "Output", ""],
    rows: r.rows.map((/** @type {any} */ row) => h("tr", {},
      h("td", {}, row.metric_name), h("td", { class: "axis-num" }, h("span", { class: `axis-dot axis-${row.severity}` }), fmtScore(row.metric_score)),
      h("td", { class: "axis-id" }, row.trace_id ?? row.dataset_id), h("td", {}, fmtTime(row.timestamp)),
      h("td", { class: "axis-wrap" }, row.query ?? "—"), h("td", { class: "axis-wrap" }, row.actual_output ?? "—"),
      h("td", {}, traceButton(ctx, row)))),
  }));
}

/** Every trace, searchable, filtered by metric, sorted and paged. @param {MonitorContext} ctx @param {HTMLElement} box */
async function loadTraces(ctx, box) {
  const { state } = ctx;
  const t = state.traces;
  const r = await ctx.call("traces", { ...ctx.scope(), page: t.page, page_size: 20, search: t.search || null, metric: t.metric || null, sort: t.sort, descending: t.descending });
  const reload = () => loadTraces(ctx, box);
  clear(box);
  const search = searchBox({ testid: "trace-search", placeholder: "Search trace, query, output", value: t.search, cls: "axis-select", type: "text",
    onsearch: (text) => { t.search = text; t.page = 1; reload(); } });
  const metric = select({ testid: "trace-metric", first: ["", "All metrics"], value: t.metric,
    options: (state.payload.pass_rates || []).map((/** @type {any} */ m) => [m.metric_name, m.metric_name]),
    onchange: (v) => { t.metric = v; t.page = 1; reload(); } });
  const sortBtn = h("button", { class: "axis-btn", "data-testid": "trace-sort",
    onclick: () => { t.sort = t.sort === "recent" ? "score" : "recent"; t.page = 1; reload(); } }, t.sort === "recent" ? "Recent" : "Score");
  const dirBtn = h("button", { class: "axis-btn", "data-testid": "trace-dir", onclick: () => { t.descending = !t.descending; reload(); } }, t.descending ? "↓" : "↑");
  box.append(h("div", { class: "axis-filters" }, search, metric, sortBtn, dirBtn));
  box.append(pagedTable({
    testid: "trace-table", rows: r.rows, total: r.total, page: r.page, pageSize: r.page_size,
    onPage: (pg) => { t.page = pg; reload(); },
    columns: [
      { key: "trace_id", label: "Trace ID", class: "axis-id", format: (v, row) => v ?? row.dataset_id },
      { key: "timestamp", label: "Timestamp", format: fmtTime },
      { key: "source_name", label: "Source", format: (v) => sourceCell(v, r.agents, ctx.branding) },
      { key: "model_name", label: "Model" }, { key: "environment", label: "Env" },
      { key: "latency", label: "Latency", class: "axis-num", format: (v) => fmtLatency(v, ctx.state.payload?.options?.latency_unit) },
      { key: "metric_name", label: "Metric" },
      { key: "metric_score", label: "Score", class: "axis-num", format: (v) => h("span", { style: { color: scoreColor(v) } }, fmtScore(v)) },
      { key: "_", label: "", format: (_v, row) => traceButton(ctx, row) },
    ],
    rowAttrs: (row) => ({ "data-id": row.dataset_id }),
  }));
}
