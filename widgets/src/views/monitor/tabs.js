// The monitor's classification, analysis and alerts tabs (see ../monitor.js).
import { h } from "../../lib/dom.js";
import { fmtPct, fmtInt, fmtTime, fmtLatency } from "../../lib/format.js";
import { kpiRow } from "../../lib/kpi.js";
import { pagedTable, table } from "../../lib/table.js";
import { select, searchBox, optionsOf } from "../../lib/controls.js";

/** @typedef {import("../monitor.js").MonitorContext} MonitorContext */

/** Label counts of a classification metric and their trend. @param {MonitorContext} ctx */
export async function classificationTab(ctx) {
  const { state, body } = ctx;
  const c = state.cls;
  const r = await ctx.call("classification", { ...ctx.scope(), metric: c.metric, category_source: c.source, granularity: state.granularity });
  c.metric = r.metric;
  const metricSel = select({ testid: "class-metric", options: optionsOf(r.metrics), value: r.metric,
    onchange: (v) => { c.metric = v; ctx.renderBody(); } });
  const srcBtns = ["explanation", "actual_output"].map((s) => h("button", { class: `axis-btn ${c.source === s ? "active" : ""}`,
    onclick: () => { c.source = s; ctx.renderBody(); } }, s === "explanation" ? "Explanation" : "Output"));
  const modeBtns = ["percent", "count"].map((m) => h("button", { class: `axis-btn ${c.mode === m ? "active" : ""}`, "data-testid": `class-mode-${m}`,
    onclick: () => { c.mode = m; ctx.renderBody(); } }, m === "percent" ? "Percentage" : "Count"));
  const chartBox = h("div", { class: "axis-chart", "data-testid": "class-trend" });
  body.append(h("div", { class: "axis-filters" }, "Group by: ", ...srcBtns, " Metric ", metricSel),
    kpiRow([{ label: "Total Records", value: r.total, text: fmtInt(r.total), testid: "class-total" },
      { label: "Unique Categories", value: r.unique, text: fmtInt(r.unique), testid: "class-unique" }], { small: true }),
    table({
      testid: "class-counts", head: ["Category", "Count", "%", ""],
      rows: r.counts.map((/** @type {any} */ x) => h("tr", { "data-category": x.category }, h("td", {}, x.category), h("td", { class: "axis-num" }, fmtInt(x.count)),
        h("td", { class: "axis-num" }, fmtPct(x.share)), h("td", {}, h("div", { class: "axis-bar-h", style: { width: `${Math.round(x.share * 200)}px` } })))),
    }),
    h("div", { class: "axis-filters" }, ...modeBtns), chartBox);
  await ctx.charts.draw(chartBox, categoryTrendSpec(r.trends, c.mode === "percent" ? "share" : "count"));
}

/**
 * A stacked area of category shares (or counts) per bucket.
 * @param {any[]} trends rows {bucket, category, count, share}
 * @param {"share" | "count"} y
 */
export function categoryTrendSpec(trends, y) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json", width: "container", height: 200, title: "Trends by category",
    data: { name: "t" }, datasets: { t: trends }, mark: { type: "area" },
    encoding: { x: { field: "bucket", type: "temporal", title: null }, y: { field: y, type: "quantitative", stack: "zero", axis: y === "share" ? { format: "%" } : {} },
      color: { field: "category", type: "nominal" }, tooltip: [{ field: "category" }, { field: "bucket", type: "temporal" }, { field: "count" }, { field: "share", format: ".1%" }] },
  };
}

