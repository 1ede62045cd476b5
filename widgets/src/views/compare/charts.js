// The compare view's chart tabs (see ../compare.js): the payload's grouped bar and radar,
// and per-metric distribution, scatter and pass/fail agreement loaded on demand.
import { h, clear } from "../../lib/dom.js";
import { fmtScore, fmtPct, fmtInt } from "../../lib/format.js";
import { tabButtons, labelledSelect, optionsOf } from "../../lib/controls.js";
import { table, tableHead } from "../../lib/table.js";
import { errorText } from "../../lib/transport.js";

/** @typedef {import("../compare.js").CompareContext} CompareContext */

/** @type {Array<[string, string]>} */
const CHART_TABS = [["bar", "Grouped bar"], ["radar", "Radar"], ["distribution", "Distribution"], ["scatter", "Scatter"], ["agreement", "Agreement"]];

/** @param {number} v an agreement share */
const agreementColor = (v) => (v >= 0.8 ? "#16a34a" : v >= 0.5 ? "#d97706" : "#dc2626");

/** @param {CompareContext} ctx */
export function chartsSection(ctx) {
  const { state } = ctx;
  const charts = ctx.charts.chart;
  state.chartSeq += 1;
  charts.reset();
  const sec = clear(ctx.sections.charts);
  sec.append(ctx.head("Comparison charts"));
  sec.append(h("div", { class: "axis-tabs" }, tabButtons(CHART_TABS, state.chartTab, (id) => {
    state.chartTab = id;
    ctx.saveParams();
    chartsSection(ctx);
  }, { prefix: "chart-tab" })));
  const box = h("div", { class: "axis-chart-body", "data-testid": "chart-body", "data-tab": state.chartTab });
  sec.append(box);
  const p = state.payload;
  const metrics = [...new Set((p.metrics || []).map((/** @type {any} */ m) => m.metric_name))];
  /** @param {string} testid @param {string} value @param {(v: string) => void} onchange */
  const metricSelect = (testid, value, onchange) => labelledSelect({ label: "Metric ", testid, options: optionsOf(metrics), value, onchange });
  const gen = state.chartSeq;
  /** @param {string} action @param {object} params @param {(d: any) => void} draw */
  const fetchChart = async (action, params, draw) => {
    box.append(h("div", { class: "axis-muted axis-loading" }, "Loading…"));
    try {
      const d = await ctx.call(action, params);
      if (gen !== state.chartSeq) return;
      box.querySelectorAll(".axis-loading").forEach((n) => n.remove());
      draw(d);
    } catch (err) {
      if (gen === state.chartSeq) box.append(h("div", { class: "axis-error" }, errorText(err)));
    }
  };
  /** @param {string | null} chosen */
  const metricOr = (chosen) => (chosen && metrics.includes(chosen) ? chosen : metrics[0]);
  const tab = state.chartTab;
  if (tab === "bar") box.append(charts.box(p.charts?.bar, "chart-bar", "axis-wide"));
  else if (tab === "radar") box.append(charts.box(p.charts?.radar, "chart-radar"));
  else if (tab === "distribution") {
    const m = metricOr(state.charts.dist);
    box.append(metricSelect("dist-metric", m, (v) => { state.charts.dist = v; chartsSection(ctx); }));
    fetchChart("distribution", { metric: m, filters: ctx.filters() }, (d) => box.append(charts.box(d.chart, "chart-distribution", "axis-wide")));
  } else if (tab === "scatter") {
    const m = metricOr(state.charts.scatter);
    box.append(metricSelect("scatter-metric", m, (v) => { state.charts.scatter = v; chartsSection(ctx); }));
    fetchChart("scatter", { ...ctx.pair(), metric: m, filters: ctx.filters() }, (d) => {
      box.append(h("div", { class: "axis-muted", "data-testid": "scatter-points", "data-points": d.points }, `${fmtInt(d.points)} cases scored by both`));
      box.append(charts.box(d.chart, "chart-scatter"));
    });
  } else if (tab === "agreement") {
    agreementTab(ctx, box, fetchChart);
  }
}

/**
 * How often two experiments agree on pass/fail at a threshold (a slider).
 * @param {CompareContext} ctx
 * @param {HTMLElement} box
 * @param {(action: string, params: object, draw: (d: any) => void) => Promise<void>} fetchChart
 */
function agreementTab(ctx, box, fetchChart) {
  const { state } = ctx;
  const th = state.charts.threshold;
  const label = h("span", { class: "axis-num" }, th.toFixed(2));
  box.append(h("label", { class: "axis-filter" }, "Pass threshold ",
    h("input", { type: "range", min: 0, max: 1, step: 0.05, value: th, "data-testid": "agreement-threshold",
      oninput: (/** @type {any} */ e) => { label.textContent = Number(e.target.value).toFixed(2); },
      onchange: (/** @type {any} */ e) => { state.charts.threshold = Number(e.target.value); chartsSection(ctx); } }), label));
  fetchChart("agreement", { threshold: th, filters: ctx.filters() }, (d) => {
    const pairs = (d.rows || []).filter((/** @type {any} */ r) => r.experiment_a < r.experiment_b);
    box.append(h("div", { class: "axis-row" },
      ctx.charts.chart.box(d.chart, "chart-agreement"),
      table({
        testid: "agreement-table", cls: "axis-grow",
        head: tableHead(["Pair", "n", "Agreement", "κ", "Both pass", "Both fail", "A only", "B only"], { numFrom: 1 }),
        rows: pairs.map((/** @type {any} */ r) => h("tr", {},
          h("td", {}, `${r.experiment_a} · ${r.experiment_b}`), h("td", { class: "axis-num" }, fmtInt(r.n)),
          h("td", { class: "axis-num" }, h("b", { style: { color: agreementColor(r.agreement) } }, fmtPct(r.agreement))),
          h("td", { class: "axis-num" }, fmtScore(r.kappa, 2)),
          ["both_pass", "both_fail", "a_only", "b_only"].map((k) => h("td", { class: "axis-num" }, fmtInt(r[k]))))),
      })));
  });
}
