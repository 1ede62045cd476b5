// Tables: a plain table with a header row, a server-side paged table, a table of raw
// records, and sortable header cells.
import { h } from "./dom.js";
import { fmtInt } from "./format.js";

/**
 * A <thead> of labels; columns from index `numFrom` on are right-aligned numbers.
 * @param {string[]} labels
 * @param {{numFrom?: number}} [opts]
 */
export function tableHead(labels, { numFrom } = {}) {
  return h("thead", {}, h("tr", {}, labels.map((c, i) =>
    h("th", { class: numFrom === undefined ? undefined : i >= numFrom ? "axis-num" : "" }, c))));
}

/**
 * <table class="axis-table {cls}"> with a head (a node from tableHead, or labels) and rows.
 * @param {{testid?: string, cls?: string, head?: HTMLElement | string[], rows: import("./dom.js").Child[],
 *   attrs?: import("./dom.js").Attrs}} opts
 */
export function table({ testid, cls = "", head, rows, attrs = {} }) {
  const thead = Array.isArray(head) ? tableHead(head) : head;
  return h("table", { class: cls ? `axis-table ${cls}` : "axis-table", "data-testid": testid, ...attrs },
    thead, h("tbody", {}, rows));
}

/**
 * @typedef {object} Column
 * @property {string} key
 * @property {string} label
 * @property {(value: any, row: any) => import("./dom.js").Child} [format]
 * @property {string} [class]
 */

/**
 * A table with a pager; total, page and pageSize come from the server, which pages.
 * onPage(page) is called with the page the user asks for.
 * @param {{columns: Column[], rows: any[], total: number, page: number, pageSize: number,
 *   onPage: (page: number) => void, testid?: string, rowAttrs?: (row: any) => import("./dom.js").Attrs}} opts
 */
export function pagedTable({ columns, rows, total, page, pageSize, onPage, testid, rowAttrs }) {
  const pages = Math.max(1, Math.ceil((total || 0) / pageSize));
  const first = total ? (page - 1) * pageSize + 1 : 0;
  const last = Math.min(total || 0, page * pageSize);
  const body = h(
    "table",
    { class: "axis-table", "data-testid": testid },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.class }, c.label)))),
    h(
      "tbody",
      {},
      rows.map((r) =>
        h(
          "tr",
          rowAttrs ? rowAttrs(r) : {},
          columns.map((c) => h("td", { class: c.class }, c.format ? c.format(r[c.key], r) : r[c.key] ?? "—")),
        ),
      ),
    ),
  );
  const pager = h(
    "div",
    { class: "axis-pager" },
    h("span", { "data-testid": testid ? `${testid}-range` : undefined }, `Showing ${fmtInt(first)}–${fmtInt(last)} of ${fmtInt(total)}`),
    h("button", { class: "axis-btn", disabled: page <= 1, onclick: () => onPage(page - 1), "data-testid": "prev" }, "‹ Prev"),
    h("span", {}, `${page} / ${pages}`),
    h("button", { class: "axis-btn", disabled: page >= pages, onclick: () => onPage(page + 1), "data-testid": "next" }, "Next ›"),
  );
  return h("div", { class: "axis-paged" }, body, pager);
}

/**
 * Records shown as they are (objects as JSON, missing values empty): database previews.
 * @param {string[]} columns
 * @param {Record<string, unknown>[]} rows
 * @param {string} testid
 */
export function recordsTable(columns, rows, testid) {
  return table({
    testid,
    head: columns,
    rows: rows.map((r) => h("tr", {}, columns.map((c) => h("td", {}, cellText(r[c]))))),
  });
}

/** @param {unknown} v */
export function cellText(v) {
  return v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * The arrow of a sorted column: " ▲" ascending, " ▼" descending, "" when not sorted by it.
 * @param {{key: string | null, dir: number}} sort
 * @param {string} key
 */
export function sortArrow(sort, key) {
  return sort.key === key ? (sort.dir > 0 ? " ▲" : " ▼") : "";
}

/**
 * The sort after a click on column `key`: the same column flips direction; another
 * starts with `firstDir` (e.g. ascending for names, descending for numbers).
 * @param {{key: string | null, dir: number}} sort
 * @param {string} key
 * @param {number} firstDir
 */
export function nextSort(sort, key, firstDir) {
  return sort.key === key ? { key, dir: -sort.dir } : { key, dir: firstDir };
}
