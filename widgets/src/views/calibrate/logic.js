// The calibration view's rules, with no DOM (tested in test/calibrate.test.js).

/**
 * One sentence on what the confusion matrix says (the reference's interpretation line).
 * @param {{n?: number, fp?: number, fn?: number, verdict?: string | null, kappa?: number | null, kappa_band?: string | null}} m
 */
export function interpretation(m) {
  if (!m || !m.n) return "No labelled records were judged yet.";
  const band = m.kappa === null || m.kappa === undefined ? "undefined agreement" : `${m.kappa_band} agreement`;
  if (m.verdict === "too lenient") return `The judge is more lenient than people (FP ${m.fp} > FN ${m.fn}): tighten the criteria. Kappa: ${band}.`;
  if (m.verdict === "too strict") return `The judge is stricter than people (FN ${m.fn} > FP ${m.fp}): relax the criteria. Kappa: ${band}.`;
  return `The judge errs as often each way (FP ${m.fp} = FN ${m.fn}). Kappa: ${band}.`;
}

/**
 * The records a comparison filter keeps: all, aligned or misaligned (no verdict: neither).
 * @param {any[]} records
 * @param {"all" | "aligned" | "misaligned"} filter
 */
export function filterRecords(records, filter) {
  if (filter === "aligned") return records.filter((r) => r.aligned === true);
  if (filter === "misaligned") return records.filter((r) => r.aligned === false);
  return records;
}

/**
 * Counts for the filter pills.
 * @param {any[]} records
 */
export function alignmentCounts(records) {
  return {
    all: records.length,
    aligned: records.filter((r) => r.aligned === true).length,
    misaligned: records.filter((r) => r.aligned === false).length,
  };
}

/**
 * Criteria with a pattern appended as a new numbered line ("Use as criteria").
 * @param {string} criteria
 * @param {{category: string, description?: string}} pattern
 */
export function appendPattern(criteria, pattern) {
  const text = (criteria || "").trimEnd();
  const numbered = text.split("\n").filter((l) => /^\s*\d+\./.test(l)).length;
  const line = `${numbered + 1}. ${pattern.category}${pattern.description ? `: ${pattern.description}` : ""}`;
  return text ? `${text}\n${line}` : line;
}

/**
 * One page of rows (1-based page; size rows per page) and the number of pages.
 * @template T
 * @param {T[]} rows
 * @param {number} page
 * @param {number} size
 */
export function pageOf(rows, page, size) {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const p = Math.min(Math.max(1, page), pages);
  return { rows: rows.slice((p - 1) * size, p * size), page: p, pages };
}

/**
 * ✓ / ✗ / – for a 1 / 0 / missing label.
 * @param {number | null | undefined} v
 */
export function mark(v) {
  return v === 1 ? "✓" : v === 0 ? "✗" : "–";
}
