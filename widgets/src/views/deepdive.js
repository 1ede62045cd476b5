// The evaluation deep-dive view (anywidget front end).
// Python side: axis_jupyter/views/deepdive.py (actions payload, distribution, tradeoffs,
// length, turns, metadata, cases, case, tree). Every number shown comes from those actions;
// charts are the Vega-Lite specs they return. The experiment filter applies to every tab.
import "../lib/ui.css";
import "./deepdive.css";
import { createTransport, viewCalls } from "../lib/transport.js";
import { h, clear, kpiCard, pagedTable, sparkline, scoreColor, fmtScore, fmtPct, fmtInt } from "../lib/ui.js";
import { renderTree } from "../lib/tree.js";
import { renderVegaLite } from "../lib/vega.js";

const EXP = "evaluation_name";
const TABS = [
  ["overview", "Overview"],
  ["distribution", "Distribution"],
  ["tradeoffs", "Tradeoffs"],
  ["tree", "Tree"],
  ["length", "Response"],
  ["turns", "Conversation"],
  ["metadata", "Metadata"],
  ["cases", "Test cases"],
];
const CASE_PAGE = 10;

function debounce(fn, ms) {
  let t = null;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

const isEmpty = (v) =>
  v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length) ||
  (typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length);

function text(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v, null, 2);
}

