// The tabs of the deep-dive view (../deepdive.js): each draws into the view's body from
// the payload and its own action's result, and keeps its settings in the view's state.
import { h, clear, debounce } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtPct, fmtInt, isEmpty } from "../../lib/format.js";
import { kpiRow } from "../../lib/kpi.js";
import { table, tableHead, pagedTable } from "../../lib/table.js";
import { labelledSelect, segmented, optionsOf, searchBox, refocus } from "../../lib/controls.js";
import { renderTree, toggleIn } from "../../lib/tree.js";
import { signalGroupsView } from "../../lib/signals.js";
import { metricDistribution, caseNotes } from "../../lib/metric-popup.js";
import { errorText } from "../../lib/transport.js";

const CASE_PAGE = 10;

/**
 * What a tab draws with.
 * @typedef {object} DeepDiveTab
 * @property {any} state the view's state (payload, filters, each tab's settings)
 * @property {HTMLElement} body the tab's area (emptied before a tab draws)
 * @property {import("../../lib/charts.js").ChartSet} charts the tab's charts
 * @property {(name: string, action: string, params: object, draw: (data: any) => void) => Promise<void>} load
 *   run an action (cached per params) and draw its result
 * @property {() => void} renderBody redraw the current tab
 * @property {(id: string) => void} openCase open the test-case panel
 * @property {() => string | null} experiment the experiment filtered to
 * @property {(action: string, params?: object) => Promise<any>} call run an action
 */

/** @param {DeepDiveTab} t @param {boolean} all with an "All metrics" option */
const metricOptions = (t, all) => /** @type {Array<[string, string]>} */ ([
  ...(all ? [["", "All metrics"]] : []),
  ...(t.state.payload.metrics || []).map((/** @type {string} */ m) => [m, m]),
]);

/** @param {import("../../lib/dom.js").Child} text @param {string} [testid] */
const empty = (text, testid) => h("div", { class: "axis-empty", "data-testid": testid }, text);

/** @param {DeepDiveTab} t */
function overview({ state, body, charts }) {
  const p = state.payload;
  const k = p.kpis || {};
  body.append(kpiRow([
    { label: "Average score", value: k.average_score, text: fmtScore(k.average_score), color: scoreColor(k.average_score), testid: "kpi-average" },
    { label: "Pass rate", value: k.pass_rate, text: fmtPct(k.pass_rate), sub: `scores ≥ ${p.threshold}`, testid: "kpi-pass" },
    { label: "Test cases", value: k.test_cases, text: fmtInt(k.test_cases), testid: "kpi-cases" },
    { label: "Std dev", value: k.std, text: fmtScore(k.std), sub: "of every score", testid: "kpi-std" },
  ], { testid: "kpis" }));
  body.append(h("div", { class: "axis-row" },
    charts.box(p.charts?.radar, "chart-radar", "axis-radar"),
    charts.box(p.charts?.bar, "chart-bar", "axis-grow")));
  body.append(table({
    testid: "summary",
    head: tableHead(["Metric", "Mean", "Std", "Min", "Max", "Pass rate", "Scores"], { numFrom: 1 }),
    rows: (p.summary || []).map((/** @type {any} */ r) => h("tr", { "data-metric": r.metric_name, "data-mean": r.mean ?? "" },
      h("td", {}, r.metric_name),
      h("td", { class: "axis-num" }, h("b", { style: { color: scoreColor(r.mean) } }, fmtScore(r.mean))),
      h("td", { class: "axis-num" }, fmtScore(r.std)),
      h("td", { class: "axis-num" }, fmtScore(r.min)),
      h("td", { class: "axis-num" }, fmtScore(r.max)),
      h("td", { class: "axis-num" }, fmtPct(r.pass_rate)),
      h("td", { class: "axis-num axis-muted" }, fmtInt(r.count)))),
  }));
}

