// The metric tree's leaf popup (the scorecard's and the deep dive's): sample size, mean,
// median and standard deviation; the five-number summary as a range bar with its IQR box
// and a median tick on a 0-1 axis; a 10-bin histogram whose bars take their bin's score
// colour. The numbers come from the `metric_stats` action (payloads/metric_stats.py).
import { h, s } from "./dom.js";
import { COLORS, fmtInt, fmtScore, scoreBand } from "./format.js";
import { kpiRow } from "./kpi.js";

/**
 * @typedef {{count?: number, mean?: number | null, std?: number | null, min?: number | null,
 *   q25?: number | null, median?: number | null, q75?: number | null, max?: number | null,
 *   hist?: number[], critiques?: number | null}} MetricStats
 */

/**
 * x positions (px) of the five numbers on a 0-1 axis `width` wide (values outside 0-1 are
 * drawn at the ends); null when a number is missing. Pure: unit tested.
 * @param {MetricStats} st
 * @param {number} width
 * @param {number} [pad] px kept free at each end
 */
export function fiveNumberLayout(st, width, pad = 6) {
  /** @param {number | null | undefined} v */
  const x = (v) => (v === null || v === undefined || Number.isNaN(v) ? null : pad + Math.max(0, Math.min(1, v)) * (width - 2 * pad));
  return { min: x(st.min), q25: x(st.q25), median: x(st.median), q75: x(st.q75), max: x(st.max) };
}

/**
 * The five-number summary: a whisker from min to max, the IQR box and the median tick.
 * @param {MetricStats} st
 * @param {{width?: number, height?: number}} [size]
 */
export function fiveNumberBar(st, { width = 300, height = 44 } = {}) {
  const p = fiveNumberLayout(st, width);
  const mid = 16;
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "axis-five", "data-testid": "five-number",
    "data-min": st.min ?? "", "data-q25": st.q25 ?? "", "data-median": st.median ?? "", "data-q75": st.q75 ?? "", "data-max": st.max ?? "" });
  svg.append(s("title", {}, `min ${fmtScore(st.min)} · 25th ${fmtScore(st.q25)} · median ${fmtScore(st.median)} · 75th ${fmtScore(st.q75)} · max ${fmtScore(st.max)}`));
  // the 0-1 axis with ticks at 0, 0.5 and 1
  svg.append(s("line", { x1: 6, x2: width - 6, y1: 32, y2: 32, stroke: "currentColor", "stroke-opacity": 0.25 }));
  for (const t of [0, 0.5, 1]) {
    const tx = 6 + t * (width - 12);
    svg.append(s("line", { x1: tx, x2: tx, y1: 30, y2: 34, stroke: "currentColor", "stroke-opacity": 0.4 }),
      s("text", { x: tx, y: 43, "font-size": 9, "text-anchor": t === 0 ? "start" : t === 1 ? "end" : "middle", fill: "currentColor", "fill-opacity": 0.6 }, String(t)));
  }
  if (p.min !== null && p.max !== null) {
    svg.append(s("line", { x1: p.min, x2: p.max, y1: mid, y2: mid, stroke: "currentColor", "stroke-opacity": 0.6, "data-part": "whisker" }),
      s("line", { x1: p.min, x2: p.min, y1: mid - 5, y2: mid + 5, stroke: "currentColor", "stroke-opacity": 0.6 }),
      s("line", { x1: p.max, x2: p.max, y1: mid - 5, y2: mid + 5, stroke: "currentColor", "stroke-opacity": 0.6 }));
  }
  if (p.q25 !== null && p.q75 !== null) {
    svg.append(s("rect", { x: p.q25, y: mid - 8, width: Math.max(1, p.q75 - p.q25), height: 16, rx: 2,
      fill: COLORS[scoreBand(st.median)], "fill-opacity": 0.35, stroke: COLORS[scoreBand(st.median)], "data-part": "iqr" }));
  }
  if (p.median !== null) {
    svg.append(s("line", { x1: p.median, x2: p.median, y1: mid - 9, y2: mid + 9, stroke: COLORS[scoreBand(st.median)], "stroke-width": 3, "data-part": "median" }));
  }
  return svg;
}

