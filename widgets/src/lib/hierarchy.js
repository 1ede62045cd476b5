// Which rows of a collapsible hierarchy table are shown, and in what order. Pure (unit
// tested): the scorecard's metric hierarchy, the production scorecard, the compare table.

/**
 * @typedef {{name: string, level: number, children?: string[], mean?: number | null,
 *   weight?: number, [k: string]: any}} HierarchyRow
 */

/**
 * The scorecard's visible rows, depth first from the level-1 rows: children of a
 * collapsed row are left out; siblings are sorted by `sort.key` ("name", "score" (the
 * mean, missing as -1) or "weight") in direction `sort.dir` (1 or -1), or kept in their
 * order when `sort.key` is null.
 * @param {HierarchyRow[]} rows
 * @param {Set<string>} collapsed names of collapsed rows
 * @param {{key: string | null, dir: number}} sort
 * @returns {HierarchyRow[]}
 */
export function visibleHierarchy(rows, collapsed, sort) {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const { key, dir } = sort;
  /** @param {HierarchyRow} r */
  const val = (r) => (key === "name" ? r.name.toLowerCase() : key === "score" ? r.mean ?? -1 : /** @type {any} */ (r.weight));
  /** @param {string[]} names */
  const sortKids = (names) => {
    const list = /** @type {HierarchyRow[]} */ (names.map((n) => byName.get(n)).filter(Boolean));
    if (!key) return list;
    return list.sort((a, b) => (val(a) < val(b) ? -dir : val(a) > val(b) ? dir : 0));
  };
  /** @type {HierarchyRow[]} */
  const out = [];
  /** @param {HierarchyRow} r */
  const visit = (r) => {
    out.push(r);
    if (!collapsed.has(r.name)) sortKids(r.children || []).forEach(visit);
  };
  sortKids(rows.filter((r) => r.level === 1).map((r) => r.name)).forEach(visit);
  return out;
}

/**
 * Is `row` inside a collapsed ancestor? Rows name their parent's key in `parent`.
 * @param {{parent?: string | null}} row
 * @param {Array<{key: string, parent?: string | null}>} rows
 * @param {Set<string>} collapsed keys of collapsed rows
 */
export function hiddenByCollapse(row, rows, collapsed) {
  let p = row.parent;
  while (p) {
    if (collapsed.has(p)) return true;
    const key = p;
    const parent = rows.find((x) => x.key === key);
    p = parent ? parent.parent : null;
  }
  return false;
}

/**
 * Rows sorted by `key` in direction `dir` (1 ascending, -1 descending); strings compare
 * case-insensitively, booleans as 0/1, and missing values go last in either direction.
 * A null key keeps the order. Returns a new array.
 * @template {Record<string, any>} R
 * @param {R[]} rows
 * @param {string | null} key
 * @param {number} dir
 * @returns {R[]}
 */
export function sortNullsLast(rows, key, dir) {
  const out = [...rows];
  if (!key) return out;
  /** @param {R} r */
  const val = (r) => {
    const v = r[key];
    if (v === null || v === undefined) return null;
    return typeof v === "string" ? v.toLowerCase() : typeof v === "boolean" ? Number(v) : v;
  };
  return out.sort((a, b) => {
    const x = val(a);
    const y = val(b);
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : x > y ? 1 : 0) * dir;
  });
}
