// The production overview (anywidget front end).
// Python side: axis_jupyter/payloads/production.py (actions payload, kpi_trend, composition,
// metric_detail). Sections: Agent KPIs, AI Quality Monitoring (summary + scorecard).
import "../lib/ui.css";
import "./monitor.css"; // shared classes (.axis-filters, .axis-panel, ...)
import "./production.css";
import { h, clear } from "../lib/dom.js";
import { scoreColor, fmtScore, fmtPct, fmtInt, fmtUnit, fmtTime, trendClass } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot, saveParams } from "../lib/shell.js";
import { kpiCard, kpiRow } from "../lib/kpi.js";
import { table, tableHead } from "../lib/table.js";
import { lineSpark } from "../lib/spark.js";
import { filterBar } from "../lib/filterbar.js";
import { ChartSet } from "../lib/charts.js";
import { overlayBox, placeNear } from "../lib/overlay.js";
import { hiddenByCollapse } from "../lib/hierarchy.js";
import { toggleIn } from "../lib/tree.js";
import { errorText } from "../lib/transport.js";
import { productionSignalCards } from "./signals/kpis.js";
import { sourceCell } from "../lib/agents.js";

/** @type {Record<string, string>} */
const ARROWS = { up: "▲", down: "▼", flat: "▬" };
/** @type {Record<string, string>} */
const HEALTH = { healthy: "Healthy", warning: "Warning", critical: "Critical", unknown: "—" };
/** @type {Record<string, number>} */
const INDENT = { source: 0, component: 16, metric: 32 };

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const p0 = model.get("params") || {};
  const state = {
    /** @type {Record<string, any>} */ filters: { ...(p0.filters || {}) },
    kpi: p0.kpi,
    /** @type {any} */ payload: null,
    /** @type {string | null} */ selected: null,
    /** @type {Set<string>} */ collapsed: new Set(),
  };
  const shell = createShell(model, el, { cls: "axis-production", testid: "axis-production" });
  const { root, call } = shell;
  const header = h("div", { class: "axis-header" });
  const body = h("div", { class: "axis-body" });
  const overlay = overlayBox("metric-detail");
  // the shared filter bar over both datasets (the production view's own filter_options):
  // source, environment, segment, ...; each section applies the filters it has columns for.
  // "Copy as code" gives one call per section (the view's own `code` action: kpi_panels,
  // hierarchy, signal_kpis), each on its dataset with the filters that section applies.
  const filters = filterBar({
    call: (action, params) => call(action, action === "filter_options" ? withDatasets(params, false)
      : action === "code" ? withDatasets(params, true) : params),
    branding: shell.branding, get: () => state.filters,
    code: () => (state.payload ? { analytic: "production", filters: state.filters } : null),
    onchange: (f) => {
      state.filters = f;
      saveParams(model, { filters: f });
      update();
    },
  });
  root.append(header, filters.el, shell.errorBox, body, shell.status, overlay);
  const charts = new ChartSet();

  /** The view's other datasets added to a call of the bar. @param {object | undefined} params @param {boolean} signals */
  const withDatasets = (params, signals) => ({ ...(params || {}), ...(state.kpi ? { kpi: state.kpi } : {}),
    ...(signals && p0.signals ? { signals: p0.signals } : {}) });
  const base = () => ({ filters: state.filters, ...(state.kpi ? { kpi: state.kpi } : {}), ...(p0.signals ? { signals: p0.signals } : {}) });

  function update(t0 = performance.now()) {
    return shell.refresh("payload", base(), (payload) => {
      show(payload);
      saveSnapshot(model, payload);
      root.dataset.updateMs = (performance.now() - t0).toFixed(1);
    });
  }

  /**
   * A collapsible section with a title and something on the right of it.
   * @param {string} title @param {import("../lib/dom.js").Child} right @param {import("../lib/dom.js").Child} content @param {string} testid
   */
  function section(title, right, content, testid) {
    return h("details", { class: "axis-section", open: true, "data-testid": testid },
      h("summary", {}, h("span", {}, title), right || ""), h("div", { class: "axis-section-body" }, content));
  }

  /** @param {any} payload */
  function show(payload) {
    state.payload = payload;
    charts.reset();
    clear(header).append(h("div", { class: "axis-title" }, "Production Overview"));
    filters.load();
    filters.render();
    clear(body);
    if (payload.kpi) body.append(kpiSection(payload.kpi));
    if (payload.quality) body.append(qualitySection(payload.quality));
    if (payload.signals) body.append(section("Human Signals", h("span", { class: "axis-chip" }, payload.signals.dataset),
      productionSignalCards(payload.signals), "section-signals"));
    if (!payload.kpi && !payload.quality && !payload.signals) body.append(h("div", { class: "axis-empty" }, "No Monitoring Data"));
    root.dataset.renderSeq = String((Number(root.dataset.renderSeq) || 0) + 1);
  }

  // ---------------------------------------------------------------- Agent KPIs
  /** @param {any} k */
  function kpiSection(k) {
    const dr = k.date_range || {};
    const right = h("span", {}, h("span", { class: "axis-chip", "data-testid": "date-range" }, dr.min_date ? `${dr.min_date} – ${dr.max_date} · ${dr.days} days` : "no data"));
    const trendBox = h("div", { class: "axis-chart", "data-testid": "kpi-trend" });
    const content = [];
    for (const cat of k.categories) {
      const grid = h("div", { class: "axis-kpis" });
      for (const x of cat.kpis) {
        const card = kpiCard({ label: x.display_name, value: x.card_value, text: fmtUnit(x.card_value, x.unit), testid: `kpi-${x.kpi_name}`,
          sub: h("span", {}, h("span", { class: trendClass(x.trend_direction, x.polarity), "data-testid": "trend" }, ARROWS[x.trend_direction]), ` ${fmtInt(x.record_count)} · ${cat.display_name}`) });
        card.append(lineSpark(x.sparkline));
        if (state.selected === x.kpi_name) card.classList.add("selected");
        card.addEventListener("click", () => toggleKpi(x.kpi_name, trendBox));
        grid.append(card);
      }
      content.push(h("div", { class: "axis-subhead" }, cat.display_name), grid);
    }
    content.push(trendBox);
    for (const ch of k.composition || []) {
      const bar = h("div", { class: "axis-stack", "data-testid": "composition" }, ch.segments.map((/** @type {any} */ seg) =>
        h("div", { title: `${seg.label}: ${fmtPct(seg.value)}`, style: { width: `${Math.max(0, (seg.value || 0) * 100)}%`, background: seg.color } })));
      content.push(h("div", { class: "axis-subhead" }, ch.title), bar,
        h("div", { class: "axis-muted" }, ch.segments.map((/** @type {any} */ seg) => `${seg.label} ${fmtPct(seg.value)}`).join(" · ")));
    }
    const selected = state.selected;
    if (selected) queueMicrotask(() => loadKpiTrend(selected, trendBox));
    return section("Agent KPIs", right, content, "section-kpi");
  }

  /** @param {string} name @param {HTMLElement} box */
  async function toggleKpi(name, box) {
    state.selected = state.selected === name ? null : name;
    for (const c of body.querySelectorAll(".axis-kpi")) c.classList.toggle("selected", /** @type {HTMLElement} */ (c).dataset.testid === `kpi-${state.selected}`);
    clear(box);
    if (state.selected) await loadKpiTrend(name, box);
  }

  /** @param {string} name @param {HTMLElement} box */
  async function loadKpiTrend(name, box) {
    const r = await call("kpi_trend", { ...base(), kpi_name: name });
    clear(box);
    box.append(h("button", { class: "axis-btn", "data-testid": "kpi-trend-close", onclick: () => toggleKpi(name, box), "aria-label": "Close" }, "×"));
    const c = h("div", {});
    box.append(c);
    await charts.draw(c, r.chart, { onError: (err) => c.append(h("div", { class: "axis-muted" }, errorText(err))) });
  }

  // ---------------------------------------------------------------- AI quality
  /** @param {any} q */
  function qualitySection(q) {
    const sm = q.summary;
    const badge = h("span", { class: `axis-chip ${q.alerts.count ? "axis-chip-error" : ""}`, "data-testid": "alert-badge" }, q.alerts.count ? `${q.alerts.count} Alerts` : "No alerts");
    const cards = kpiRow([
      { label: "Total Metrics", value: sm.total_metrics, text: fmtInt(sm.total_metrics), testid: "exec-metrics" },
      { label: "Overall Avg Score", value: sm.avg_score, text: fmtScore(sm.avg_score), color: scoreColor(sm.avg_score), testid: "exec-avg", sub: h("span", { class: trendClass(sm.avg_trend) }, ARROWS[sm.avg_trend]) },
      { label: "Pass Rate", value: sm.pass_rate, text: fmtPct(sm.pass_rate), testid: "exec-pass", sub: h("span", { class: trendClass(sm.pass_trend) }, ARROWS[sm.pass_trend]) },
      { label: "Data Freshness", value: sm.freshness.age_seconds, text: sm.freshness.text, testid: "exec-fresh" },
    ], { small: true });
    cards.children[1].append(lineSpark(sm.avg_sparkline));
    cards.children[2].append(lineSpark(sm.pass_sparkline, { color: "#16a34a" }));
    /** @type {any[]} */
    const rows = q.hierarchy || [];
    const scorecard = h("table", { class: "axis-table", "data-testid": "scorecard" });
    const draw = () => clear(scorecard).append(
      tableHead(["Hierarchy", "Category", "Score", "Trend", "Health", "Records", ""]),
      h("tbody", {}, qualityRows(rows, draw, q.agents)));
    draw();
    const controls = h("div", { class: "axis-filters" },
      h("button", { class: "axis-btn", "data-testid": "expand-all", onclick: () => { state.collapsed.clear(); draw(); } }, "Expand All"),
      h("button", { class: "axis-btn", "data-testid": "collapse-all", onclick: () => { for (const r of rows) if (r.level !== "metric") state.collapsed.add(r.key); draw(); } }, "Collapse"));
    return section("AI Quality Monitoring", badge, [cards, h("div", { class: "axis-subhead" }, "Quality Scorecard"), controls, scorecard], "section-quality");
  }

  /**
   * The rows of the source > component > metric scorecard; a click on a group folds it. A
   * source row shows its agent (agents.yaml: avatar and label, from the payload's `agents`).
   * @param {any[]} rows @param {() => void} redraw @param {Record<string, any> | undefined} agents
   */
  function qualityRows(rows, redraw, agents) {
    return rows.filter((r) => !hiddenByCollapse(r, rows, state.collapsed)).map((r) => {
        const isGroup = r.level !== "metric";
        return h("tr", { class: "axis-hrow", "data-key": r.key, "data-level": r.level, onclick: () => { if (isGroup) { toggleIn(state.collapsed, r.key); redraw(); } } },
          h("td", { style: { paddingLeft: `${INDENT[r.level] + 4}px` } }, isGroup ? (state.collapsed.has(r.key) ? "▸ " : "▾ ") : "• ",
            r.level === "source" ? sourceCell(r.source_name, agents, shell.branding) : r.name),
          h("td", {}, r.category || ""),
          h("td", { class: "axis-num", style: { color: scoreColor(r.score) } }, fmtScore(r.score),
            r.delta !== null && r.delta !== undefined ? h("span", { class: r.delta >= 0 ? "axis-up" : "axis-down", "data-testid": "delta" }, ` ${r.delta >= 0 ? "+" : ""}${r.delta.toFixed(3)}`) : ""),
          h("td", {}, lineSpark(r.sparkline, { width: 80, height: 18 })),
          h("td", { class: `axis-health-${r.health}` }, HEALTH[r.health]),
          h("td", { class: "axis-num" }, fmtInt(r.records)),
          h("td", {}, isGroup ? "" : h("button", { class: "axis-btn", "data-testid": "open-metric", onclick: (/** @type {any} */ e) => { e.stopPropagation(); openMetric(r, e.currentTarget); } }, "Details")));
    });
  }

  /**
   * One metric's statistics, daily trend and recent scores (or label counts), opened level
   * with the clicked row (`anchor`) rather than at the top of the view.
   * @param {any} r @param {Element} [anchor]
   */
  async function openMetric(r, anchor) {
    overlay.hidden = false;
    const loading = h("div", { class: "axis-panel axis-muted" }, "Loading…");
    clear(overlay).append(loading);
    placeNear(overlay, loading, anchor);
    const d = await call("metric_detail", { filters: state.filters, source_name: r.source_name, source_component: r.source_component, metric_name: r.metric_name });
    clear(overlay);
    const panel = h("div", { class: "axis-panel", "data-testid": "metric-panel" }, h("div", { class: "axis-filters" }, h("b", {}, `${r.source_name} / ${r.source_component} / ${r.metric_name}`),
      h("button", { class: "axis-btn", "data-testid": "metric-close", onclick: () => { overlay.hidden = true; }, "aria-label": "Close" }, "×")));
    if (!d.stats) {
      panel.append(h("div", {}, `${fmtInt(d.total)} labels`), table({
        rows: d.counts.map((/** @type {any} */ x) => h("tr", {}, h("td", {}, x.category), h("td", { class: "axis-num" }, fmtInt(x.count)), h("td", { class: "axis-num" }, fmtPct(x.share)))),
      }));
      overlay.append(panel);
      placeNear(overlay, panel, anchor);
      return;
    }
    const st = d.stats;
    panel.append(kpiRow([
      { label: "Mean", value: st.mean, text: fmtScore(st.mean), testid: "md-mean" }, { label: "Std Dev", value: st.std, text: fmtScore(st.std) },
      { label: "Min / Max", value: st.min, text: `${fmtScore(st.min, 2)} / ${fmtScore(st.max, 2)}` }, { label: "Pass Rate", value: st.pass_rate, text: fmtPct(st.pass_rate) },
    ], { small: true }));
    const c = h("div", { class: "axis-chart" });
    panel.append(c);
    overlay.append(panel);
    placeNear(overlay, panel, anchor);
    await charts.draw(c, dailyMeanSpec(d.trend), { onError: () => { /* chart optional */ } });
    placeNear(overlay, panel, anchor); // taller now that the chart is drawn
    panel.append(table({
      rows: d.recent.map((/** @type {any} */ x) => h("tr", {}, h("td", {}, fmtTime(String(x.timestamp))), h("td", { class: "axis-num" }, fmtScore(x.metric_score)), h("td", { class: "axis-id" }, x.trace_id ?? x.dataset_id))),
    }));
  }

  const snap = snapshotOf(model);
  if (snap) show(snap);
  else update();
  shell.announceTransport();
  return () => {
    shell.transport.dispose();
    charts.reset();
  };
}

/**
 * A line of daily means.
 * @param {any[]} trend rows {date, value}
 */
function dailyMeanSpec(trend) {
  return { $schema: "https://vega.github.io/schema/vega-lite/v5.json", width: "container", height: 140, data: { name: "t" }, datasets: { t: trend },
    mark: { type: "line", point: true }, encoding: { x: { field: "date", type: "temporal", title: null }, y: { field: "value", type: "quantitative", title: "Daily mean" } } };
}

export default { render };
