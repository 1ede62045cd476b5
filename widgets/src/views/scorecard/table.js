// The scorecard's hierarchy table (see ../scorecard.js): one row per metric-tree node,
// indented by level, foldable and sortable; a click on a row opens its test cases.
import { h } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtPct, fmtInt } from "../../lib/format.js";
import { sortArrow, nextSort } from "../../lib/table.js";
import { typePill } from "../../lib/badges.js";
import { sparkline } from "../../lib/spark.js";
import { toggleIn } from "../../lib/tree.js";
import { visibleHierarchy } from "../../lib/hierarchy.js";

/**
 * What the scorecard's parts draw with.
 * @typedef {object} ScorecardContext
 * @property {any} state
 * @property {HTMLElement} body the area under the tabs
 * @property {(action: string, params?: object) => Promise<any>} call
 * @property {(err: unknown) => void} showError
 * @property {() => void} saveParams keep the table's folding, sorting and tab in params
 * @property {() => void} renderBody redraw the current tab
 * @property {(metric: string) => void} openDrill show the test cases of a metric
 * @property {(node: string) => void} openReport the report generator for a node and what is below it
 */

/** @param {ScorecardContext} ctx */
export function hierarchyTable(ctx) {
  const { state, body } = ctx;
  /** A change of the table's sorting or folding: kept in params, drawn at once. @param {() => void} fn */
  const change = (fn) => {
    fn();
    ctx.saveParams();
    ctx.renderBody();
  };
  /** @param {string} label @param {string} key */
  const sortHeader = (label, key) => h("th", {
    class: "axis-sortable", "data-testid": `sort-${key}`,
    onclick: () => change(() => { state.sort = nextSort(state.sort, key, key === "name" ? 1 : -1); }),
  }, label + sortArrow(state.sort, key));

  /** @type {any[]} */
  const rows = state.payload.rows || [];
  const k = state.payload.kpis || {};
  const parents = rows.filter((r) => (r.children || []).length);
  const allOpen = parents.every((r) => !state.collapsed.has(r.name));
  body.append(h("div", { class: "axis-strip" },
    h("span", {}, `${fmtInt(k.metrics)} metrics • ${fmtInt(k.components)} components`),
    h("button", {
      class: "axis-btn", "data-testid": "expand-all",
      onclick: () => change(() => {
        if (allOpen) parents.forEach((r) => state.collapsed.add(r.name));
        else state.collapsed.clear();
      }),
    }, allOpen ? "Collapse All" : "Expand All")));
  body.append(h("table", { class: "axis-table axis-hierarchy", "data-testid": "hierarchy" },
    h("thead", {}, h("tr", {},
      sortHeader("Hierarchy", "name"), h("th", {}, "Type"), sortHeader("Score", "score"),
      h("th", {}, "Pass rate"), sortHeader("Weight", "weight"), h("th", {}, "Norm. Weight"),
      h("th", {}, "Distribution"), h("th", {}, "Scores"), h("th", {}, "Actions"))),
    h("tbody", {}, visibleHierarchy(rows, state.collapsed, state.sort).map((r) => hierarchyRow(ctx, r, change)))));
}

/**
 * @param {ScorecardContext} ctx
 * @param {any} r
 * @param {(fn: () => void) => void} change
 */
function hierarchyRow(ctx, r, change) {
  const { state } = ctx;
  const hasKids = (r.children || []).length > 0;
  const open = !state.collapsed.has(r.name);
  const chevron = h("span", {
    class: "axis-chevron", "data-testid": "toggle",
    onclick: (/** @type {Event} */ e) => {
      e.stopPropagation();
      if (hasKids) change(() => toggleIn(state.collapsed, r.name));
    },
  }, hasKids ? (open ? "▾" : "▸") : "");
  const range = r.count > 1 && r.min !== null
    ? h("span", { class: "axis-muted" }, ` (${fmtScore(r.min, 2)} - ${fmtScore(r.max, 2)})`) : null;
  return h("tr", {
    class: "axis-row", "data-testid": "row", "data-name": r.name, "data-level": r.level,
    "data-mean": r.mean ?? "", "data-count": r.count,
    onclick: () => ctx.openDrill(r.name),
    title: "Click to see the test cases",
  },
  h("td", { class: "axis-name", style: { paddingLeft: `${(r.level - 1) * 24 + 4}px` } },
    chevron, h("span", { class: `axis-icon axis-icon-${r.type}` }), r.name),
  h("td", {}, typePill(r.type)),
  h("td", { class: "axis-num" }, h("span", { style: { color: scoreColor(r.mean), fontWeight: 600 } }, fmtScore(r.mean)), range),
  h("td", { class: "axis-num" }, fmtPct(r.pass_rate)),
  h("td", { class: "axis-num" }, Number(r.weight).toFixed(2)),
  h("td", { class: "axis-num" }, fmtPct(r.norm_weight)),
  h("td", {}, sparkline(r.hist, r.mean)),
  h("td", { class: "axis-num axis-muted" }, fmtInt(r.count)),
  h("td", {}, h("button", { class: "axis-btn", "data-testid": "row-report", title: "AI report on this node and below",
    onclick: (/** @type {Event} */ e) => { e.stopPropagation(); ctx.openReport(r.name); } }, "Report")));
}