/**
 * A 10-bin histogram over [0, 1], each bar coloured by its bin's score band.
 * @param {number[]} counts
 * @param {{width?: number, height?: number}} [size]
 */
export function scoreHistogram(counts, { width = 300, height = 60 } = {}) {
  const top = Math.max(1, ...counts);
  const bw = width / Math.max(1, counts.length);
  const svg = s("svg", { width, height: height + 12, viewBox: `0 0 ${width} ${height + 12}`, class: "axis-hist10",
    "data-testid": "histogram", "data-bins": counts.join(",") });
  counts.forEach((c, i) => {
    const lo = i / counts.length, hi = (i + 1) / counts.length;
    const bh = ((height - 2) * c) / top;
    svg.append(s("rect", { x: (i * bw + 1).toFixed(1), y: (height - bh).toFixed(1), width: Math.max(1, bw - 2).toFixed(1),
      height: bh.toFixed(1), fill: COLORS[scoreBand((lo + hi) / 2)], "fill-opacity": 0.75 },
    s("title", {}, `${lo.toFixed(1)}–${hi.toFixed(1)}: ${fmtInt(c)}`)));
  });
  svg.append(s("text", { x: 0, y: height + 11, "font-size": 9, fill: "currentColor", "fill-opacity": 0.6 }, "0"),
    s("text", { x: width, y: height + 11, "font-size": 9, "text-anchor": "end", fill: "currentColor", "fill-opacity": 0.6 }, "1"));
  return svg;
}

/**
 * Everything the aggregated popup shows of one metric.
 * @param {MetricStats} st
 */
export function metricDistribution(st) {
  return h("div", { class: "axis-metric-dist", "data-testid": "metric-dist", "data-count": st.count ?? "" },
    kpiRow([
      { label: "Sample size", value: st.count, text: fmtInt(st.count), testid: "md-count" },
      { label: "Mean", value: st.mean, text: fmtScore(st.mean), testid: "md-mean" },
      { label: "Median", value: st.median, text: fmtScore(st.median), testid: "md-median" },
      { label: "Std dev", value: st.std, text: fmtScore(st.std), testid: "md-std" },
    ], { small: true }),
    h("div", { class: "axis-subhead" }, "Five-number summary"),
    fiveNumberBar(st),
    h("div", { class: "axis-muted axis-five-text" },
      `min ${fmtScore(st.min)} · 25th ${fmtScore(st.q25)} · median ${fmtScore(st.median)} · 75th ${fmtScore(st.q75)} · max ${fmtScore(st.max)}`),
    h("div", { class: "axis-subhead" }, "Distribution (10 bins)"),
    scoreHistogram(st.hist || []),
    st.critiques ? h("div", { class: "axis-muted", "data-testid": "md-critiques" }, `${fmtInt(st.critiques)} scores carry a critique (see a test case in Individual mode)`) : null);
}

/**
 * One case's explanation, and its critique where it has one (amber, as in the reference).
 * @param {{explanation?: string | null, critique?: string | null}} node
 * @returns {HTMLElement[]}
 */
export function caseNotes(node) {
  return /** @type {HTMLElement[]} */ ([
    node.explanation ? h("div", { class: "axis-note-box axis-note-blue", "data-testid": "node-explanation" }, h("b", {}, "Explanation"), h("div", { class: "axis-text" }, node.explanation)) : null,
    node.critique ? h("div", { class: "axis-note-box axis-note-amber", "data-testid": "node-critique" }, h("b", {}, "Critique"), h("div", { class: "axis-text" }, node.critique)) : null,
  ].filter(Boolean));
}
