// The rules dashboard's summary strip: four KPI cards, rules by action (bars in the
// configured colours), rules by product (a donut with the total in the middle) and the
// amber conflict banner.
import { h, s } from "../../lib/dom.js";
import { fmtInt, fmtPct } from "../../lib/format.js";
import { kpiRow } from "../../lib/kpi.js";

const DONUT_COLORS = ["#3498DB", "#E74C3C", "#F39C12", "#8B9F4F", "#9B59B6", "#1ABC9C", "#D4AF37", "#7F8C8D"];

/**
 * Arc path of a donut slice from angle a0 to a1 (radians, 0 at the top, clockwise).
 * @param {number} a0 @param {number} a1 @param {number} r @param {number} r0 inner radius
 */
export function slicePath(a0, a1, r, r0) {
  const pt = (/** @type {number} */ a, /** @type {number} */ rr) => [rr * Math.sin(a), -rr * Math.cos(a)];
  const large = a1 - a0 > Math.PI ? 1 : 0;
  const [x0, y0] = pt(a0, r), [x1, y1] = pt(a1, r), [x2, y2] = pt(a1, r0), [x3, y3] = pt(a0, r0);
  return `M${x0},${y0}A${r},${r} 0 ${large} 1 ${x1},${y1}L${x2},${y2}A${r0},${r0} 0 ${large} 0 ${x3},${y3}Z`;
}

/** @param {any} p the payload */
export function summaryStrip(p) {
  const sm = p.summary || {};
  const cards = kpiRow([
    { label: "Rules", value: sm.rules_count, text: fmtInt(sm.rules_count), testid: "kpi-rules" },
    { label: "Risk factors", value: sm.risk_factors_count, text: fmtInt(sm.risk_factors_count), testid: "kpi-risk-factors" },
    { label: "Mitigants", value: sm.mitigants_count, text: fmtInt(sm.mitigants_count), testid: "kpi-mitigants" },
    { label: "Hard stops", value: sm.hard_stops_count, text: fmtInt(sm.hard_stops_count), color: "#dc2626", testid: "kpi-hard-stops" },
  ], { testid: "summary" });
  return h("div", { class: "axis-mem-summary" }, cards,
    h("div", { class: "axis-mem-charts" }, actionBars(p.by_action || []), productDonut(p.by_product || [])),
    conflictBanner(p));
}

/** @param {Array<{action: string, count: number, color: string}>} rows */
function actionBars(rows) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return h("div", { class: "axis-mem-card", "data-testid": "by-action" },
    h("div", { class: "axis-mem-card-title" }, "Rules by action"),
    rows.map((r) => h("div", { class: "axis-mem-bar", "data-action": r.action, title: `${r.action}: ${r.count}` },
      h("span", { class: "axis-mem-bar-label" }, r.action),
      h("span", { class: "axis-mem-bar-track" },
        h("span", { class: "axis-mem-bar-fill", style: { width: `${(100 * r.count) / max}%`, background: r.color } })),
      h("span", { class: "axis-num" }, fmtInt(r.count)))));
}

/** @param {Array<{product_type: string, count: number, share: number}>} rows */
function productDonut(rows) {
  const total = rows.reduce((a, r) => a + r.count, 0);
  const R = 60, R0 = 33; // hole 0.55
  let a = 0;
  const slices = rows.map((r, i) => {
    const a1 = a + (total ? (2 * Math.PI * r.count) / total : 0);
    const path = s("path", { d: slicePath(a, Math.min(a1, a + 2 * Math.PI - 1e-6), R, R0), fill: DONUT_COLORS[i % DONUT_COLORS.length] },
      s("title", {}, `${r.product_type}: ${r.count} (${fmtPct(r.share)})`));
    a = a1;
    return path;
  });
  return h("div", { class: "axis-mem-card", "data-testid": "by-product" },
    h("div", { class: "axis-mem-card-title" }, "Rules by product"),
    h("div", { class: "axis-mem-donut" },
      s("svg", { width: 2 * R + 4, height: 2 * R + 4, viewBox: `${-R - 2} ${-R - 2} ${2 * R + 4} ${2 * R + 4}` },
        ...slices, s("text", { "text-anchor": "middle", "dominant-baseline": "middle", class: "axis-mem-donut-total" }, fmtInt(total))),
      h("div", { class: "axis-mem-legend" }, rows.map((r, i) => h("div", {},
        h("span", { class: "axis-mem-swatch", style: { background: DONUT_COLORS[i % DONUT_COLORS.length] } }),
        `${r.product_type} · ${fmtPct(r.share)}`)))));
}

/** @param {any} p */
function conflictBanner(p) {
  if (!p.conflicts_count) return null;
  return h("details", { class: "axis-mem-conflicts", "data-testid": "conflicts" },
    h("summary", {}, `⚠ ${fmtInt(p.conflicts_count)} conflict${p.conflicts_count === 1 ? "" : "s"}: the same risk factor leads to contradictory actions`),
    h("ul", {}, (p.conflicts || []).map((/** @type {any} */ c) => h("li", {},
      h("b", {}, c.risk_factor), c.product_type ? ` (${c.product_type})` : "", ": ",
      (c.conflicting_rules || []).map((/** @type {any} */ r) => `${r.rule_name} → ${r.action}`).join("; ")))));
}