/** Outputs and explanations of the analysis metrics, searchable and paged. @param {MonitorContext} ctx */
export async function insightsTab(ctx) {
  const { state, body } = ctx;
  const s = state.ins;
  const r = await ctx.call("insights", { ...ctx.scope(), page: s.page, limit: 15, search: s.search || null, metric: s.metric || null });
  const search = searchBox({ testid: "insight-search", placeholder: "Search", value: s.search, cls: "axis-select", type: "text",
    onsearch: (text) => { s.search = text; s.page = 1; ctx.renderBody(); } });
  const metric = select({ first: ["", "All metrics"], options: optionsOf(r.metrics), value: s.metric,
    onchange: (v) => { s.metric = v; s.page = 1; ctx.renderBody(); } });
  body.append(h("div", { class: "axis-filters" }, search, metric), pagedTable({
    testid: "insight-table", rows: r.rows, total: r.total, page: r.page, pageSize: r.limit,
    onPage: (pg) => { s.page = pg; ctx.renderBody(); },
    columns: [
      { key: "trace_id", label: "Trace ID", class: "axis-id", format: (v, row) => v ?? row.dataset_id },
      { key: "timestamp", label: "Timestamp", format: fmtTime }, { key: "metric_name", label: "Metric" },
      { key: "actual_output", label: "Output", class: "axis-wrap" }, { key: "explanation", label: "Explanation", class: "axis-wrap" },
      { key: "_", label: "", format: (_v, row) => h("button", { class: "axis-btn", onclick: (/** @type {any} */ e) => ctx.openTrace(row, e.currentTarget) }, "Details") },
    ],
  }));
}

/**
 * The numbers an alert's detector compared, as label/value pairs.
 * @param {{detector: string, value: number | null, limit?: number | null, statistic?: number | null, reference?: number | null}} a
 * @returns {Array<[string, number | null | undefined]>}
 */
export function alertFigures(a) {
  const m = a.detector;
  return m.startsWith("threshold") ? [["Current", a.value], ["Target", a.limit], ["Gap", a.statistic]]
    : m === "z_score" ? [["Current", a.value], ["Z", a.statistic], ["±threshold", a.limit]]
      : m === "moving_average" ? [["Current", a.value], ["MA", a.reference], ["Deviation", a.statistic]]
        : [["Current", a.value], ["Previous", a.reference], ["Change", a.statistic]];
}

/** An alert figure: "—" when null, whole numbers from 10 on, else 3 decimals. @param {number | null | undefined} v */
export function fmtFigure(v) {
  return v === null ? "—" : Math.abs(Number(v)) >= 10 ? fmtLatency(v) : Number(v).toFixed(3);
}

/** The alerts raised in the window, grouped. @param {MonitorContext} ctx */
export async function alertsTab(ctx) {
  const { state, body } = ctx;
  const r = await ctx.call("alerts", { ...ctx.scope(), granularity: state.granularity });
  body.append(h("div", { class: "axis-filters" },
    h("span", { class: "axis-chip axis-chip-error", "data-testid": "alert-errors" }, `${r.errors} Errors`),
    h("span", { class: "axis-chip axis-chip-warning", "data-testid": "alert-warnings" }, `${r.warnings} Warnings`)));
  if (r.nominal) {
    body.append(h("div", { class: "axis-nominal", "data-testid": "nominal" }, "All systems nominal"));
    return;
  }
  for (const g of r.groups) {
    const det = h("details", { open: true, class: "axis-alert-group" }, h("summary", {}, `${g.title} (${g.alerts.length})`));
    for (const a of g.alerts) {
      det.append(h("div", { class: `axis-alert axis-alert-${a.severity}`, "data-testid": "alert" },
        h("div", {}, h("b", {}, `${a.source_name} · ${a.metric_name}${a.category ? ` = ${a.category}` : ""}`), " ",
          h("span", { class: `axis-chip axis-chip-${a.severity}` }, a.severity), " ", h("span", { class: "axis-pill" }, a.detector), " ",
          h("span", { class: "axis-muted" }, fmtTime(a.bucket))),
        h("div", { class: "axis-muted" }, a.message),
        h("div", { class: "axis-kv-row" }, alertFigures(a).map(([l, v]) => h("div", { class: "axis-vb" }, h("div", { class: "axis-muted" }, l), h("b", {}, fmtFigure(v)))))));
    }
    body.append(det);
  }
}
