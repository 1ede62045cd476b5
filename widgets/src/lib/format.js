// How numbers, scores and texts are written in every view. Pure functions (no DOM), unit
// tested in widgets/test/format.test.js.

/** Score band colours (green / amber / red / grey for missing). */
export const COLORS = { good: "#16a34a", warn: "#d97706", bad: "#dc2626", none: "#a8a29e" };

/** @param {unknown} v */
const missing = (v) => v === null || v === undefined;

/**
 * "good" (>= 0.7), "warn" (>= 0.5), "bad" (below) or "none" (missing).
 * @param {number | null | undefined} v
 * @returns {"good" | "warn" | "bad" | "none"}
 */
export function scoreBand(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "none";
  return v >= 0.7 ? "good" : v >= 0.5 ? "warn" : "bad";
}

/** @param {number | null | undefined} v */
export function scoreColor(v) {
  return COLORS[scoreBand(v)];
}

/** A score with `digits` decimals ("—" when missing). @param {number | null | undefined} v */
export function fmtScore(v, digits = 3) {
  return missing(v) ? "—" : Number(v).toFixed(digits);
}

/** A share in [0, 1] as a percentage. @param {number | null | undefined} v */
export function fmtPct(v, digits = 1) {
  return v === null || v === undefined ? "—" : `${(v * 100).toFixed(digits)}%`;
}

/** A count with thousands separators. @param {number | null | undefined} v */
export function fmtInt(v) {
  return missing(v) ? "—" : Number(v).toLocaleString("en-US");
}

/** A difference with its sign ("+0.120", "-0.050"). @param {number | null | undefined} v */
export function fmtSigned(v, digits = 3) {
  return v === null || v === undefined ? "—" : `${v > 0 ? "+" : ""}${Number(v).toFixed(digits)}`;
}

/** A relative change with its sign ("+12.0%"). @param {number | null | undefined} v */
export function fmtPctSigned(v) {
  return v === null || v === undefined ? "—" : `${v > 0 ? "+" : ""}${(v * 100).toFixed(1)}%`;
}

/** A p-value: 4 decimals, or exponent notation below 0.001. @param {number | null | undefined} p */
export function fmtP(p) {
  if (p === null || p === undefined) return "—";
  return p < 0.001 ? p.toExponential(2) : p.toFixed(4);
}

/** An ISO timestamp as "YYYY-MM-DD hh:mm:ss". @param {string | null | undefined} v */
export function fmtTime(v) {
  if (!v) return "—";
  return String(v).replace("T", " ").slice(0, 19);
}

/**
 * A latency: whole units with separators, and its unit when known ("950 ms"; seconds keep
 * two decimals below 10: "1.25 s").
 * @param {number | null | undefined} v
 * @param {string} [unit] "ms" or "s"
 */
export function fmtLatency(v, unit) {
  if (v === null || v === undefined) return "—";
  const n = Number(v);
  if (unit === "s") return `${n.toLocaleString("en-US", { maximumFractionDigits: Math.abs(n) < 10 ? 2 : 0 })} s`;
  const text = n.toLocaleString("en-US", { maximumFractionDigits: 0 });
  return unit === "ms" ? `${text} ms` : text;
}

/**
 * A KPI value in its unit ("percent", "seconds", "count"; else a 2-decimal number).
 * @param {number | null | undefined} v
 * @param {string} [unit]
 */
export function fmtUnit(v, unit) {
  if (v === null || v === undefined) return "—";
  // a rate is a fraction (0.12 -> 12.0%); one already in percent (12.0) is shown as it is
  if (unit === "percent") return Math.abs(v) <= 1.5 ? fmtPct(v) : `${Number(v).toFixed(1)}%`;
  if (unit === "seconds") return fmtLatency(v, "s");
  if (unit === "count") return fmtInt(Math.round(v));
  return fmtScore(v, 2);
}

/** Any value as display text: strings as they are, the rest as indented JSON. @param {unknown} v */
export function asText(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v, null, 2);
}

/** Missing, "", [] or {}: nothing worth a section. @param {unknown} v */
export function isEmpty(v) {
  return v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length) ||
    (typeof v === "object" && !Array.isArray(v) && !Object.keys(/** @type {object} */ (v)).length);
}

/** CSS class of a difference: "axis-up", "axis-down" or "" (none or zero). @param {number | null | undefined} v */
export function deltaClass(v) {
  return v === null || v === undefined || v === 0 ? "" : v > 0 ? "axis-up" : "axis-down";
}

/**
 * CSS class of a trend arrow: up is good unless the KPI is "lower_better".
 * @param {string} dir "up" | "down" | "flat"
 * @param {string} [polarity]
 */
export function trendClass(dir, polarity) {
  if (dir === "flat") return "axis-flat";
  const good = (dir === "up") === (polarity !== "lower_better");
  return good ? "axis-up" : "axis-down";
}

/**
 * How a status line names the data that answered a view (`timing.path`, issue 18).
 * @param {string | null | undefined} path "summary", "mixed" or "raw"
 */
export function pathNote(path) {
  if (path === "summary") return ", from summaries";
  if (path === "mixed") return ", partly from summaries";
  if (path === "raw") return ", from the raw rows";
  return "";
}