/** @param {DeepDiveTab} t */
function distribution(t) {
  const { state, body, charts } = t;
  const dist = state.dist;
  const all = state.payload.metrics || [];
  if (!dist.metrics) dist.metrics = all.slice(0, 5);
  const chosen = dist.metrics.filter((/** @type {string} */ m) => all.includes(m));
  const controls = h("div", { class: "axis-strip" },
    segmented([["violin", "Violin"], ["box", "Box"]], dist.kind, (kind) => {
      dist.kind = kind;
      t.renderBody();
    }, (kind) => `dist-${kind}`),
    h("span", { class: "axis-muted", "data-testid": "dist-count" }, `Showing ${chosen.length} of ${all.length} metrics`));
  const pills = h("div", { class: "axis-pills" }, all.map((/** @type {string} */ m) => h("button", {
    class: `axis-mpill ${chosen.includes(m) ? "on" : ""}`, "data-testid": "metric-pill", "data-metric": m,
    onclick: () => {
      const set = toggleIn(new Set(dist.metrics), m);
      dist.metrics = all.filter((/** @type {string} */ x) => set.has(x));
      t.renderBody();
    },
  }, m)));
  body.append(controls, pills);
  if (!chosen.length) {
    body.append(empty("Pick at least one metric."));
    return;
  }
  t.load("distribution", "distribution", { metrics: chosen, kind: dist.kind, filters: state.filters }, (d) => {
    body.append(charts.box(d.chart, "chart-distribution"));
    body.append(table({
      testid: "quantiles",
      head: tableHead(["Metric", "Experiment", "n", "Mean", "Min", "Q1", "Median", "Q3", "Max"], { numFrom: 2 }),
      rows: (d.rows || []).map((/** @type {any} */ r) => h("tr", {},
        h("td", {}, r.metric_name), h("td", {}, r.group), h("td", { class: "axis-num" }, fmtInt(r.count)),
        ["mean", "min", "q25", "median", "q75", "max"].map((c) => h("td", { class: "axis-num" }, fmtScore(r[c]))))),
    }));
  });
}

/** @param {DeepDiveTab} t */
function tradeoffs(t) {
  const { state, body, charts } = t;
  const all = state.payload.metrics || [];
  if (all.length < 2) {
    body.append(empty("Tradeoffs need at least two metrics."));
    return;
  }
  const tr = state.trade;
  tr.x = tr.x && all.includes(tr.x) ? tr.x : all[0];
  tr.y = tr.y && all.includes(tr.y) ? tr.y : all[1];
  body.append(h("div", { class: "axis-strip" },
    labelledSelect({ label: "X ", testid: "trade-x", options: metricOptions(t, false), value: tr.x, onchange: (v) => { tr.x = v; t.renderBody(); } }),
    labelledSelect({ label: "Y ", testid: "trade-y", options: metricOptions(t, false), value: tr.y, onchange: (v) => { tr.y = v; t.renderBody(); } }),
    h("label", { class: "axis-filter" },
      h("input", { type: "checkbox", "data-testid": "trendline", checked: tr.trend,
        onchange: (/** @type {any} */ e) => { tr.trend = e.target.checked; t.renderBody(); } }), " Show trendline")));
  t.load("tradeoffs", "tradeoffs", { x: tr.x, y: tr.y, trendline: tr.trend, filters: state.filters }, (d) => {
    if (d.message) {
      body.append(empty(d.message));
      return;
    }
    const r = (d.correlation || []).find((/** @type {any} */ c) => c.metric_x === d.x && c.metric_y === d.y);
    body.append(h("div", { class: "axis-muted", "data-testid": "trade-summary", "data-points": d.points },
      `${fmtInt(d.points)} test cases · Pearson r = ${r && r.r !== null ? r.r.toFixed(3) : "—"}`));
    body.append(h("div", { class: "axis-row" },
      charts.box(d.charts?.scatter, "chart-scatter"),
      charts.box(d.charts?.correlation, "chart-correlation")));
  });
}

/** @param {DeepDiveTab} t */
function tree(t) {
  const { state, body } = t;
  const tr = state.tree;
  const controls = h("div", { class: "axis-strip" },
    segmented([["aggregated", "Aggregated"], ["individual", "Individual"]], tr.mode, (m) => {
      tr.mode = m;
      t.renderBody();
    }, (m) => `tree-${m}`));
  body.append(controls);
  body.append(h("div", { class: "axis-tip" }, "Click a parent to collapse it, a leaf (metric) to see its details."));
  /** @type {Record<string, any>} */
  const params = { mode: tr.mode, filters: state.filters };
  if (tr.mode === "individual" && tr.caseId) params.dataset_id = tr.caseId;
  t.load("tree", "tree", params, (d) => {
    if (tr.mode === "individual") {
      tr.caseId = d.dataset_id;
      controls.append(labelledSelect({ label: "Test case ", testid: "tree-case", options: optionsOf(d.case_ids || []), value: d.dataset_id,
        onchange: (v) => {
          tr.caseId = v;
          t.renderBody();
        } }));
      if (d.dataset_id) {
        controls.append(h("button", { class: "axis-btn", "data-testid": "tree-open-case",
          onclick: () => t.openCase(d.dataset_id) }, "Test case context"));
      }
    }
    if (!d.tree) {
      body.append(empty("No metric hierarchy in this dataset."));
      return;
    }
    const box = h("div", { class: "axis-tree-box" });
    const detail = h("div", { class: "axis-detail", hidden: true, "data-testid": "tree-detail" });
    body.append(h("div", { class: "axis-tree-wrap" }, box, detail));
    const rows = new Map((d.rows || []).map((/** @type {any} */ r) => [r.name, r]));
    requestAnimationFrame(() => renderTree(box, d.tree, {
      collapsed: tr.collapsed,
      margin: 150,
      onToggle: (path) => {
        toggleIn(tr.collapsed, path);
        t.renderBody();
      },
      onLeaf: (node) => treeDetail(t, detail, node, rows.get(node.name), d.mode),
    }));
  });
}

