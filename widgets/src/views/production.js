// The production overview (anywidget front end).
// Python side: axis_jupyter/views/production.py (actions payload, kpi_trend, composition,
// metric_detail). Sections: Agent KPIs, AI Quality Monitoring (summary + scorecard).
import "../lib/ui.css";
import "./monitor.css"; // shared classes (.axis-filters, .axis-panel, ...)
import "./production.css";
import { createTransport, viewCalls } from "../lib/transport.js";
import { h, s, clear, kpiCard, scoreColor, fmtScore, fmtPct, fmtInt } from "../lib/ui.js";
import { renderVegaLite } from "../lib/vega.js";

const ARROWS = { up: "▲", down: "▼", flat: "▬" };
const HEALTH = { healthy: "Healthy", warning: "Warning", critical: "Critical", unknown: "—" };

function fmtUnit(v, unit) {
  if (v === null || v === undefined) return "—";
  if (unit === "percent") return fmtPct(v);
  if (unit === "seconds") return `${Number(v).toFixed(0)} s`;
  if (unit === "count") return fmtInt(Math.round(v));
  return fmtScore(v, 2);
}

/** Polyline sparkline of [{date, value}]. */
function lineSpark(points, { width = 90, height = 22, color = "#2563eb" } = {}) {
  const vals = (points || []).map((p) => p.value).filter((v) => v !== null && v !== undefined);
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "axis-spark", "data-points": vals.length });
  if (vals.length < 2) return svg;
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const span = hi - lo || 1;
  const pts = vals.map((v, i) => `${((i / (vals.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - ((v - lo) / span) * (height - 4)).toFixed(1)}`);
  svg.append(s("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 1.5 }));
  return svg;
}

function trendClass(dir, polarity) {
  if (dir === "flat") return "axis-flat";
  const good = (dir === "up") === (polarity !== "lower_better");
  return good ? "axis-up" : "axis-down";
}

function render({ model, el }) {
  const transport = createTransport(model);
  const p0 = model.get("params") || {};
  const state = { filters: { ...(p0.filters || {}) }, kpi: p0.kpi, payload: null, selected: null, collapsed: new Set(), charts: [], seq: 0 };
  const root = h("div", { class: "axis-view axis-production", "data-testid": "axis-production" });
  const header = h("div", { class: "axis-header" });
  const errorBox = h("div", { class: "axis-error", hidden: true, "data-testid": "error" });
  const body = h("div", { class: "axis-body" });
  const status = h("div", { class: "axis-status", "data-testid": "status" });
  const overlay = h("div", { class: "axis-overlay", hidden: true, "data-testid": "metric-detail" });
  root.append(header, errorBox, body, status, overlay);
  el.append(root);

  const base = () => (state.kpi ? { filters: state.filters, kpi: state.kpi } : { filters: state.filters });

  const { call, showError } = viewCalls(transport, { root, status, errorBox });

  async function update(t0 = performance.now()) {
    const my = ++state.seq;
    root.classList.add("axis-busy");
    try {
      const payload = await call("payload", base());
      if (my !== state.seq) return;
      showError(null);
      show(payload);
      model.set("snapshot", payload);
      model.save_changes();
      root.dataset.updateMs = (performance.now() - t0).toFixed(1);
    } catch (err) {
      if (my === state.seq) showError(err);
    } finally {
      if (my === state.seq) root.classList.remove("axis-busy");
    }
  }

  function section(title, right, content, testid) {
    return h("details", { class: "axis-section", open: true, "data-testid": testid },
      h("summary", {}, h("span", {}, title), right || ""), h("div", { class: "axis-section-body" }, content));
  }

  function show(payload) {
    state.payload = payload;
    for (const c of state.charts) c.finalize();
    state.charts = [];
    clear(header);
    header.append(h("div", { class: "axis-title" }, "Production Overview"));
    clear(body);
    if (payload.kpi) body.append(kpiSection(payload.kpi));
    if (payload.quality) body.append(qualitySection(payload.quality));
    if (!payload.kpi && !payload.quality) body.append(h("div", { class: "axis-empty" }, "No Monitoring Data"));
    root.dataset.renderSeq = String((Number(root.dataset.renderSeq) || 0) + 1);
  }

  // ---------------------------------------------------------------- Agent KPIs
  function kpiSection(k) {
    const dr = k.date_range || {};
    const segSel = k.segments.length ? h("select", {
      class: "axis-select", "data-testid": "segment",
      onclick: (e) => e.stopPropagation(),
      onchange: (e) => { state.filters = { ...state.filters }; if (e.target.value) state.filters.segment = e.target.value; else delete state.filters.segment; update(); },
    }, h("option", { value: "" }, "All Segments"), k.segments.map((v) => h("option", { value: v, selected: state.filters.segment === v }, v))) : null;
    const right = h("span", {}, segSel, h("span", { class: "axis-chip", "data-testid": "date-range" }, dr.min_date ? `${dr.min_date} – ${dr.max_date} · ${dr.days} days` : "no data"));
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
      const bar = h("div", { class: "axis-stack", "data-testid": "composition" }, ch.segments.map((seg) =>
        h("div", { title: `${seg.label}: ${fmtPct(seg.value)}`, style: { width: `${Math.max(0, (seg.value || 0) * 100)}%`, background: seg.color } })));
      content.push(h("div", { class: "axis-subhead" }, ch.title), bar,
        h("div", { class: "axis-muted" }, ch.segments.map((seg) => `${seg.label} ${fmtPct(seg.value)}`).join(" · ")));
    }
    if (state.selected) queueMicrotask(() => loadKpiTrend(state.selected, trendBox));
    return section("Agent KPIs", right, content, "section-kpi");
  }

  async function toggleKpi(name, box) {
    state.selected = state.selected === name ? null : name;
    for (const c of body.querySelectorAll(".axis-kpi")) c.classList.toggle("selected", c.dataset.testid === `kpi-${state.selected}`);
    clear(box);
    if (state.selected) await loadKpiTrend(name, box);
  }

  async function loadKpiTrend(name, box) {
    const r = await call("kpi_trend", { ...base(), kpi_name: name });
    clear(box);
    box.append(h("button", { class: "axis-btn", "data-testid": "kpi-trend-close", onclick: () => toggleKpi(name, box) }, "✕"));
    const c = h("div", {});
    box.append(c);
    try {
      state.charts.push(await renderVegaLite(c, r.chart));
    } catch (err) {
      c.append(h("div", { class: "axis-muted" }, String(err.message || err)));
    }
  }

  // ---------------------------------------------------------------- AI quality
  function qualitySection(q) {
    const sm = q.summary;
    const badge = h("span", { class: `axis-chip ${q.alerts.count ? "axis-chip-error" : ""}`, "data-testid": "alert-badge" }, q.alerts.count ? `${q.alerts.count} Alerts` : "No alerts");
    const cards = h("div", { class: "axis-kpis small" },
      kpiCard({ label: "Total Metrics", value: sm.total_metrics, text: fmtInt(sm.total_metrics), testid: "exec-metrics" }),
      kpiCard({ label: "Overall Avg Score", value: sm.avg_score, text: fmtScore(sm.avg_score), color: scoreColor(sm.avg_score), testid: "exec-avg", sub: h("span", { class: trendClass(sm.avg_trend) }, ARROWS[sm.avg_trend]) }),
      kpiCard({ label: "Pass Rate", value: sm.pass_rate, text: fmtPct(sm.pass_rate), testid: "exec-pass", sub: h("span", { class: trendClass(sm.pass_trend) }, ARROWS[sm.pass_trend]) }),
      kpiCard({ label: "Data Freshness", value: sm.freshness.age_seconds, text: sm.freshness.text, testid: "exec-fresh" }));
    cards.children[1].append(lineSpark(sm.avg_sparkline));
    cards.children[2].append(lineSpark(sm.pass_sparkline, { color: "#16a34a" }));
    const rows = q.hierarchy || [];
    const table = h("table", { class: "axis-table", "data-testid": "scorecard" });
    const draw = () => {
      clear(table);
      table.append(h("thead", {}, h("tr", {}, ["Hierarchy", "Category", "Score", "Trend", "Health", "Records", ""].map((c) => h("th", {}, c)))));
      const tb = h("tbody", {});
      const hidden = (r) => {
        let p = r.parent;
        while (p) {
          if (state.collapsed.has(p)) return true;
          const parent = rows.find((x) => x.key === p);
          p = parent ? parent.parent : null;
        }
        return false;
      };
      for (const r of rows) {
        if (hidden(r)) continue;
        const pad = { source: 0, component: 16, metric: 32 }[r.level];
        const isGroup = r.level !== "metric";
        tb.append(h("tr", { class: "axis-hrow", "data-key": r.key, "data-level": r.level, onclick: () => { if (isGroup) { if (state.collapsed.has(r.key)) state.collapsed.delete(r.key); else state.collapsed.add(r.key); draw(); } } },
          h("td", { style: { paddingLeft: `${pad + 4}px` } }, isGroup ? (state.collapsed.has(r.key) ? "▸ " : "▾ ") : "• ", r.name),
          h("td", {}, r.category || ""),
          h("td", { class: "axis-num", style: { color: scoreColor(r.score) } }, fmtScore(r.score),
            r.delta !== null && r.delta !== undefined ? h("span", { class: r.delta >= 0 ? "axis-up" : "axis-down", "data-testid": "delta" }, ` ${r.delta >= 0 ? "+" : ""}${r.delta.toFixed(3)}`) : ""),
          h("td", {}, lineSpark(r.sparkline, { width: 80, height: 18 })),
          h("td", { class: `axis-health-${r.health}` }, HEALTH[r.health]),
          h("td", { class: "axis-num" }, fmtInt(r.records)),
          h("td", {}, isGroup ? "" : h("button", { class: "axis-btn", "data-testid": "open-metric", onclick: (e) => { e.stopPropagation(); openMetric(r); } }, "👁"))));
      }
      table.append(tb);
    };
    draw();
    const controls = h("div", { class: "axis-filters" },
      h("button", { class: "axis-btn", "data-testid": "expand-all", onclick: () => { state.collapsed.clear(); draw(); } }, "Expand All"),
      h("button", { class: "axis-btn", "data-testid": "collapse-all", onclick: () => { for (const r of rows) if (r.level !== "metric") state.collapsed.add(r.key); draw(); } }, "Collapse"));
    return section("AI Quality Monitoring", badge, [cards, h("div", { class: "axis-subhead" }, "Quality Scorecard"), controls, table], "section-quality");
  }

  async function openMetric(r) {
    overlay.hidden = false;
    clear(overlay);
    const d = await call("metric_detail", { filters: state.filters, source_name: r.source_name, source_component: r.source_component, metric_name: r.metric_name });
    const panel = h("div", { class: "axis-panel" }, h("div", { class: "axis-filters" }, h("b", {}, `${r.source_name} / ${r.source_component} / ${r.metric_name}`),
      h("button", { class: "axis-btn", "data-testid": "metric-close", onclick: () => { overlay.hidden = true; } }, "✕")));
    if (d.stats) {
      const st = d.stats;
      panel.append(h("div", { class: "axis-kpis small" },
        kpiCard({ label: "Mean", value: st.mean, text: fmtScore(st.mean), testid: "md-mean" }), kpiCard({ label: "Std Dev", value: st.std, text: fmtScore(st.std) }),
        kpiCard({ label: "Min / Max", value: st.min, text: `${fmtScore(st.min, 2)} / ${fmtScore(st.max, 2)}` }), kpiCard({ label: "Pass Rate", value: st.pass_rate, text: fmtPct(st.pass_rate) })));
      const c = h("div", { class: "axis-chart" });
      panel.append(c);
      overlay.append(panel);
      try {
        state.charts.push(await renderVegaLite(c, { $schema: "https://vega.github.io/schema/vega-lite/v5.json", width: "container", height: 140, data: { name: "t" }, datasets: { t: d.trend },
          mark: { type: "line", point: true }, encoding: { x: { field: "date", type: "temporal", title: null }, y: { field: "value", type: "quantitative", title: "Daily mean" } } }));
      } catch { /* chart optional */ }
      panel.append(h("table", { class: "axis-table" }, h("tbody", {}, d.recent.map((x) => h("tr", {}, h("td", {}, String(x.timestamp).replace("T", " ").slice(0, 19)), h("td", { class: "axis-num" }, fmtScore(x.metric_score)), h("td", { class: "axis-id" }, x.trace_id ?? x.dataset_id))))));
    } else {
      panel.append(h("div", {}, `${fmtInt(d.total)} labels`), h("table", { class: "axis-table" }, h("tbody", {}, d.counts.map((x) => h("tr", {}, h("td", {}, x.category), h("td", { class: "axis-num" }, fmtInt(x.count)), h("td", { class: "axis-num" }, fmtPct(x.share)))))));
      overlay.append(panel);
    }
  }

  const snap = model.get("snapshot");
  if (snap && Object.keys(snap).length) show(snap);
  else update();
  transport.decide().then((m) => { root.dataset.transport = m; });
  return () => {
    transport.dispose();
    for (const c of state.charts) c.finalize();
  };
}

export default { render };
