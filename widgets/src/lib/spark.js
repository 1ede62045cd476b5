// Small inline SVG charts: a score histogram with its mean, and a line of a series.
import { s } from "./dom.js";
import { fmtScore, scoreColor } from "./format.js";

/**
 * An n-bin histogram over [0, 1] with a dashed mean line and dot.
 * @param {number[] | null | undefined} hist counts per bin
 * @param {number | null | undefined} mean
 * @param {{width?: number, height?: number}} [size]
 */
export function sparkline(hist, mean, { width = 100, height = 24 } = {}) {
  const bins = hist || [];
  const top = Math.max(1, ...bins);
  const bw = width / Math.max(1, bins.length);
  const svg = s("svg", {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: "axis-spark",
    "data-bins": bins.join(","),
  });
  const labels = bins.map((c, i) => `${(i / bins.length).toFixed(1)}–${((i + 1) / bins.length).toFixed(1)}: ${c}`);
  svg.append(s("title", {}, `${labels.join("\n")}\nmean: ${fmtScore(mean)}`));
  bins.forEach((c, i) => {
    const bh = ((height - 2) * c) / top;
    svg.append(
      s("rect", {
        x: (i * bw + 1).toFixed(1),
        y: (height - bh).toFixed(1),
        width: Math.max(1, bw - 2).toFixed(1),
        height: bh.toFixed(1),
        fill: scoreColor((i + 0.5) / bins.length),
        "fill-opacity": 0.55,
      }),
    );
  });
  if (mean !== null && mean !== undefined) {
    const x = Math.min(width - 1, Math.max(1, mean * width));
    svg.append(s("line", { x1: x, x2: x, y1: 0, y2: height, stroke: "#dc2626", "stroke-dasharray": "2,2" }));
    svg.append(s("circle", { cx: x, cy: 3, r: 2.5, fill: "#dc2626" }));
  }
  return svg;
}

/**
 * The polyline points of a series scaled into width x height (1 px margins), or null
 * when fewer than two values are present. Missing values are skipped.
 * @param {Array<number | null | undefined>} values
 * @param {number} width
 * @param {number} height
 * @returns {string | null}
 */
export function linePoints(values, width, height) {
  const vals = /** @type {number[]} */ (values.filter((v) => v !== null && v !== undefined));
  if (vals.length < 2) return null;
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const span = hi - lo || 1;
  return vals.map((v, i) => `${((i / (vals.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - ((v - lo) / span) * (height - 4)).toFixed(1)}`).join(" ");
}

/**
 * A polyline sparkline of [{date, value}].
 * @param {Array<{value: number | null | undefined}> | null | undefined} points
 * @param {{width?: number, height?: number, color?: string}} [opts]
 */
export function lineSpark(points, { width = 90, height = 22, color = "#2563eb" } = {}) {
  const vals = (points || []).map((p) => p.value).filter((v) => v !== null && v !== undefined);
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "axis-spark", "data-points": vals.length });
  const pts = linePoints(vals, width, height);
  if (pts) svg.append(s("polyline", { points: pts, fill: "none", stroke: color, "stroke-width": 1.5 }));
  return svg;
}