/**
 * The side panel of a clicked leaf: its distribution (aggregated: the five-number summary
 * and a 10-bin histogram) or its explanation, signals and critique (one test case).
 * @param {DeepDiveTab} t @param {HTMLElement} box @param {any} node @param {any} row @param {string} mode
 */
async function treeDetail(t, box, node, row, mode) {
  clear(box);
  box.hidden = false;
  box.dataset.metric = node.name;
  box.append(h("div", { class: "axis-panel-head" },
    h("div", { class: "axis-title" }, node.name, " ", h("span", { style: { color: scoreColor(node.score) } }, fmtScore(node.score))),
    h("button", { class: "axis-btn", "data-testid": "tree-detail-close", onclick: () => { box.hidden = true; }, "aria-label": "Close" }, "×")));
  box.append(h("div", { class: "axis-muted" }, `Weight ${node.weight ?? "—"} · ${fmtPct(node.norm_weight)} of siblings`));
  if (mode === "aggregated") {
    const slot = h("div", { class: "axis-muted" }, row ? "Loading…" : "");
    box.append(slot);
    try {
      const st = await t.call("metric_stats", { metric: node.name, filters: t.state.filters });
      if (box.dataset.metric === node.name) slot.replaceWith(metricDistribution(st));
    } catch (err) {
      slot.textContent = errorText(err);
    }
  } else {
    const src = row || node;
    box.append(...caseNotes({ explanation: src.explanation }));
    if (!isEmpty(src.signals)) box.append(signalGroupsView(src.signals));
    box.append(...caseNotes({ critique: src.critique }));
  }
}

/**
 * Response length and conversation turns: scores per bin of a measure.
 * @param {"length" | "turns"} action
 * @param {string} title
 * @returns {(t: DeepDiveTab) => void}
 */
const binned = (action, title) => (t) => {
  const { state, body, charts } = t;
  const st = action === "length" ? state.len : state.turns;
  body.append(h("div", { class: "axis-strip" },
    labelledSelect({ label: "Analyze metric ", testid: `${action}-metric`, options: metricOptions(t, true), value: st.metric,
      onchange: (v) => {
        st.metric = v;
        t.renderBody();
      } })));
  /** @type {Record<string, any>} */
  const params = { filters: state.filters };
  if (st.metric) params.metric = st.metric;
  t.load(action, action, params, (d) => {
    if (d.message) {
      body.append(empty(d.message, `${action}-message`));
      return;
    }
    body.append(charts.box(d.chart, `chart-${action}`));
    /** @type {any[]} */
    const rows = d.rows || [];
    const groups = [...new Set(rows.map((r) => r.group))];
    const bins = [...new Set(rows.map((r) => r.bin_label))];
    const at = new Map(rows.map((r) => [`${r.group}\u0000${r.bin_label}`, r]));
    body.append(h("div", { class: "axis-subhead" }, `${title}: bin statistics`));
    body.append(table({
      testid: `${action}-table`,
      head: h("thead", {}, h("tr", {}, h("th", {}, "Bin"),
        groups.map((g) => [h("th", { class: "axis-num" }, `${g} count`), h("th", { class: "axis-num" }, `${g} mean`)]))),
      rows: bins.map((b) => h("tr", { "data-bin": b }, h("td", {}, b), groups.map((g) => {
        const r = at.get(`${g}\u0000${b}`) || {};
        return [h("td", { class: "axis-num", "data-group": g, "data-count": r.count ?? 0 }, fmtInt(r.count ?? 0)),
          h("td", { class: "axis-num" }, h("span", { style: { color: scoreColor(r.mean_score) } }, fmtScore(r.mean_score)))];
      }))),
    }));
  });
};

