// What the runner view derives from its state: which fields are mapped, which metrics can
// run, how far a run is. Pure functions (unit tested in widgets/test/runner.test.js).

export const ACTIVE = new Set(["queued", "running"]);
export const FINAL = new Set(["succeeded", "failed", "cancelled"]);
export const REQUIRED_FIELDS = ["query", "actual_output"];

/**
 * @typedef {{key: string, name?: string, required_fields?: string[], needs_llm?: boolean,
 *   tags?: string[], description?: string, compatible?: boolean}} Metric
 */

/**
 * The fields a run will have: those mapped to a column, and dataset_id (numbered
 * automatically when not mapped) once a dataset is chosen.
 * @param {Record<string, string>} mapping field -> column ("" when not mapped)
 * @param {string | null} source
 */
export function mappedFields(mapping, source) {
  const m = new Set(Object.entries(mapping).filter(([, c]) => c).map(([f]) => f));
  if (source) m.add("dataset_id");
  return m;
}

/**
 * Can `metric` run with these fields mapped?
 * @param {Metric} metric
 * @param {Set<string>} mapped
 */
export function isCompatible(metric, mapped) {
  return (metric.required_fields || []).every((f) => mapped.has(f));
}

/**
 * The selected metrics that can run, in the order of the selection.
 * @param {Set<string>} selected metric keys
 * @param {Metric[]} metrics the catalogue
 * @param {Set<string>} mapped
 */
export function runnableMetrics(selected, metrics, mapped) {
  const byKey = new Map(metrics.map((m) => [m.key, m]));
  return /** @type {Metric[]} */ ([...selected].map((k) => byKey.get(k)).filter((m) => m && isCompatible(m, mapped)));
}

/**
 * Required fields not mapped yet.
 * @param {Record<string, string>} mapping
 */
export function missingRequired(mapping) {
  return REQUIRED_FIELDS.filter((f) => !mapping[f]);
}

/**
 * Metrics shown by the catalogue's filter ("all" or "compatible") and search text.
 * @param {Metric[]} metrics
 * @param {{filter: string, search: string}} view
 * @param {Set<string>} mapped
 */
export function shownMetrics(metrics, { filter, search }, mapped) {
  const q = search.trim().toLowerCase();
  return metrics.filter(
    (m) =>
      (filter === "all" || isCompatible(m, mapped)) &&
      (!q || `${m.key} ${m.name} ${(m.tags || []).join(" ")} ${m.description}`.toLowerCase().includes(q)),
  );
}

/**
 * @typedef {{state: string, stage?: string | null, total?: number | null, done?: number | null}} RunStatus
 */

/**
 * Percent done (100 for a finished run that reported no total).
 * @param {RunStatus} st
 */
export function progressPercent(st) {
  const total = st.total || 0;
  const done = st.done || 0;
  return total ? Math.round((100 * done) / total) : st.state === "succeeded" ? 100 : 0;
}

/**
 * The phase shown as current: 0 validate (queued or preparing), 1 evaluate, 2 complete.
 * @param {RunStatus} st
 */
export function runPhase(st) {
  return st.state === "queued" || st.stage === "preparing" ? 0 : FINAL.has(st.state) ? 2 : 1;
}

/**
 * The count-weighted mean score and pass rate of a run's per-metric summary (null when
 * nothing was scored).
 * @param {Array<{count?: number, mean?: number | null, pass_rate?: number | null}>} rows
 */
export function runTotals(rows) {
  const n = rows.reduce((a, r) => a + (r.count || 0), 0);
  const avg = n ? rows.reduce((a, r) => a + (r.mean ?? 0) * (r.count || 0), 0) / n : null;
  const pass = n ? rows.reduce((a, r) => a + (r.pass_rate ?? 0) * (r.count || 0), 0) / n : null;
  return { n, avg, pass };
}

/**
 * @typedef {{name: string, label: string, required?: boolean, placeholder?: string}} MetricParam
 */

/**
 * The selected metrics' parameters that are required and still empty, as "key.name".
 * @param {Array<Metric & {params?: MetricParam[]}>} chosen
 * @param {Record<string, Record<string, string>>} values metric key -> parameter -> text
 */
export function missingParams(chosen, values) {
  const out = [];
  for (const m of chosen) {
    for (const p of m.params || []) {
      if (p.required && !String(values[m.key]?.[p.name] ?? "").trim()) out.push(`${m.key}.${p.name}`);
    }
  }
  return out;
}

/**
 * The `metric_params` of a start: the filled parameters of the selected metrics.
 * @param {Array<Metric & {params?: MetricParam[]}>} chosen
 * @param {Record<string, Record<string, string>>} values
 */
export function metricParams(chosen, values) {
  /** @type {Record<string, Record<string, string>>} */
  const out = {};
  for (const m of chosen) {
    for (const p of m.params || []) {
      const v = String(values[m.key]?.[p.name] ?? "").trim();
      if (v) (out[m.key] ||= {})[p.name] = v;
    }
  }
  return out;
}

/**
 * Why Start cannot be pressed now, or null when it can: the run would be refused, so the
 * button says so instead of failing after the click.
 * @param {{active: boolean, busy: boolean, chosen: Array<Metric & {params?: MetricParam[]}>,
 *   mapping: Record<string, string>, llmConfigured: boolean, values: Record<string, Record<string, string>>}} s
 */
export function startBlocked({ active, busy, chosen, mapping, llmConfigured, values }) {
  if (active) return "a run is in progress";
  if (busy) return "starting…";
  if (!chosen.length) return "select at least one metric";
  const missing = missingRequired(mapping);
  if (missing.length) return `map the required field(s): ${missing.join(", ")}`;
  if (!llmConfigured && chosen.some((m) => m.needs_llm)) {
    return "LLM metrics are selected but no ANTHROPIC_API_KEY is set where the run executes: deselect them or set the key";
  }
  const params = missingParams(chosen, values);
  if (params.length) {
    const [key] = params[0].split(".");
    const m = chosen.find((c) => c.key === key);
    const p = (m?.params || []).find((x) => `${key}.${x.name}` === params[0]);
    return `${m?.name || key} needs its ${(p?.label || "settings").toLowerCase()}`;
  }
  return null;
}
