// What the database view's import wizard sends, and how a sync state looks. Pure functions
// (unit tested in widgets/test/database.test.js).

/** The row limits offered for an import (the reference's 100 to 10k). */
export const ROW_LIMITS = [100, 500, 1000, 5000, 10000];
/** The mapping value of a column left out of the import. */
export const SKIP = "__skip__";

/**
 * @typedef {object} WizardState
 * @property {string | null} handle
 * @property {{name: string, schema_name: string}} table
 * @property {{columns: Array<{name: string}>}} schema
 * @property {Record<string, string>} mapping column -> canonical name, or SKIP
 * @property {Array<{column: string, values: any[]}>} filters
 * @property {number} limit
 * @property {string} name
 * @property {string} kind
 */

/**
 * The parameters of `import_table` (or, with `preview`, of `preview`: the same columns and
 * filters, ten rows): skipped columns are left out, filters without values are dropped.
 * @param {WizardState} st
 * @param {{preview?: boolean}} [opts]
 */
export function importParams(st, { preview = false } = {}) {
  const cols = st.schema.columns.map((c) => c.name);
  const kept = cols.filter((c) => st.mapping[c] !== SKIP);
  if (!kept.length) throw new Error("every column is skipped: keep at least one.");
  /** @type {Record<string, any>} */
  const p = { handle: st.handle, table: st.table.name, schema: st.table.schema_name,
    filters: st.filters.filter((f) => f.values.length).map((f) => ({ column: f.column, values: f.values })) };
  if (kept.length < cols.length) p.columns = kept;
  if (preview) {
    p.limit = 10;
    return p;
  }
  p.limit = st.limit;
  p.kind = st.kind || "auto";
  if (st.name) p.name = st.name;
  const mapping = Object.fromEntries(Object.entries(st.mapping).filter(([c, v]) => v && v !== SKIP && kept.includes(c)));
  if (Object.keys(mapping).length) p.mapping = mapping;
  return p;
}

/**
 * The chip class of a sync state.
 * @param {string | null | undefined} state
 */
export function stateClass(state) {
  return state === "ready" ? "axis-chip-ok" : state === "syncing" ? "axis-chip-warning" : state === "error" ? "axis-chip-error" : "";
}