/** @param {DeepDiveTab} t */
function metadata(t) {
  const { state, body, charts } = t;
  const m = state.meta;
  const keys = state.payload.metadata_keys || [];
  if (!keys.length) {
    body.append(empty("No metadata keys found (data_metadata JSON) in this dataset.", "metadata-message"));
    return;
  }
  m.key = m.key && keys.includes(m.key) ? m.key : keys[0];
  const label = h("span", { class: "axis-num", "data-testid": "threshold-value" }, m.threshold.toFixed(2));
  const reload = debounce(() => t.renderBody(), 250);
  body.append(h("div", { class: "axis-strip" },
    labelledSelect({ label: "Group by ", testid: "metadata-key", options: optionsOf(keys), value: m.key, onchange: (v) => { m.key = v; t.renderBody(); } }),
    labelledSelect({ label: "Metric ", testid: "metadata-metric", options: metricOptions(t, true), value: m.metric, onchange: (v) => { m.metric = v; t.renderBody(); } }),
    h("label", { class: "axis-filter" }, "Pass threshold ",
      h("input", { type: "range", min: 0, max: 1, step: 0.05, value: m.threshold, "data-testid": "threshold",
        oninput: (/** @type {any} */ e) => {
          m.threshold = Number(e.target.value);
          label.textContent = m.threshold.toFixed(2);
          reload();
        } }), label)));
  /** @type {Record<string, any>} */
  const params = { key: m.key, threshold: m.threshold, filters: state.filters };
  if (m.metric) params.metric = m.metric;
  t.load("metadata", "metadata", params, (d) => {
    if (d.message) {
      body.append(empty(d.message));
      return;
    }
    body.append(charts.box(d.chart, "chart-metadata"));
    body.append(h("div", { class: "axis-subhead" }, "Breakdown summary"));
    body.append(table({
      testid: "metadata-table",
      head: tableHead(["Value", "Scores", "Cases", "Mean", "Pass rate"], { numFrom: 1 }),
      rows: (d.rows || []).map((/** @type {any} */ r) => h("tr", { "data-value": r.value, "data-pass": r.pass_rate ?? "" },
        h("td", {}, r.value), h("td", { class: "axis-num" }, fmtInt(r.count)), h("td", { class: "axis-num" }, fmtInt(r.cases)),
        h("td", { class: "axis-num" }, h("b", { style: { color: scoreColor(r.mean) } }, fmtScore(r.mean))),
        h("td", { class: "axis-num" }, fmtPct(r.pass_rate)))),
    }));
  });
}

/** @param {DeepDiveTab} t */
function cases(t) {
  const { state, body } = t;
  const c = state.cases;
  const exp = t.experiment();
  const search = searchBox({
    testid: "case-search", placeholder: "Search id or query…", value: c.search,
    onsearch: (text) => {
      c.search = text;
      c.page = 1;
      t.renderBody();
      refocus(body, "case-search");
    },
  });
  body.append(h("div", { class: "axis-strip" }, search,
    h("span", { class: "axis-muted" }, exp ? `experiment ${exp}` : "all experiments")));
  const params = { page: c.page, page_size: CASE_PAGE, search: c.search || undefined, evaluation_name: exp || undefined };
  t.load("cases", "cases", params, (d) => {
    body.append(pagedTable({
      testid: "cases",
      columns: [
        { key: "dataset_id", label: "ID", format: (v) => h("span", { class: "axis-id" }, v) },
        { key: "query", label: "Query", class: "axis-wrap" },
        { key: "mean_score", label: "Mean score", class: "axis-num",
          format: (v) => h("b", { style: { color: scoreColor(v) } }, fmtScore(v)) },
        { key: "metrics", label: "Metrics", class: "axis-num" },
        ...(d.rows.some((/** @type {any} */ r) => r.experiments !== undefined) ? [{ key: "experiments", label: "Experiments", class: "axis-num" }] : []),
      ],
      rows: d.rows, total: d.total, page: d.page, pageSize: d.page_size,
      onPage: (p) => { c.page = p; t.renderBody(); },
      rowAttrs: (r) => ({ class: "axis-click", "data-testid": "case-row", "data-id": r.dataset_id,
        onclick: () => t.openCase(r.dataset_id), title: "Open the test case" }),
    }));
  });
}

/** @type {Record<string, (t: DeepDiveTab) => void>} */
export const TAB_VIEWS = {
  overview, distribution, tradeoffs, tree,
  length: binned("length", "Response length"),
  turns: binned("turns", "Conversation turns"),
  metadata, cases,
};
