// The dashboard's chart sections (see ../signals.js): titled groups in a full, 2- or
// 3-column layout, collapsible when the config says so. Bars, stacked bars, horizontal bars,
// donuts and lines are Vega-Lite charts the payload names (drawn by the Python face);
// ranked lists, text lists and single stats are drawn here from the payload's items.
import { h } from "../../lib/dom.js";
import { fmtInt, fmtPct } from "../../lib/format.js";

/**
 * @param {any[]} sections the payload's sections
 * @param {Record<string, any>} charts chart specs by id
 * @param {(spec: any, testid: string) => HTMLElement} chartBox a box that renders a spec
 */
export function chartSections(sections, charts, chartBox) {
  return sections.map((sec, i) => {
    const grid = h("div", { class: `axis-hs-grid axis-hs-${sec.layout || "full"}` },
      sec.charts.map((/** @type {any} */ c) => h("div", { class: "axis-hs-card", "data-testid": `chart-${c.column}-${c.type}`, "data-type": c.type },
        h("div", { class: "axis-subhead" }, c.title),
        c.total === 0 && !["text_list"].includes(c.type) ? h("div", { class: "axis-muted" }, "No cases with this signal.") : chartBody(c, charts, chartBox))));
    const head = h("summary", {}, sec.title);
    return h("details", { class: "axis-section axis-hs-section", open: true, "data-testid": `section-${i}` }, head, grid);
  });
}

/**
 * @param {any} c one chart of a section
 * @param {Record<string, any>} charts
 * @param {(spec: any, testid: string) => HTMLElement} chartBox
 */
function chartBody(c, charts, chartBox) {
  if (c.type === "ranked_list") {
    const top = Math.max(1, ...c.items.map((/** @type {any} */ x) => x.count));
    return h("ol", { class: "axis-hs-ranked", "data-testid": "ranked-list" }, c.items.map((/** @type {any} */ x) =>
      h("li", {}, h("span", { class: "axis-hs-rank-label" }, x.value),
        h("span", { class: "axis-hs-rank-bar", style: { width: `${(100 * x.count) / top}%` } }),
        h("span", { class: "axis-num", "data-testid": "rank-count" }, fmtInt(x.count)))));
  }
  if (c.type === "text_list") {
    return c.items.length
      ? h("ol", { class: "axis-hs-text", "data-testid": "text-list" }, c.items.map((/** @type {any} */ x) => h("li", {}, x.value)))
      : h("div", { class: "axis-muted" }, "Nothing yet.");
  }
  if (c.type === "single_stat") {
    return h("div", { class: "axis-hs-stat", "data-testid": "single-stat", "data-value": c.rate ?? "" },
      h("div", { class: "axis-kpi-value" }, fmtPct(c.rate)),
      h("div", { class: "axis-muted" }, `${fmtInt(c.true_count)} of ${fmtInt(c.total)} cases`));
  }
  return chartBox(charts[c.id], `vega-${c.column}`);
}
