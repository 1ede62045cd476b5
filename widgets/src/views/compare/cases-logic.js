// What the compare view's test-case table derives from its state: the request it sends,
// the sort after a header click, the rows of the classic layout and the summary line.
// Pure functions (unit tested in widgets/test/compare_cases.test.js).

/** @type {Array<[string, string]>} the quick filters, as the server names them */
export const QUICK = [["all", "All"], ["top", "Top 20 %"], ["bottom", "Bottom 20 %"],
  ["variance", "High variance"], ["differ", "Outputs differ"]];
/** @type {Array<[string, string]>} */
export const TEXT_MODES = [["clip", "Clip"], ["wrap", "Wrap"], ["full", "Full + diff"]];
export const PAGE_SIZES = [10, 20, 50, 100];
export const DEFAULT_SORT = { key: "case_id", dir: 1 };

/**
 * @typedef {object} CasesState
 * @property {string} quick
 * @property {string} search
 * @property {"side" | "classic"} layout
 * @property {string[] | null} metrics null: every metric
 * @property {string[] | null} fields null: every detail field
 * @property {"clip" | "wrap" | "full"} text
 * @property {number} page
 * @property {number} pageSize
 * @property {{key: string, dir: number}} sort
 */

/** @returns {CasesState} */
export function initialCases(saved = {}) {
  return {
    quick: "all", search: "", layout: "side", metrics: null, fields: null, text: "clip",
    page: 1, pageSize: 20, sort: { ...DEFAULT_SORT }, ...saved,
  };
}

/**
 * The parameters of the `test_cases` action (and, without paging, of the CSV export).
 * @param {CasesState} cs
 * @param {Record<string, any>} filters
 * @param {{paged?: boolean}} [opts]
 */
export function caseParams(cs, filters, { paged = true } = {}) {
  /** @type {Record<string, any>} */
  const p = { filters, quick: cs.quick, sort_by: cs.sort.key, descending: cs.sort.dir < 0 };
  if (cs.search) p.search = cs.search;
  if (cs.metrics) p.metrics = cs.metrics;
  if (cs.fields) p.fields = cs.fields;
  if (paged) {
    p.page = cs.page;
    p.page_size = cs.pageSize;
    if (cs.text === "full") p.full_text = true;
  }
  return p;
}

/**
 * The sort after a click on the header of `key`: a new column starts descending (numbers)
 * or ascending (the case id); the same column flips, and a third click goes back to the
 * case id.
 * @param {{key: string, dir: number}} sort
 * @param {string} key
 */
export function nextCaseSort(sort, key) {
  const first = key === "case_id" ? 1 : -1;
  if (sort.key !== key) return { key, dir: first };
  if (sort.dir === first) return { key, dir: -first };
  return { ...DEFAULT_SORT };
}

/**
 * The rows of the classic layout: one per case and experiment (in the experiments' order),
 * from the page's side-by-side rows.
 * @param {any[]} rows
 * @param {string[]} experiments
 * @returns {Array<{row: any, exp: string, cell: any, first: boolean}>}
 */
export function classicRows(rows, experiments) {
  const out = [];
  for (const row of rows) {
    let first = true;
    for (const e of experiments) {
      const cell = row.cells[e];
      if (!cell) continue;
      out.push({ row, exp: e, cell, first });
      first = false;
    }
  }
  return out;
}

/**
 * "Showing 9 test cases (25 rows) from 3 experiments · 2 of 10 metrics"
 * @param {any} p the test_cases result
 */
export function summaryText(p) {
  const n = p.total ?? 0;
  const k = (p.experiments || []).length;
  const shown = (p.shown_metrics || []).length, all = (p.metrics || []).length;
  return `Showing ${n.toLocaleString("en-US")} test case${n === 1 ? "" : "s"} (${(p.total_rows ?? 0).toLocaleString("en-US")} rows) ` +
    `from ${k} experiment${k === 1 ? "" : "s"} · ${shown} of ${all} metrics`;
}

/**
 * The experiment whose output the others are compared with: the first (in the
 * experiments' order) that has one.
 * @param {any} row
 * @param {string[]} experiments
 */
export function referenceExperiment(row, experiments) {
  return experiments.find((e) => row.cells[e] && row.cells[e].output !== null && row.cells[e].output !== undefined) ?? null;
}