function render({ model, el }) {
  const transport = createTransport(model);
  const p0 = model.get("params") || {};
  const ui0 = p0.ui || {};
  const state = {
    payload: null,
    filters: { ...(p0.filters || {}) },
    threshold: p0.threshold,
    tab: ui0.tab || "overview",
    data: {}, // tab -> last result (cleared when the filter changes)
    dist: { kind: "violin", metrics: null },
    trade: { x: null, y: null, trend: false },
    len: { metric: "" },
    turns: { metric: "" },
    meta: { key: null, metric: "", threshold: 0.5 },
    tree: { mode: "aggregated", caseId: null, collapsed: new Set() },
    cases: { page: 1, search: "" },
    charts: [],
    seq: 0,
    tabSeq: 0,
    caseSeq: 0,
  };

  const root = h("div", { class: "axis-view axis-deepdive", "data-testid": "axis-deepdive", tabindex: "-1" });
  const header = h("div", { class: "axis-header" });
  const errorBox = h("div", { class: "axis-error", hidden: true, "data-testid": "error" });
  const tabs = h("div", { class: "axis-tabs", role: "tablist" });
  const body = h("div", { class: "axis-body", "data-testid": "body" });
  const status = h("div", { class: "axis-status", "data-testid": "status" });
  const overlay = h("div", { class: "axis-overlay", hidden: true, "data-testid": "case-panel" });
  root.append(header, errorBox, tabs, body, status, overlay);
  el.append(root);

  // ---------------------------------------------------------------- calls
  const { call, showError } = viewCalls(transport, { root, status, errorBox });

  function saveParams() {
    const p = { ...(model.get("params") || {}), filters: state.filters, ui: { tab: state.tab } };
    model.set("params", p);
    model.save_changes();
  }

  const experiment = () => state.filters[EXP] || null;

  async function update() {
    const my = ++state.seq;
    root.classList.add("axis-busy");
    try {
      const params = { filters: state.filters };
      if (state.threshold !== undefined && state.threshold !== null) params.threshold = state.threshold;
      const payload = await call("payload", params);
      if (my !== state.seq) return;
      showError(null);
      state.payload = payload;
      state.data = {};
      model.set("snapshot", payload);
      model.save_changes();
      renderAll();
    } catch (err) {
      if (my === state.seq) showError(err);
    } finally {
      if (my === state.seq) root.classList.remove("axis-busy");
    }
  }

  // ---------------------------------------------------------------- charts
  function dropCharts() {
    for (const c of state.charts) c.finalize();
    state.charts = [];
  }

  function chartBox(spec, testid, cls = "") {
    const box = h("div", { class: `axis-chart ${cls}`, "data-testid": testid });
    if (!spec) {
      box.append(h("div", { class: "axis-muted" }, "No chart for this selection."));
      return box;
    }
    const mine = state.tabSeq;
    // renderVegaLite sizes "container" specs once the caller has attached the box
    renderVegaLite(box, spec)
      .then((c) => {
        if (mine !== state.tabSeq) c.finalize();
        else {
          state.charts.push(c);
          box.dataset.rendered = "1";
        }
      })
      .catch((err) => box.append(h("div", { class: "axis-muted" }, `chart unavailable: ${err.message || err}`)));
    return box;
  }

  // ---------------------------------------------------------------- shell
  function renderAll() {
    renderHeader();
    renderTabs();
    renderBody();
  }

  function renderHeader() {
    const p = state.payload;
    clear(header);
    header.append(h("div", { class: "axis-title" }, "Deep dive ", h("span", { class: "axis-muted" }, p.dataset)));
    const exps = p.experiments || [];
    if (exps.length) {
      header.append(
        h("label", { class: "axis-filter" }, "Experiment ",
          h("select", {
            class: "axis-select", "data-testid": "experiment", "aria-label": "Experiment",
            onchange: (e) => {
              const v = e.target.value;
              state.filters = { ...state.filters };
              if (v) state.filters[EXP] = v;
              else delete state.filters[EXP];
              state.cases.page = 1;
              state.tree.caseId = null;
              saveParams();
              update();
            },
          },
          h("option", { value: "" }, "All experiments"),
          exps.map((v) => h("option", { value: v, selected: experiment() === v }, v)))),
      );
    }
  }

  function renderTabs() {
    clear(tabs);
    for (const [id, label] of TABS) {
      tabs.append(h("button", {
        class: `axis-tab ${state.tab === id ? "active" : ""}`, role: "tab", "data-testid": `tab-${id}`,
        "aria-selected": state.tab === id ? "true" : "false",
        onclick: () => {
          if (state.tab === id) return;
          state.tab = id;
          saveParams();
          renderTabs();
          renderBody();
        },
      }, label));
    }
  }

  function renderBody() {
    state.tabSeq += 1;
    dropCharts();
    clear(body);
    body.dataset.tab = state.tab;
    const fn = {
      overview: tabOverview, distribution: tabDistribution, tradeoffs: tabTradeoffs, tree: tabTree,
      length: () => tabBinned("length", state.len, "Response length"),
      turns: () => tabBinned("turns", state.turns, "Conversation turns"),
      metadata: tabMetadata, cases: tabCases,
    }[state.tab] || tabOverview;
    fn();
  }

  /** Load a tab's data (cached per params) and draw it with draw(data). */
  async function load(tab, action, params, draw) {
    const key = JSON.stringify([action, params]);
    const cached = state.data[tab];
    if (cached && cached.key === key) {
      draw(cached.value);
      body.dataset.loaded = tab;
      return;
    }
    const mine = state.tabSeq;
    body.append(h("div", { class: "axis-muted axis-loading" }, "Loading…"));
    body.dataset.loaded = "";
    try {
      const value = await call(action, params);
      state.data[tab] = { key, value };
      if (mine !== state.tabSeq) return;
      showError(null);
      body.querySelectorAll(".axis-loading").forEach((n) => n.remove());
      draw(value);
      body.dataset.loaded = tab;
    } catch (err) {
      if (mine === state.tabSeq) {
        body.querySelectorAll(".axis-loading").forEach((n) => n.remove());
        showError(err);
      }
    }
  }

  function select(testid, label, options, value, onchange) {
    return h("label", { class: "axis-filter" }, label,
      h("select", { class: "axis-select", "data-testid": testid, onchange: (e) => onchange(e.target.value) },
        options.map(([v, t]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, t))));
  }

  const metricOptions = (all = true) => [
    ...(all ? [["", "All metrics"]] : []),
    ...(state.payload.metrics || []).map((m) => [m, m]),
  ];

  // ---------------------------------------------------------------- overview
  function tabOverview() {
    const p = state.payload;
    const k = p.kpis || {};
    body.append(h("div", { class: "axis-kpis", "data-testid": "kpis" },
      kpiCard({ label: "Average score", value: k.average_score, text: fmtPct(k.average_score),
        color: scoreColor(k.average_score), testid: "kpi-average" }),
      kpiCard({ label: "Pass rate", value: k.pass_rate, text: fmtPct(k.pass_rate),
        sub: `scores ≥ ${p.threshold}`, testid: "kpi-pass" }),
      kpiCard({ label: "Test cases", value: k.test_cases, text: fmtInt(k.test_cases), testid: "kpi-cases" }),
      kpiCard({ label: "Variance", value: k.variance, text: fmtScore(k.variance, 4), testid: "kpi-variance" })));
    body.append(h("div", { class: "axis-row" },
      chartBox(p.charts?.radar, "chart-radar", "axis-radar"),
      chartBox(p.charts?.bar, "chart-bar", "axis-grow")));
    body.append(h("table", { class: "axis-table", "data-testid": "summary" },
      h("thead", {}, h("tr", {}, ["Metric", "Mean", "Std", "Min", "Max", "Pass rate", "Scores"].map((c, i) =>
        h("th", { class: i ? "axis-num" : "" }, c)))),
      h("tbody", {}, (p.summary || []).map((r) => h("tr", { "data-metric": r.metric_name, "data-mean": r.mean ?? "" },
        h("td", {}, r.metric_name),
        h("td", { class: "axis-num" }, h("b", { style: { color: scoreColor(r.mean) } }, fmtScore(r.mean))),
        h("td", { class: "axis-num" }, fmtScore(r.std)),
        h("td", { class: "axis-num" }, fmtScore(r.min)),
        h("td", { class: "axis-num" }, fmtScore(r.max)),
        h("td", { class: "axis-num" }, fmtPct(r.pass_rate)),
        h("td", { class: "axis-num axis-muted" }, fmtInt(r.count)))))));
  }

  // ---------------------------------------------------------------- distribution
  function tabDistribution() {
    const all = state.payload.metrics || [];
    if (!state.dist.metrics) state.dist.metrics = all.slice(0, 5);
    const chosen = state.dist.metrics.filter((m) => all.includes(m));
    const controls = h("div", { class: "axis-strip" },
      h("div", { class: "axis-seg" }, ["violin", "box"].map((kind) => h("button", {
        class: `axis-btn ${state.dist.kind === kind ? "active" : ""}`, "data-testid": `dist-${kind}`,
        onclick: () => {
          state.dist.kind = kind;
          renderBody();
        },
      }, kind === "violin" ? "Violin" : "Box"))),
      h("span", { class: "axis-muted", "data-testid": "dist-count" }, `Showing ${chosen.length} of ${all.length} metrics`));
    const pills = h("div", { class: "axis-pills" }, all.map((m) => h("button", {
      class: `axis-mpill ${chosen.includes(m) ? "on" : ""}`, "data-testid": "metric-pill", "data-metric": m,
      onclick: () => {
        const set = new Set(state.dist.metrics);
        if (set.has(m)) set.delete(m);
        else set.add(m);
        state.dist.metrics = all.filter((x) => set.has(x));
        renderBody();
      },
    }, m)));
    body.append(controls, pills);
    if (!chosen.length) {
      body.append(h("div", { class: "axis-empty" }, "Pick at least one metric."));
      return;
    }
    load("distribution", "distribution", { metrics: chosen, kind: state.dist.kind, filters: state.filters }, (d) => {
      body.append(chartBox(d.chart, "chart-distribution"));
      body.append(h("table", { class: "axis-table", "data-testid": "quantiles" },
        h("thead", {}, h("tr", {}, ["Metric", "Experiment", "n", "Mean", "Min", "Q1", "Median", "Q3", "Max"].map((c, i) =>
          h("th", { class: i > 1 ? "axis-num" : "" }, c)))),
        h("tbody", {}, (d.rows || []).map((r) => h("tr", {},
          h("td", {}, r.metric_name), h("td", {}, r.group), h("td", { class: "axis-num" }, fmtInt(r.count)),
          ["mean", "min", "q25", "median", "q75", "max"].map((c) => h("td", { class: "axis-num" }, fmtScore(r[c]))))))));
    });
  }

  // ---------------------------------------------------------------- tradeoffs
  function tabTradeoffs() {
    const all = state.payload.metrics || [];
    if (all.length < 2) {
      body.append(h("div", { class: "axis-empty" }, "Tradeoffs need at least two metrics."));
      return;
    }
    const t = state.trade;
    t.x = t.x && all.includes(t.x) ? t.x : all[0];
    t.y = t.y && all.includes(t.y) ? t.y : all[1];
    body.append(h("div", { class: "axis-strip" },
      select("trade-x", "X ", metricOptions(false), t.x, (v) => { t.x = v; renderBody(); }),
      select("trade-y", "Y ", metricOptions(false), t.y, (v) => { t.y = v; renderBody(); }),
      h("label", { class: "axis-filter" },
        h("input", { type: "checkbox", "data-testid": "trendline", checked: t.trend,
          onchange: (e) => { t.trend = e.target.checked; renderBody(); } }), " Show trendline")));
    load("tradeoffs", "tradeoffs", { x: t.x, y: t.y, trendline: t.trend, filters: state.filters }, (d) => {
      if (d.message) {
        body.append(h("div", { class: "axis-empty" }, d.message));
        return;
      }
      const r = (d.correlation || []).find((c) => c.metric_x === d.x && c.metric_y === d.y);
      body.append(h("div", { class: "axis-muted", "data-testid": "trade-summary", "data-points": d.points },
        `${fmtInt(d.points)} test cases · Pearson r = ${r && r.r !== null ? r.r.toFixed(3) : "—"}`));
      body.append(h("div", { class: "axis-row" },
        chartBox(d.charts?.scatter, "chart-scatter"),
        chartBox(d.charts?.correlation, "chart-correlation")));
    });
  }

  // ---------------------------------------------------------------- tree
  function tabTree() {
    const tr = state.tree;
    const controls = h("div", { class: "axis-strip" },
      h("div", { class: "axis-seg" }, ["aggregated", "individual"].map((m) => h("button", {
        class: `axis-btn ${tr.mode === m ? "active" : ""}`, "data-testid": `tree-${m}`,
        onclick: () => {
          tr.mode = m;
          renderBody();
        },
      }, m === "aggregated" ? "Aggregated" : "Individual"))));
    body.append(controls);
    body.append(h("div", { class: "axis-tip" }, "Click a parent to collapse it, a leaf (metric) to see its details."));
    const params = { mode: tr.mode, filters: state.filters };
    if (tr.mode === "individual" && tr.caseId) params.dataset_id = tr.caseId;
    load("tree", "tree", params, (d) => {
      if (tr.mode === "individual") {
        tr.caseId = d.dataset_id;
        const ids = d.case_ids || [];
        controls.append(select("tree-case", "Test case ", ids.map((i) => [i, i]), d.dataset_id, (v) => {
          tr.caseId = v;
          renderBody();
        }));
        if (d.dataset_id) {
          controls.append(h("button", { class: "axis-btn", "data-testid": "tree-open-case",
            onclick: () => openCase(d.dataset_id) }, "Test case context"));
        }
      }
      if (!d.tree) {
        body.append(h("div", { class: "axis-empty" }, "No metric hierarchy in this dataset."));
        return;
      }
      const box = h("div", { class: "axis-tree-box" });
      const detail = h("div", { class: "axis-detail", hidden: true, "data-testid": "tree-detail" });
      body.append(h("div", { class: "axis-tree-wrap" }, box, detail));
      const rows = new Map((d.rows || []).map((r) => [r.name, r]));
      requestAnimationFrame(() => renderTree(box, d.tree, {
        collapsed: tr.collapsed,
        margin: 150,
        onToggle: (path) => {
          if (tr.collapsed.has(path)) tr.collapsed.delete(path);
          else tr.collapsed.add(path);
          renderBody();
        },
        onLeaf: (node) => treeDetail(detail, node, rows.get(node.name), d.mode),
      }));
    });
  }

  function treeDetail(box, node, row, mode) {
    clear(box);
    box.hidden = false;
    box.append(h("div", { class: "axis-panel-head" },
      h("div", { class: "axis-title" }, node.name, " ", h("span", { style: { color: scoreColor(node.score) } }, fmtScore(node.score))),
      h("button", { class: "axis-btn", "data-testid": "tree-detail-close", onclick: () => { box.hidden = true; } }, "✕")));
    box.append(h("div", { class: "axis-muted" }, `Weight ${node.weight ?? "—"} · ${fmtPct(node.norm_weight)} of siblings`));
    if (mode === "aggregated" && row) {
      box.append(h("div", { class: "axis-kpis small" },
        kpiCard({ label: "Sample size", value: row.count, text: fmtInt(row.count) }),
        kpiCard({ label: "Mean", value: row.mean, text: fmtScore(row.mean) }),
        kpiCard({ label: "Std dev", value: row.std, text: fmtScore(row.std) }),
        kpiCard({ label: "Min – max", value: "", text: `${fmtScore(row.min, 2)} – ${fmtScore(row.max, 2)}` })));
      box.append(sparkline(row.hist, row.mean, { width: 260, height: 48 }));
    } else {
      const src = row || node;
      if (src.explanation) box.append(h("div", { class: "axis-box axis-blue" }, h("b", {}, "Explanation"), h("div", { class: "axis-text" }, src.explanation)));
      if (!isEmpty(src.signals)) box.append(signalsView(src.signals));
      if (src.critique) box.append(h("div", { class: "axis-box axis-amber" }, h("b", {}, "Critique"), h("div", { class: "axis-text" }, src.critique)));
    }
  }

  // ---------------------------------------------------------------- length / turns
  function tabBinned(action, st, title) {
    body.append(h("div", { class: "axis-strip" },
      select(`${action}-metric`, "Analyze metric ", metricOptions(true), st.metric, (v) => {
        st.metric = v;
        renderBody();
      })));
    const params = { filters: state.filters };
    if (st.metric) params.metric = st.metric;
    load(action, action, params, (d) => {
      if (d.message) {
        body.append(h("div", { class: "axis-empty", "data-testid": `${action}-message` }, d.message));
        return;
      }
      body.append(chartBox(d.chart, `chart-${action}`));
      const groups = [...new Set((d.rows || []).map((r) => r.group))];
      const bins = [...new Set((d.rows || []).map((r) => r.bin_label))];
      const at = new Map((d.rows || []).map((r) => [`${r.group}\u0000${r.bin_label}`, r]));
      body.append(h("div", { class: "axis-subhead" }, `${title}: bin statistics`));
      body.append(h("table", { class: "axis-table", "data-testid": `${action}-table` },
        h("thead", {}, h("tr", {}, h("th", {}, "Bin"),
          groups.map((g) => [h("th", { class: "axis-num" }, `${g} count`), h("th", { class: "axis-num" }, `${g} mean`)]))),
        h("tbody", {}, bins.map((b) => h("tr", { "data-bin": b }, h("td", {}, b), groups.map((g) => {
          const r = at.get(`${g}\u0000${b}`) || {};
          return [h("td", { class: "axis-num", "data-group": g, "data-count": r.count ?? 0 }, fmtInt(r.count ?? 0)),
            h("td", { class: "axis-num" }, h("span", { style: { color: scoreColor(r.mean_score) } }, fmtScore(r.mean_score)))];
        }))))));
    });
  }

  // ---------------------------------------------------------------- metadata
  function tabMetadata() {
    const m = state.meta;
    const keys = state.payload.metadata_keys || [];
    if (!keys.length) {
      body.append(h("div", { class: "axis-empty", "data-testid": "metadata-message" },
        "No metadata keys found (data_metadata JSON) in this dataset."));
      return;
    }
    m.key = m.key && keys.includes(m.key) ? m.key : keys[0];
    const label = h("span", { class: "axis-num", "data-testid": "threshold-value" }, m.threshold.toFixed(2));
    const reload = debounce(() => renderBody(), 250);
    body.append(h("div", { class: "axis-strip" },
      select("metadata-key", "Group by ", keys.map((k) => [k, k]), m.key, (v) => { m.key = v; renderBody(); }),
      select("metadata-metric", "Metric ", metricOptions(true), m.metric, (v) => { m.metric = v; renderBody(); }),
      h("label", { class: "axis-filter" }, "Pass threshold ",
        h("input", { type: "range", min: 0, max: 1, step: 0.05, value: m.threshold, "data-testid": "threshold",
          oninput: (e) => {
            m.threshold = Number(e.target.value);
            label.textContent = m.threshold.toFixed(2);
            reload();
          } }), label)));
    const params = { key: m.key, threshold: m.threshold, filters: state.filters };
    if (m.metric) params.metric = m.metric;
    load("metadata", "metadata", params, (d) => {
      if (d.message) {
        body.append(h("div", { class: "axis-empty" }, d.message));
        return;
      }
      body.append(chartBox(d.chart, "chart-metadata"));
      body.append(h("div", { class: "axis-subhead" }, "Breakdown summary"));
      body.append(h("table", { class: "axis-table", "data-testid": "metadata-table" },
        h("thead", {}, h("tr", {}, ["Value", "Scores", "Cases", "Mean", "Pass rate"].map((c, i) => h("th", { class: i ? "axis-num" : "" }, c)))),
        h("tbody", {}, (d.rows || []).map((r) => h("tr", { "data-value": r.value, "data-pass": r.pass_rate ?? "" },
          h("td", {}, r.value), h("td", { class: "axis-num" }, fmtInt(r.count)), h("td", { class: "axis-num" }, fmtInt(r.cases)),
          h("td", { class: "axis-num" }, h("b", { style: { color: scoreColor(r.mean) } }, fmtScore(r.mean))),
          h("td", { class: "axis-num" }, fmtPct(r.pass_rate)))))));
    });
  }

  // ---------------------------------------------------------------- cases
  function tabCases() {
    const c = state.cases;
    const search = h("input", {
      class: "axis-input", type: "search", placeholder: "Search id or query…", value: c.search,
      "data-testid": "case-search",
      oninput: debounce((e) => {
        c.search = e.target.value;
        c.page = 1;
        renderBody();
        const again = body.querySelector("[data-testid=case-search]");
        if (again) {
          again.focus();
          again.setSelectionRange(again.value.length, again.value.length);
        }
      }, 300),
    });
    body.append(h("div", { class: "axis-strip" }, search,
      h("span", { class: "axis-muted" }, experiment() ? `experiment ${experiment()}` : "all experiments")));
    const params = { page: c.page, page_size: CASE_PAGE, search: c.search || undefined, evaluation_name: experiment() || undefined };
    load("cases", "cases", params, (d) => {
      body.append(pagedTable({
        testid: "cases",
        columns: [
          { key: "dataset_id", label: "ID", format: (v) => h("span", { class: "axis-id" }, v) },
          { key: "query", label: "Query", class: "axis-wrap" },
          { key: "mean_score", label: "Mean score", class: "axis-num",
            format: (v) => h("b", { style: { color: scoreColor(v) } }, fmtScore(v)) },
          { key: "metrics", label: "Metrics", class: "axis-num" },
          ...(d.rows.some((r) => r.experiments !== undefined) ? [{ key: "experiments", label: "Experiments", class: "axis-num" }] : []),
        ],
        rows: d.rows, total: d.total, page: d.page, pageSize: d.page_size,
        onPage: (p) => { c.page = p; renderBody(); },
        rowAttrs: (r) => ({ class: "axis-click", "data-testid": "case-row", "data-id": r.dataset_id,
          onclick: () => openCase(r.dataset_id), title: "Open the test case" }),
      }));
    });
  }

  // ---------------------------------------------------------------- test-case panel
  function closeCase() {
    overlay.hidden = true;
    root.style.minHeight = "";
    clear(overlay);
  }
  overlay.addEventListener("click", (e) => {
    if (e.target === overlay) closeCase();
  });
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeCase();
  });

  async function openCase(id) {
    const mine = ++state.caseSeq;
    clear(overlay);
    overlay.hidden = false;
    root.style.minHeight = "660px"; // room for the panel when the current tab is short
    const panel = h("div", { class: "axis-panel", role: "dialog", "aria-label": `Test case ${id}` },
      h("div", { class: "axis-panel-head" },
        h("div", { class: "axis-title" }, "Test case ", h("span", { class: "axis-id", "data-testid": "case-id" }, id)),
        h("button", { class: "axis-btn", "data-testid": "case-close", onclick: closeCase }, "✕")),
      h("div", { class: "axis-muted" }, "Loading…"));
    overlay.append(panel);
    try {
      const d = await call("case", { dataset_id: id, evaluation_name: experiment() || undefined });
      if (mine !== state.caseSeq) return;
      panel.lastChild.remove();
      drawCase(panel, d);
      overlay.dataset.loaded = id;
    } catch (err) {
      if (mine === state.caseSeq) panel.lastChild.replaceWith(h("div", { class: "axis-error" }, String(err.message || err)));
    }
  }

  function drawCase(panel, d) {
    const exps = d.experiments || [];
    const tabsBar = h("div", { class: "axis-seg" });
    const content = h("div", { "data-testid": "case-content" });
    const show = (i) => {
      tabsBar.querySelectorAll("button").forEach((b, j) => b.classList.toggle("active", i === j));
      clear(content);
      drawExperiment(content, exps[i]);
    };
    if (exps.length > 1 || (exps[0] && exps[0].evaluation_name)) {
      exps.forEach((e, i) => tabsBar.append(h("button", { class: "axis-btn", "data-testid": "case-exp", "data-exp": e.evaluation_name,
        onclick: () => show(i) }, e.evaluation_name ?? "—")));
      panel.append(h("div", { class: "axis-strip" }, h("span", { class: "axis-muted" }, "Experiment"), tabsBar));
    }
    panel.append(content);
    if (exps.length) show(0);
    else content.append(h("div", { class: "axis-muted" }, "No rows for this case."));
  }

  function section(title, node, testid, open = true) {
    const det = h("details", { class: "axis-section", open, "data-testid": testid }, h("summary", {}, title), node);
    return det;
  }

  function drawExperiment(box, e) {
    const f = e.fields || {};
    const textBox = (v, cls = "") => h("div", { class: `axis-text axis-box ${cls}` }, text(v));
    if (!isEmpty(f.conversation)) box.append(section("Conversation", conversationView(f.conversation), "case-conversation"));
    if (!isEmpty(f.query)) box.append(section("Query", textBox(f.query), "case-query"));
    if (!isEmpty(f.actual_output)) box.append(section("Response", textBox(f.actual_output), "case-response"));
    if (!isEmpty(f.expected_output)) box.append(section("Expected output", textBox(f.expected_output, "axis-green"), "case-expected"));
    if (!isEmpty(f.acceptance_criteria)) {
      const items = Array.isArray(f.acceptance_criteria) ? f.acceptance_criteria : [f.acceptance_criteria];
      box.append(section("Acceptance criteria", h("ol", {}, items.map((c) => h("li", {}, text(c)))), "case-criteria"));
    }
    if (!isEmpty(f.retrieved_content)) box.append(section("Retrieved content", chunksView(f.retrieved_content), "case-chunks"));
    for (const [k, label] of [["additional_input", "Additional input"], ["additional_output", "Additional output"],
      ["data_metadata", "Metadata"], ["evaluation_metadata", "Evaluation metadata"]]) {
      if (!isEmpty(f[k])) box.append(section(label, kvView(f[k]), `case-${k}`, false));
    }
    const metrics = e.metrics || [];
    if (metrics.length) {
      const list = h("div", { class: "axis-metrics" });
      for (const m of metrics) {
        const extra = h("div", { class: "axis-metric-extra" });
        if (m.explanation) extra.append(h("div", { class: "axis-box axis-blue" }, h("b", {}, "Explanation"), h("div", { class: "axis-text" }, m.explanation)));
        if (!isEmpty(m.signals)) extra.append(signalsView(m.signals));
        if (m.critique) extra.append(h("div", { class: "axis-box axis-amber" }, h("b", {}, "Critique"), h("div", { class: "axis-text" }, m.critique)));
        list.append(h("details", { class: "axis-metric", "data-testid": "case-metric", "data-metric": m.metric_name, "data-score": m.metric_score ?? "" },
          h("summary", {},
            h("span", { class: "axis-metric-name" }, m.metric_name),
            m.metric_type ? h("span", { class: "axis-muted" }, ` ${m.metric_type}`) : null,
            h("b", { class: "axis-metric-score", style: { color: scoreColor(m.metric_score) } }, fmtScore(m.metric_score))),
          extra.childNodes.length ? extra : h("div", { class: "axis-muted" }, "No explanation, signals or critique.")));
      }
      box.append(section(`Metrics (${metrics.length})`, list, "case-metrics"));
    }
  }

  function conversationView(conv) {
    let msgs = conv;
    if (conv && !Array.isArray(conv) && typeof conv === "object") msgs = conv.messages || conv.turns || [conv];
    if (!Array.isArray(msgs)) return h("div", { class: "axis-text axis-box" }, text(conv));
    return h("div", { class: "axis-chat" }, msgs.map((m) => {
      const role = String((m && (m.role || m.speaker || m.type)) || "message").toLowerCase();
      const content = m && typeof m === "object" ? (m.content ?? m.text ?? m.message ?? m) : m;
      const user = ["user", "human"].includes(role);
      return h("div", { class: `axis-bubble ${user ? "user" : "assistant"}` },
        h("div", { class: "axis-muted axis-role" }, role), h("div", { class: "axis-text" }, text(content)));
    }));
  }

  function chunksView(chunks) {
    const list = Array.isArray(chunks) ? chunks : [chunks];
    return h("div", { class: "axis-chunks" }, list.map((c, i) => {
      if (c && typeof c === "object") {
        const title = c.title || c.name || c.id || `Chunk ${i + 1}`;
        const src = c.source || c.url || c.link;
        const body = c.content ?? c.text ?? c.page_content ?? c;
        return h("div", { class: "axis-chunk", "data-testid": "chunk" },
          h("div", { class: "axis-chunk-title" }, `${i + 1}. ${title}`),
          src ? h("div", { class: "axis-muted" }, String(src)) : null,
          h("div", { class: "axis-text" }, text(body)));
      }
      return h("div", { class: "axis-chunk", "data-testid": "chunk" },
        h("div", { class: "axis-chunk-title" }, `Chunk ${i + 1}`), h("div", { class: "axis-text" }, text(c)));
    }));
  }

  function kvView(v) {
    if (!v || typeof v !== "object" || Array.isArray(v)) return h("div", { class: "axis-text axis-box" }, text(v));
    return h("div", { class: "axis-kv" }, Object.entries(v).map(([k, x]) => [h("b", {}, k), h("span", { class: "axis-text" }, text(x))]));
  }

  /** Grouped signals: "overall" first, then statement_N in numeric order, then the rest. */
  function signalsView(signals) {
    const wrap = h("div", { class: "axis-signals", "data-testid": "signals" }, h("b", {}, "Signals"));
    if (typeof signals !== "object" || signals === null) {
      wrap.append(h("div", { class: "axis-text" }, String(signals)));
      return wrap;
    }
    const groups = Array.isArray(signals) ? { overall: signals } : signals;
    const rank = (g) => (g === "overall" ? [0, 0, g] : /^statement_(\d+)/.test(g) ? [1, Number(g.match(/^statement_(\d+)/)[1]), g] : [2, 0, g]);
    const order = Object.keys(groups).sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
    });
    for (const g of order) {
      const raw = groups[g];
      const items = Array.isArray(raw) ? raw
        : raw && typeof raw === "object" && !("name" in raw) ? Object.entries(raw).map(([name, value]) => ({ name, value }))
          : [raw];
      const verdict = items.find((it) => it && it.name === "verdict");
      const tint = verdict ? (/^(yes|true|pass|1)$/i.test(String(verdict.value)) ? "pass" : /^(no|false|fail|0)$/i.test(String(verdict.value)) ? "fail" : "") : "";
      const grp = h("div", { class: `axis-signal-group ${tint}`, "data-group": g },
        h("div", { class: "axis-muted axis-group-head" }, `${g.toUpperCase()} (${items.length} signal${items.length === 1 ? "" : "s"})`));
      for (const it of items) {
        if (it && typeof it === "object" && "name" in it) {
          const v = typeof it.value === "boolean" ? (it.value ? "Yes" : "No") : typeof it.value === "object" ? JSON.stringify(it.value) : String(it.value ?? "—");
          const more = [it.description, it.reason, it.statement].filter(Boolean);
          const row = h("div", { class: "axis-signal", "data-name": it.name },
            h("span", {}, it.headline || it.headline_display ? "★ " : "", it.name),
            h("span", {}, it.score !== undefined && it.score !== null ? h("span", { class: "axis-dot", style: { background: scoreColor(it.score) } }) : null, v));
          grp.append(more.length ? h("details", {}, h("summary", {}, row), h("div", { class: "axis-text axis-muted" }, more.join("\n"))) : row);
        } else grp.append(h("div", { class: "axis-signal axis-text" }, text(it)));
      }
      wrap.append(grp);
    }
    return wrap;
  }

  // ---------------------------------------------------------------- start
  const onSnapshot = () => {
    const s = model.get("snapshot");
    if (s && s !== state.payload && Object.keys(s).length && s.view === "deepdive") {
      state.payload = s;
      state.filters = { ...(s.filters || {}) };
      state.data = {};
      renderAll();
    }
  };
  model.on("change:snapshot", onSnapshot);
  const snap = model.get("snapshot");
  if (snap && Object.keys(snap).length && snap.kpis) {
    state.payload = snap;
    state.filters = { ...(snap.filters || state.filters) };
    renderAll();
  } else {
    update();
  }
  transport.decide().then((m) => {
    root.dataset.transport = root.dataset.transport || m;
  });

  return () => {
    model.off("change:snapshot", onSnapshot);
    transport.dispose();
    dropCharts();
  };
}

export default { render };
