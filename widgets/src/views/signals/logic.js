// Pure helpers of the human-signals dashboard (no DOM): KPI values in their format, the
// table's sort cycle and sliding pager, time-range presets, filter counting. Unit tested in
// widgets/test/signals.test.js.

/** @param {unknown} v */
const missing = (v) => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));

/**
 * Seconds as "5h 20m", "32m 1s" or "45s".
 * @param {number | null | undefined} seconds
 */
export function fmtDuration(seconds) {
  if (missing(seconds) || !Number.isFinite(Number(seconds)) || Number(seconds) < 0) return "—";
  const t = Number(seconds);
  const hh = Math.floor(t / 3600), mm = Math.floor((t % 3600) / 60), ss = Math.round(t % 60);
  if (hh > 0) return `${hh}h ${mm}m`;
  if (mm > 0) return `${mm}m ${ss}s`;
  return `${ss}s`;
}

/**
 * 1162 -> "1.2K", 1500000 -> "1.5M", 42 -> "42".
 * @param {number | null | undefined} v
 */
export function fmtCompact(v) {
  if (missing(v)) return "—";
  const x = Number(v), a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(1)}K`;
  return Number.isInteger(x) ? x.toLocaleString("en-US") : x.toFixed(1);
}

/**
 * A KPI value in its format: percent (a 0-1 share), duration (seconds), compact, number.
 * @param {number | null | undefined} v
 * @param {string | undefined} format
 */
export function fmtKpi(v, format) {
  if (missing(v)) return "—";
  const x = Number(v);
  if (format === "percent") return `${(x * 100).toFixed(1)}%`;
  if (format === "duration") return fmtDuration(x);
  if (format === "compact") return fmtCompact(x);
  return Number.isInteger(x) ? x.toLocaleString("en-US") : x.toFixed(1);
}

/**
 * The direction of a sparkline: its last value against its first (1 % dead band).
 * @param {Array<{value: number | null}> | null | undefined} spark
 * @returns {"up" | "down" | "flat"}
 */
export function sparkDirection(spark) {
  const vals = (spark || []).map((p) => p.value).filter((v) => !missing(v));
  if (vals.length < 2) return "flat";
  const [a, b] = [Number(vals[0]), Number(vals[vals.length - 1])];
  const rel = a === 0 ? b - a : (b - a) / Math.abs(a);
  return rel > 0.01 ? "up" : rel < -0.01 ? "down" : "flat";
}

/**
 * The next sort after a click on a header: ascending, then descending, then no sort.
 * @param {{key: string | null, descending: boolean}} sort
 * @param {string} key
 * @returns {{key: string | null, descending: boolean}}
 */
export function cycleSort(sort, key) {
  if (sort.key !== key) return { key, descending: false };
  if (!sort.descending) return { key, descending: true };
  return { key: null, descending: false };
}

/**
 * At most `width` page numbers around `page` (1-based) out of `pages`.
 * @param {number} page
 * @param {number} pages
 * @param {number} [width]
 */
export function pageWindow(page, pages, width = 5) {
  const n = Math.max(1, pages);
  const w = Math.min(width, n);
  let first = Math.max(1, Math.min(page - Math.floor(w / 2), n - w + 1));
  return Array.from({ length: w }, (_, i) => first + i);
}

/** The time-range presets: [id, label, days]. @type {Array<[string, string, number]>} */
export const TIME_PRESETS = [["all", "All time", 0], ["7d", "7 days", 7], ["30d", "30 days", 30],
  ["90d", "90 days", 90], ["6m", "6 months", 182], ["1y", "1 year", 365]];

/**
 * The [start, end) of a preset that ends with the dataset's newest case (not today: signals
 * are often looked at after the fact), as ISO dates; null for all time.
 * @param {string} preset
 * @param {string | null | undefined} newest ISO timestamp of the newest case
 * @returns {[string, string] | null}
 */
export function presetRange(preset, newest) {
  const found = TIME_PRESETS.find((p) => p[0] === preset);
  if (!found || !found[2] || !newest) return null;
  const end = new Date(`${String(newest).slice(0, 10)}T00:00:00Z`);
  end.setUTCDate(end.getUTCDate() + 1);
  const start = new Date(end);
  start.setUTCDate(start.getUTCDate() - found[2]);
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}

/**
 * How many filters are set (a time range counts once).
 * @param {Record<string, unknown>} filters
 */
export function activeFilterCount(filters) {
  return Object.entries(filters || {}).filter(([, v]) => !(v === null || v === undefined || v === "" ||
    (Array.isArray(v) && !v.length))).length;
}

/**
 * `values` with `value` added or removed (a multi-select checkbox).
 * @param {string[] | undefined} values
 * @param {string} value
 * @param {boolean} on
 */
export function toggleValue(values, value, on) {
  const set = new Set(values || []);
  if (on) set.add(value);
  else set.delete(value);
  return [...set];
}

/**
 * A signal value as text: booleans Yes / No, lists joined, objects as JSON.
 * @param {unknown} v
 */
export function signalText(v) {
  if (missing(v) || v === "") return "—";
  if (typeof v === "boolean") return v ? "Yes" : "No";
  if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(", ") : "—";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * True for values shown in full width in a case's signal section (lists and objects, long text).
 * @param {unknown} v
 */
export function isStructured(v) {
  return (typeof v === "object" && v !== null) || (typeof v === "string" && v.length > 80);
}

/**
 * `url` when it is an http(s) link, else null (a case's link comes from the data: a
 * `javascript:` URL must never become a clickable link).
 * @param {unknown} url
 */
export function safeUrl(url) {
  return typeof url === "string" && /^https?:\/\/[^\s]+$/i.test(url.trim()) ? url.trim() : null;
}
