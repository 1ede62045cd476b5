// The dashboard's case table (see ../signals.js): the server sorts and pages; headers cycle
// ascending -> descending -> unsorted, a column picker shows k/n columns, page sizes 10-100,
// a five-page sliding pager and an eye per row that opens the case.
import { h } from "../../lib/dom.js";
import { fmtInt, fmtTime } from "../../lib/format.js";
import { select } from "../../lib/controls.js";
import { sourceCell } from "../../lib/agents.js";
import { pageWindow, signalText } from "./logic.js";

export const PAGE_SIZES = [10, 25, 50, 100];

/**
 * @param {{table: any, columns: string[], colorMaps: Record<string, Record<string, string>>,
 *   onsort: (key: string) => void, onpage: (page: number) => void, onsize: (size: number) => void,
 *   oncolumns: (keys: string[]) => void, onopen: (caseId: string) => void,
 *   branding?: import("../../lib/agents.js").Branding}} opts
 *   columns: the keys shown, in the order of table.columns; the source column shows each
 *   source's agent (table.agents, else branding)
 */
export function caseTable({ table, columns, colorMaps, onsort, onpage, onsize, oncolumns, onopen, branding }) {
  const all = table.columns;
  const shown = all.filter((/** @type {any} */ c) => columns.includes(c.key));
  const pages = Math.max(1, Math.ceil(table.total / table.page_size));
  const picker = h("details", { class: "axis-hs-multi", "data-testid": "column-picker" },
    h("summary", { class: "axis-btn" }, `Columns ${shown.length}/${all.length}`),
    h("div", { class: "axis-hs-menu" }, all.map((/** @type {any} */ c) => h("label", {},
      h("input", { type: "checkbox", checked: columns.includes(c.key) || undefined, "data-testid": `col-${c.key}`,
        onchange: (/** @type {Event} */ e) => {
          const on = /** @type {HTMLInputElement} */ (e.target).checked;
          oncolumns(all.map((/** @type {any} */ x) => x.key).filter((/** @type {string} */ k) => (k === c.key ? on : columns.includes(k))));
        } }), ` ${c.label}`))));
  const head = h("thead", {}, h("tr", {}, shown.map((/** @type {any} */ c) => h("th", {
    class: c.sortable === false ? "" : "axis-hs-sortable", "data-testid": `th-${c.key}`,
    onclick: c.sortable === false ? undefined : () => onsort(c.key),
  }, c.label, table.sort_by === c.key ? (table.descending ? " ▼" : " ▲") : "")), h("th", {}, "")));
  const body = h("tbody", {}, table.rows.map((/** @type {any} */ r) => h("tr", { "data-case": r.dataset_id },
    shown.map((/** @type {any} */ c) => h("td", { class: c.key === "message_count" ? "axis-num" : "" },
      c.key === "source_name" ? sourceCell(r[c.key], table.agents, branding) : cell(c.key, r[c.key], colorMaps))),
    h("td", {}, h("button", { class: "axis-btn", "data-testid": "open-case", title: "Open the case", onclick: () => onopen(r.dataset_id) }, "Open")))));
  const pager = h("div", { class: "axis-pager" },
    h("span", {}, "Rows "), select({ testid: "page-size", options: PAGE_SIZES.map((n) => [n, String(n)]), value: table.page_size,
      onchange: (v) => onsize(Number(v)) }),
    h("button", { class: "axis-btn", disabled: table.page <= 1, "data-testid": "prev", onclick: () => onpage(table.page - 1) }, "‹"),
    pageWindow(table.page, pages).map((p) => h("button", { class: `axis-btn ${p === table.page ? "active" : ""}`, "data-testid": `page-${p}`,
      onclick: () => onpage(p) }, String(p))),
    h("button", { class: "axis-btn", disabled: table.page >= pages, "data-testid": "next", onclick: () => onpage(table.page + 1) }, "›"));
  return h("div", { class: "axis-hs-cases", "data-testid": "hs-cases", "data-total": table.total },
    h("div", { class: "axis-filters" }, h("b", { "data-testid": "cases-title" }, `Cases (${fmtInt(table.total)} total)`), picker),
    h("table", { class: "axis-table", "data-testid": "case-table" }, head, body), pager);
}

/**
 * One cell: colour badges for signals with a colour map, times and messages formatted.
 * @param {string} key @param {any} v @param {Record<string, Record<string, string>>} colorMaps
 */
function cell(key, v, colorMaps) {
  if (key === "timestamp") return fmtTime(v);
  if (key === "dataset_id") return h("span", { class: "axis-id" }, v);
  const colors = colorMaps[key];
  if (colors && v !== null && v !== undefined && v !== "") {
    return h("span", { class: "axis-hs-badge", style: { background: colors[String(v)] || "#9ca3af" } }, String(v));
  }
  if (typeof v === "string" && v.startsWith("[")) {
    try {
      return signalText(JSON.parse(v));
    } catch {
      return v;
    }
  }
  return signalText(v);
}
