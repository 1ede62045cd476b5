// KPI cards: a label, a big value and an optional line below; the raw number is kept in
// data-value for tests and tooling.
import { h } from "./dom.js";

/**
 * @typedef {object} KpiSpec
 * @property {string} label
 * @property {unknown} value the raw value (data-value)
 * @property {import("./dom.js").Child} text what the card shows
 * @property {import("./dom.js").Child} [sub] a line under the value
 * @property {string} [color] colour of the value
 * @property {string} [testid]
 */

/** @param {KpiSpec} spec */
export function kpiCard({ label, value, text, sub, color, testid }) {
  return h(
    "div",
    { class: "axis-kpi", "data-testid": testid, "data-value": value ?? "" },
    h("div", { class: "axis-kpi-label" }, label),
    h("div", { class: "axis-kpi-value", style: color ? { color } : undefined }, text),
    sub ? h("div", { class: "axis-kpi-sub" }, sub) : null,
  );
}

/**
 * A row of KPI cards (`small` for the compact row of side panels).
 * @param {KpiSpec[]} cards
 * @param {{small?: boolean, testid?: string}} [opts]
 */
export function kpiRow(cards, { small = false, testid } = {}) {
  return h("div", { class: small ? "axis-kpis small" : "axis-kpis", "data-testid": testid }, cards.map(kpiCard));
}
