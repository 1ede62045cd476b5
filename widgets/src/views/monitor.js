// The production monitor view (anywidget front end).
// Python side: axis_jupyter/views/monitor.py (actions payload, traces, failing, trace,
// classification, insights, alerts). Every number shown comes from those actions.
import "../lib/ui.css";
import "./monitor.css";
import { createTransport, viewCalls } from "../lib/transport.js";
import { h, clear, kpiCard, pagedTable, scoreColor, fmtScore, fmtPct, fmtInt } from "../lib/ui.js";
import { renderVegaLite } from "../lib/vega.js";

const TIME_LABELS = { "1h": "Last hour", "6h": "Last 6 h", "24h": "Last 24 h", "7d": "Last 7 days", "30d": "Last 30 days", all: "All time", custom: "Custom" };
const FILTER_LABELS = { environment: "Environment", source_name: "Source", source_component: "Component", source_type: "Type", model_name: "Model" };
const GROUP_BY = { "": "None", environment: "Environment", source_name: "Source", source_component: "Component", source_type: "Type" };

function debounce(fn, ms) {
  let t = null;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

function fmtTime(v) {
  if (!v) return "—";
  return String(v).replace("T", " ").slice(0, 19);
}

function fmtLatency(v) {
  return v === null || v === undefined ? "—" : `${Number(v).toLocaleString("en-US", { maximumFractionDigits: 0 })}`;
}

function render({ model, el }) {
  const transport = createTransport(model);
  const p0 = model.get("params") || {};
  const state = {
    filters: { ...(p0.filters || {}) },
    time: p0.time || "24h",
    time_range: p0.time_range || null,
    anchor: p0.anchor || "data",
    granularity: p0.granularity || "hour",
    group_by: p0.group_by || "",
    tab: (p0.ui || {}).tab || "score",
    payload: null,
    charts: [],
    kept: {}, // score-tab charts reused across updates (keptChart)
    traces: { page: 1, search: "", metric: "", sort: "recent", descending: true },
    failThreshold: 0.5,
    cls: { metric: null, source: "explanation", mode: "percent" },
    ins: { page: 1, search: "", metric: "" },
    seq: 0,
  };

  const root = h("div", { class: "axis-view axis-monitor", "data-testid": "axis-monitor" });
  const header = h("div", { class: "axis-header" });
  const errorBox = h("div", { class: "axis-error", hidden: true, "data-testid": "error" });
  const tabs = h("div", { class: "axis-tabs" });
  const body = h("div", { class: "axis-body" });
  const status = h("div", { class: "axis-status", "data-testid": "status" });
  const overlay = h("div", { class: "axis-overlay", hidden: true, "data-testid": "trace-detail" });
  root.append(header, errorBox, tabs, body, status, overlay);
  el.append(root);

  const scope = () => {
    const s = { filters: state.filters, time: state.time, anchor: state.anchor };
    if (state.time === "custom") s.time_range = state.time_range;
    return s;
  };

  function saveParams() {
    const p = { ...(model.get("params") || {}), ...scope(), granularity: state.granularity, ui: { tab: state.tab } };
    if (state.group_by) p.group_by = state.group_by;
    else delete p.group_by;
    if (state.time !== "custom") delete p.time_range;
    model.set("params", p);
    model.save_changes();
  }

  const { call, showError } = viewCalls(transport, { root, status, errorBox });

  async function update(t0 = performance.now()) {
    const my = ++state.seq;
    root.classList.add("axis-busy");
    try {
      const params = { ...scope(), granularity: state.granularity };
      if (state.group_by) params.group_by = state.group_by;
      const payload = await call("payload", params);
      if (my !== state.seq) return;
      root.dataset.callMs = (performance.now() - t0).toFixed(1);  // change -> payload received
      showError(null);
      await show(payload);
      await new Promise((r) => requestAnimationFrame(() => r()));
      root.dataset.updateMs = (performance.now() - t0).toFixed(1);
      if (payload.timing) {
        root.dataset.serverMs = String(payload.timing.total_ms);
        root.dataset.duckdbMs = String(payload.timing.duckdb_ms ?? "");
        root.dataset.analyticsMs = String(payload.timing.analytics_ms ?? "");
      }
      // The snapshot (kept in the saved notebook) goes to the kernel after the view is
      // drawn: serialising the payload over the comm is not part of showing it.
      model.set("snapshot", payload);
      model.save_changes();
    } catch (err) {
      if (my === state.seq) showError(err);
    } finally {
      if (my === state.seq) root.classList.remove("axis-busy");
    }
  }

  function change(fn) {
    const t0 = performance.now();
    fn();
    state.traces.page = 1;
    state.ins.page = 1;
    saveParams();
    update(t0);
  }

  async function show(payload) {
    state.payload = payload;
    renderHeader();
    renderTabs();
    await renderBody();
    root.dataset.renderSeq = String((Number(root.dataset.renderSeq) || 0) + 1);
  }

  // ---------------------------------------------------------------- header: filters and time
  function renderHeader() {
    const p = state.payload;
    // The bar only changes with the options or a setting; a filter change leaves it as the
    // user just set it (rebuilding every select cost a few ms per update).
    const key = JSON.stringify([p.dataset, p.options, state.filters, state.time, state.time_range, state.granularity]);
    if (header.dataset.key === key && header.firstChild) return;
    header.dataset.key = key;
    clear(header);
    header.append(h("div", { class: "axis-title" }, "Monitor ", h("span", { class: "axis-muted" }, p.dataset)));
    const bar = h("div", { class: "axis-filters" });
    for (const [key, values] of Object.entries(p.options.filters || {})) {
      const cur = state.filters[key] || "";
      bar.append(h("label", { class: "axis-filter" }, FILTER_LABELS[key] || key,
        h("select", {
          class: "axis-select", "data-testid": `filter-${key}`,
          onchange: (e) => change(() => {
            state.filters = { ...state.filters };
            if (e.target.value) state.filters[key] = e.target.value;
            else delete state.filters[key];
          }),
        }, h("option", { value: "" }, "All"), values.map((v) => h("option", { value: v, selected: cur === v }, v)))));
    }
    bar.append(h("label", { class: "axis-filter" }, "Time",
      h("select", {
        class: "axis-select", "data-testid": "time",
        onchange: (e) => {
          if (e.target.value === "custom") {
            state.time = "custom";
            renderHeader();
            return;
          }
          change(() => { state.time = e.target.value; });
        },
      }, Object.entries(TIME_LABELS).map(([v, l]) => h("option", { value: v, selected: state.time === v }, l)))));
    if (state.time === "custom") {
      const tr = state.time_range || p.options.time_range || [null, null];
      const from = h("input", { type: "date", class: "axis-select", "data-testid": "time-start", value: (tr[0] || "").slice(0, 10) });
      const to = h("input", { type: "date", class: "axis-select", "data-testid": "time-end", value: (tr[1] || "").slice(0, 10) });
      bar.append(from, to, h("button", {
        class: "axis-btn", "data-testid": "time-apply",
        onclick: () => change(() => { state.time_range = [from.value || null, to.value || null]; }),
      }, "Apply"));
    }
    bar.append(h("label", { class: "axis-filter" }, "Buckets",
      h("select", { class: "axis-select", "data-testid": "granularity", onchange: (e) => change(() => { state.granularity = e.target.value; }) },
        ["hour", "day", "week"].map((g) => h("option", { value: g, selected: state.granularity === g }, { hour: "Hourly", day: "Daily", week: "Weekly" }[g])))));
    bar.append(h("button", {
      class: "axis-btn", "data-testid": "reset",
      onclick: () => change(() => { state.filters = {}; state.time = "24h"; state.time_range = null; }),
    }, "Reset"));
    header.append(bar);
  }

  function renderTabs() {
    const p = state.payload;
    clear(tabs);
    const cats = p.options.categories || ["SCORE"];
    const list = [["score", "Score Metrics", cats.includes("SCORE")], ["classification", "Classification", cats.includes("CLASSIFICATION")],
      ["analysis", "Analysis Insights", cats.includes("ANALYSIS")], ["alerts", `Alerts (${p.kpis.alerts})`, true]];
    if (!list.find(([id, , on]) => on && id === state.tab)) state.tab = "score";
    for (const [id, label, on] of list) {
      if (!on) continue;
      tabs.append(h("button", {
        class: `axis-tab ${state.tab === id ? "active" : ""}`, "data-testid": `tab-${id}`,
        onclick: () => { state.tab = id; saveParams(); renderTabs(); renderBody(); },
      }, label));
    }
  }

  async function renderBody() {
    for (const c of state.charts) c.finalize();
    state.charts = [];
    clear(body);
    if (state.tab !== "score" || state.payload.empty) dropKept();
    if (state.payload.empty && state.tab === "score") {
      body.append(h("div", { class: "axis-empty", "data-testid": "empty" }, "No data for selected filters"));
      return;
    }
    if (state.tab === "score") await renderScore();
    else if (state.tab === "classification") await renderClassification();
    else if (state.tab === "analysis") await renderInsights();
    else await renderAlerts();
  }

  // The score tab's charts survive an update: when a filter change only brings new data
  // (same spec shape), the data is swapped into the existing Vega view instead of parsing
  // and embedding the chart again, which cost most of the browser's time per update.
  function keptBox(name, testid) {
    return state.kept[name]?.box || h("div", { class: "axis-chart", "data-testid": testid });
  }

  async function keptChart(name, box, spec) {
    const k = state.kept[name];
    if (k && k.box === box && spec) {
      try {
        if (await k.view.update(spec)) return;
      } catch (err) {
        console.warn("AXIS: chart update failed, re-rendering", err);
      }
    }
    if (k) { k.view.finalize(); delete state.kept[name]; }
    clear(box);
    const before = state.charts.length;
    await chart(box, spec);
    if (state.charts.length > before) state.kept[name] = { box, view: state.charts.pop() };
  }

  function dropKept() {
    for (const k of Object.values(state.kept)) k.view.finalize();
    state.kept = {};
  }

  async function chart(box, spec) {
    if (!spec) return;  // renderVegaLite sizes "container" charts once the box is laid out
    try {
      state.charts.push(await renderVegaLite(box, spec));
    } catch (err) {
      box.append(h("div", { class: "axis-muted" }, `chart unavailable: ${err.message || err}`));
    }
  }

  // ---------------------------------------------------------------- score tab
  async function renderScore() {
    const p = state.payload;
    const k = p.kpis;
    const kp = h("div", { class: "axis-kpis" },
      kpiCard({ label: "Avg Score", value: k.avg_score, text: fmtScore(k.avg_score), color: scoreColor(k.avg_score), sub: k.avg_text, testid: "kpi-avg" }),
      kpiCard({ label: "Pass Rate", value: k.pass_rate, text: fmtPct(k.pass_rate), sub: k.pass_text, testid: "kpi-pass" }),
      kpiCard({ label: "P95 Latency", value: k.p95_latency, text: fmtLatency(k.p95_latency), sub: p.options.latency_unit, testid: "kpi-p95" }),
      kpiCard({ label: "Active Alerts", value: k.alerts, text: fmtInt(k.alerts), color: k.errors ? "#dc2626" : k.warnings ? "#d97706" : undefined,
        sub: `${k.errors} errors · ${k.warnings} warnings`, testid: "kpi-alerts" }));
    const trendBox = keptBox("trend", "trend-chart");
    const latBox = keptBox("latency", "latency-chart");
    const passBox = keptBox("pass", "pass-chart");
    const groupSel = h("select", { class: "axis-select", "data-testid": "latency-group", onchange: (e) => change(() => { state.group_by = e.target.value; }) },
      Object.entries(GROUP_BY).map(([v, l]) => h("option", { value: v, selected: state.group_by === v }, l)));
    const pct = p.latency.percentiles || {};
    const failBox = h("div", { "data-testid": "failing" });
    const traceBox = h("div", { "data-testid": "traces" });
    body.append(kp, trendBox,
      h("div", { class: "axis-row" },
        h("div", { class: "axis-col" }, h("div", { class: "axis-subhead" }, "Latency ", h("label", { class: "axis-filter" }, "Group by", groupSel),
          h("span", { class: "axis-muted", "data-testid": "latency-pct" }, ` P50 ${fmtLatency(pct.p50)} · P95 ${fmtLatency(pct.p95)} · P99 ${fmtLatency(pct.p99)}`)), latBox),
        h("div", { class: "axis-col" }, passBox)),
      h("div", { class: "axis-subhead" }, "Top failing outputs"), failBox,
      h("div", { class: "axis-subhead" }, "All traces"), traceBox);
    await Promise.all([keptChart("trend", trendBox, p.charts.trend), keptChart("latency", latBox, p.charts.latency),
      keptChart("pass", passBox, p.charts.pass_rates)]);
    loadFailing(failBox);
    loadTraces(traceBox);
  }

  async function loadFailing(box) {
    const r = await call("failing", { ...scope(), threshold: state.failThreshold });
    clear(box);
    const sel = h("select", { class: "axis-select", "data-testid": "fail-threshold", onchange: (e) => { state.failThreshold = Number(e.target.value); loadFailing(box); } },
      [0.3, 0.5, 0.7, 0.8, 0.9].map((t) => h("option", { value: t, selected: t === state.failThreshold }, String(t))));
    box.append(h("label", { class: "axis-filter" }, "Threshold", sel));
    box.append(h("table", { class: "axis-table" },
      h("thead", {}, h("tr", {}, ["Metric", "Score", "Trace", "Time", "Input", "Output", ""].map((c) => h("th", {}, c)))),
      h("tbody", {}, r.rows.map((row) => h("tr", {},
        h("td", {}, row.metric_name), h("td", { class: "axis-num" }, h("span", { class: `axis-dot axis-${row.severity}` }), fmtScore(row.metric_score)),
        h("td", { class: "axis-id" }, row.trace_id ?? row.dataset_id), h("td", {}, fmtTime(row.timestamp)),
        h("td", { class: "axis-wrap" }, row.query ?? "—"), h("td", { class: "axis-wrap" }, row.actual_output ?? "—"),
        h("td", {}, h("button", { class: "axis-btn", "data-testid": "open-trace", onclick: () => openTrace(row) }, "👁")))))));
  }

  async function loadTraces(box) {
    const t = state.traces;
    const r = await call("traces", { ...scope(), page: t.page, page_size: 20, search: t.search || null, metric: t.metric || null, sort: t.sort, descending: t.descending });
    clear(box);
    const search = h("input", { class: "axis-select", placeholder: "Search trace, query, output", value: t.search, "data-testid": "trace-search",
      oninput: debounce((e) => { t.search = e.target.value; t.page = 1; loadTraces(box); }, 300) });
    const metric = h("select", { class: "axis-select", "data-testid": "trace-metric", onchange: (e) => { t.metric = e.target.value; t.page = 1; loadTraces(box); } },
      h("option", { value: "" }, "All metrics"), (state.payload.pass_rates || []).map((m) => h("option", { value: m.metric_name, selected: t.metric === m.metric_name }, m.metric_name)));
    const sortBtn = h("button", { class: "axis-btn", "data-testid": "trace-sort",
      onclick: () => { if (t.sort === "recent") t.sort = "score"; else t.sort = "recent"; t.page = 1; loadTraces(box); } }, t.sort === "recent" ? "Recent" : "Score");
    const dirBtn = h("button", { class: "axis-btn", "data-testid": "trace-dir", onclick: () => { t.descending = !t.descending; loadTraces(box); } }, t.descending ? "↓" : "↑");
    box.append(h("div", { class: "axis-filters" }, search, metric, sortBtn, dirBtn));
    box.append(pagedTable({
      testid: "trace-table", rows: r.rows, total: r.total, page: r.page, pageSize: r.page_size,
      onPage: (pg) => { t.page = pg; loadTraces(box); },
      columns: [
        { key: "trace_id", label: "Trace ID", class: "axis-id", format: (v, row) => v ?? row.dataset_id },
        { key: "timestamp", label: "Timestamp", format: fmtTime },
        { key: "model_name", label: "Model" }, { key: "environment", label: "Env" },
        { key: "latency", label: "Latency", class: "axis-num", format: fmtLatency },
        { key: "metric_name", label: "Metric" },
        { key: "metric_score", label: "Score", class: "axis-num", format: (v) => h("span", { style: { color: scoreColor(v) } }, fmtScore(v)) },
        { key: "_", label: "", format: (_v, row) => h("button", { class: "axis-btn", "data-testid": "open-trace", onclick: () => openTrace(row) }, "👁") },
      ],
      rowAttrs: (row) => ({ "data-id": row.dataset_id }),
    }));
  }

  // ---------------------------------------------------------------- trace detail
  function signalsBlock(groups) {
    if (!groups || !groups.length) return h("div", { class: "axis-muted" }, "No signals");
    return h("div", { class: "axis-signals" }, groups.map((g) => {
      const verdict = (g.items || []).find((i) => i.name === "verdict");
      return h("div", { class: "axis-signal-group" },
        h("div", { class: "axis-subhead" }, g.group, verdict ? h("span", { class: verdict.value === "YES" || verdict.value === true ? "axis-high" : "axis-low" }, verdict.value === "YES" || verdict.value === true ? " ✓" : " ✗") : null),
        h("div", { class: "axis-kv" }, (g.items || []).map((i) => [h("span", { class: "axis-muted" }, i.name), h("span", {}, typeof i.value === "object" ? JSON.stringify(i.value) : String(i.value))])));
    }));
  }

  async function openTrace(row) {
    overlay.hidden = false;
    clear(overlay);
    overlay.append(h("div", { class: "axis-muted" }, "Loading…"));
    try {
      const d = await call("trace", { dataset_id: row.dataset_id, metric: row.metric_name });
      clear(overlay);
      const box = (title, text, cls) => h("div", { class: `axis-box ${cls || ""}` }, h("div", { class: "axis-subhead" }, title), h("div", { class: "axis-text" }, text ?? "—"));
      overlay.append(h("div", { class: "axis-panel" },
        h("div", { class: "axis-panel-head" },
          h("span", { class: "axis-big", style: { color: scoreColor(d.metric_score) }, "data-testid": "detail-score" }, fmtScore(d.metric_score)),
          h("span", {}, ` ${d.metric_name}`), h("span", { class: "axis-id", "data-testid": "detail-trace" }, `  ${d.trace_id ?? d.dataset_id}`),
          h("button", { class: "axis-btn", onclick: () => navigator.clipboard?.writeText(d.trace_id ?? d.dataset_id) }, "Copy"),
          h("button", { class: "axis-btn", "data-testid": "detail-close", onclick: () => { overlay.hidden = true; } }, "✕")),
        h("div", { class: "axis-row" }, box("Input", d.query), box("LLM Output", d.actual_output)),
        box("Expected Output", d.expected_output),
        box("Explanation", d.explanation, "axis-blue"), d.critique ? box("Critique", d.critique, "axis-amber") : null,
        h("div", { class: "axis-subhead" }, "Signals"), signalsBlock(d.signals),
        h("div", { class: "axis-subhead" }, "All metrics of this record"),
        h("table", { class: "axis-table", "data-testid": "detail-metrics" }, h("tbody", {}, d.metrics.map((m) => h("tr", {}, h("td", {}, m.metric_name), h("td", {}, m.metric_category ?? ""), h("td", { class: "axis-num" }, m.metric_score === null ? (m.explanation ?? "—") : fmtScore(m.metric_score)))))),
        h("div", { class: "axis-kv" }, Object.entries(d.metadata || {}).map(([k2, v]) => [h("span", { class: "axis-muted" }, k2), h("span", {}, typeof v === "object" ? JSON.stringify(v) : String(v))])),
        h("div", { class: "axis-muted" }, `${d.model_name ?? ""} · ${d.environment ?? ""} · latency ${fmtLatency(d.latency)} · ${fmtTime(d.timestamp)}`)));
    } catch (err) {
      clear(overlay);
      overlay.append(h("div", { class: "axis-error" }, String(err.message || err)), h("button", { class: "axis-btn", onclick: () => { overlay.hidden = true; } }, "Close"));
    }
  }

  // ---------------------------------------------------------------- classification tab
  async function renderClassification() {
    const c = state.cls;
    const r = await call("classification", { ...scope(), metric: c.metric, category_source: c.source, granularity: state.granularity });
    c.metric = r.metric;
    const metricSel = h("select", { class: "axis-select", "data-testid": "class-metric", onchange: (e) => { c.metric = e.target.value; renderBody(); } },
      r.metrics.map((m) => h("option", { value: m, selected: m === r.metric }, m)));
    const srcBtns = ["explanation", "actual_output"].map((s) => h("button", { class: `axis-btn ${c.source === s ? "active" : ""}`, onclick: () => { c.source = s; renderBody(); } }, s === "explanation" ? "Explanation" : "Output"));
    const modeBtns = ["percent", "count"].map((m) => h("button", { class: `axis-btn ${c.mode === m ? "active" : ""}`, "data-testid": `class-mode-${m}`, onclick: () => { c.mode = m; renderBody(); } }, m === "percent" ? "Percentage" : "Count"));
    const chartBox = h("div", { class: "axis-chart", "data-testid": "class-trend" });
    body.append(h("div", { class: "axis-filters" }, "Group by: ", ...srcBtns, " Metric ", metricSel),
      h("div", { class: "axis-kpis small" }, kpiCard({ label: "Total Records", value: r.total, text: fmtInt(r.total), testid: "class-total" }),
        kpiCard({ label: "Unique Categories", value: r.unique, text: fmtInt(r.unique), testid: "class-unique" })),
      h("table", { class: "axis-table", "data-testid": "class-counts" },
        h("thead", {}, h("tr", {}, h("th", {}, "Category"), h("th", {}, "Count"), h("th", {}, "%"), h("th", {}, ""))),
        h("tbody", {}, r.counts.map((x) => h("tr", { "data-category": x.category }, h("td", {}, x.category), h("td", { class: "axis-num" }, fmtInt(x.count)),
          h("td", { class: "axis-num" }, fmtPct(x.share)), h("td", {}, h("div", { class: "axis-bar-h", style: { width: `${Math.round(x.share * 200)}px` } })))))),
      h("div", { class: "axis-filters" }, ...modeBtns), chartBox);
    const y = c.mode === "percent" ? "share" : "count";
    await chart(chartBox, {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json", width: "container", height: 200, title: "Trends by category",
      data: { name: "t" }, datasets: { t: r.trends }, mark: { type: "area" },
      encoding: { x: { field: "bucket", type: "temporal", title: null }, y: { field: y, type: "quantitative", stack: "zero", axis: y === "share" ? { format: "%" } : {} },
        color: { field: "category", type: "nominal" }, tooltip: [{ field: "category" }, { field: "bucket", type: "temporal" }, { field: "count" }, { field: "share", format: ".1%" }] },
    });
  }

  // ---------------------------------------------------------------- analysis tab
  async function renderInsights() {
    const s = state.ins;
    const r = await call("insights", { ...scope(), page: s.page, limit: 15, search: s.search || null, metric: s.metric || null });
    const search = h("input", { class: "axis-select", placeholder: "Search", value: s.search, "data-testid": "insight-search",
      oninput: debounce((e) => { s.search = e.target.value; s.page = 1; renderBody(); }, 300) });
    const metric = h("select", { class: "axis-select", onchange: (e) => { s.metric = e.target.value; s.page = 1; renderBody(); } },
      h("option", { value: "" }, "All metrics"), r.metrics.map((m) => h("option", { value: m, selected: s.metric === m }, m)));
    body.append(h("div", { class: "axis-filters" }, search, metric), pagedTable({
      testid: "insight-table", rows: r.rows, total: r.total, page: r.page, pageSize: r.limit,
      onPage: (pg) => { s.page = pg; renderBody(); },
      columns: [
        { key: "trace_id", label: "Trace ID", class: "axis-id", format: (v, row) => v ?? row.dataset_id },
        { key: "timestamp", label: "Timestamp", format: fmtTime }, { key: "metric_name", label: "Metric" },
        { key: "actual_output", label: "Output", class: "axis-wrap" }, { key: "explanation", label: "Explanation", class: "axis-wrap" },
        { key: "_", label: "", format: (_v, row) => h("button", { class: "axis-btn", onclick: () => openTrace(row) }, "Details") },
      ],
    }));
  }

  // ---------------------------------------------------------------- alerts tab
  async function renderAlerts() {
    const r = await call("alerts", { ...scope(), granularity: state.granularity });
    body.append(h("div", { class: "axis-filters" },
      h("span", { class: "axis-chip axis-chip-error", "data-testid": "alert-errors" }, `${r.errors} Errors`),
      h("span", { class: "axis-chip axis-chip-warning", "data-testid": "alert-warnings" }, `${r.warnings} Warnings`)));
    if (r.nominal) {
      body.append(h("div", { class: "axis-nominal", "data-testid": "nominal" }, "All systems nominal"));
      return;
    }
    const blocks = (a) => {
      const m = a.detector;
      const pairs = m.startsWith("threshold") ? [["Current", a.value], ["Target", a.limit], ["Gap", a.statistic]]
        : m === "z_score" ? [["Current", a.value], ["Z", a.statistic], ["±threshold", a.limit]]
          : m === "moving_average" ? [["Current", a.value], ["MA", a.reference], ["Deviation", a.statistic]]
            : [["Current", a.value], ["Previous", a.reference], ["Change", a.statistic]];
      return h("div", { class: "axis-kv-row" }, pairs.map(([l, v]) => h("div", { class: "axis-vb" }, h("div", { class: "axis-muted" }, l), h("b", {}, v === null ? "—" : Math.abs(v) >= 10 ? fmtLatency(v) : Number(v).toFixed(3)))));
    };
    for (const g of r.groups) {
      const det = h("details", { open: true, class: "axis-alert-group" }, h("summary", {}, `${g.title} (${g.alerts.length})`));
      for (const a of g.alerts) {
        det.append(h("div", { class: `axis-alert axis-alert-${a.severity}`, "data-testid": "alert" },
          h("div", {}, h("b", {}, `${a.source_name} · ${a.metric_name}${a.category ? ` = ${a.category}` : ""}`), " ",
            h("span", { class: `axis-chip axis-chip-${a.severity}` }, a.severity), " ", h("span", { class: "axis-pill" }, a.detector), " ",
            h("span", { class: "axis-muted" }, fmtTime(a.bucket))),
          h("div", { class: "axis-muted" }, a.message), blocks(a)));
      }
      body.append(det);
    }
  }

  // ---------------------------------------------------------------- start
  const snap = model.get("snapshot");
  if (snap && Object.keys(snap).length) show(snap).then(() => { root.dataset.updateMs = "0"; });
  else update();
  transport.decide().then((m) => { root.dataset.transport = m; });
  return () => {
    transport.dispose();
    for (const c of state.charts) c.finalize();
    dropKept();
  };
}

export default { render };
