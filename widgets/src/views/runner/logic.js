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
 * The fields a run will have: those mapped to a column, dataset_id (numbered
 * automatically when not mapped) once a dataset is chosen, and the output and latency an
 * agent fills.
 * @param {Record<string, string>} mapping field -> column ("" when not mapped)
 * @param {string | null} source
 * @param {boolean} [agent] an agent fills empty outputs
 */
export function mappedFields(mapping, source, agent = false) {
  const m = new Set(Object.entries(mapping).filter(([, c]) => c).map(([f]) => f));
  if (source) m.add("dataset_id");
  if (agent) {
    m.add("actual_output");
    m.add("latency");
  }
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
 * Required fields not mapped yet (an agent stands in for actual_output).
 * @param {Record<string, string>} mapping
 * @param {boolean} [agent]
 */
export function missingRequired(mapping, agent = false) {
  return REQUIRED_FIELDS.filter((f) => !mapping[f] && !(agent && f === "actual_output"));
}

/**
 * What the agent form holds (strings as typed).
 * @typedef {{mode: string, url: string, body: string, answer_path: string, headers_env: string,
 *   timeout: string, system_prompt: string, prompt_template: string, provider: string, model: string}} AgentForm
 */

/** @returns {AgentForm} */
export function emptyAgent() {
  return {
    mode: "none", url: "", body: '{"query": "{{query}}"}', answer_path: "", headers_env: "",
    timeout: "30", system_prompt: "You are a helpful assistant.", prompt_template: "{{query}}", provider: "", model: "",
  };
}

/**
 * The agent settings a run is sent, from the form: null for no agent, else the settings
 * or `{error}` naming the field that does not parse. `headers_env` is one `Header: VARIABLE`
 * per line.
 * @param {AgentForm} form
 * @returns {null | {error: string} | Record<string, any>}
 */
export function agentSettings(form) {
  if (!form || form.mode === "none") return null;
  const timeout = Number(form.timeout || 30);
  if (!Number.isFinite(timeout) || timeout <= 0) return { error: "Timeout must be a number of seconds." };
  if (form.mode === "prompt") {
    /** @type {Record<string, any>} */
    const out = { mode: "prompt", system_prompt: form.system_prompt, prompt_template: form.prompt_template, timeout };
    if (form.provider) out.provider = form.provider;
    if (form.model) out.model = form.model;
    return out;
  }
  if (!/^https?:\/\//.test(form.url.trim())) return { error: "Agent URL must start with http:// or https://." };
  let body;
  try {
    body = JSON.parse(form.body || "{}");
  } catch {
    return { error: "Request body must be JSON (put {{query}} inside a string)." };
  }
  /** @type {Record<string, string>} */
  const headers = {};
  for (const line of (form.headers_env || "").split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf(":");
    if (at < 1) return { error: `Header line "${line.trim()}" must be Header: VARIABLE.` };
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return { mode: "api", url: form.url.trim(), body, answer_path: form.answer_path.trim(), headers_env: headers, timeout };
}

/**
 * A file download in the browser from an export action's answer.
 * @param {{filename: string, mime: string, base64: string}} file
 * @returns {Blob}
 */
export function exportBlob(file) {
  const bin = atob(file.base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: file.mime });
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
 * The phase shown as current: 0 validate (queued or preparing), 1 agent (filling
 * outputs), 2 evaluate, 3 complete.
 * @param {RunStatus} st
 */
export function runPhase(st) {
  if (st.state === "queued" || st.stage === "preparing") return 0;
  if (FINAL.has(st.state)) return 3;
  return st.stage === "agent" ? 1 : 2;
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
 *   mapping: Record<string, string>, llmConfigured: boolean, values: Record<string, Record<string, string>>,
 *   agent?: boolean, llmKey?: string}} s  an agent fills actual_output; llmKey names the judge's key
 */
export function startBlocked({ active, busy, chosen, mapping, llmConfigured, values, agent = false,
  llmKey = "ANTHROPIC_API_KEY" }) {
  if (active) return "a run is in progress";
  if (busy) return "starting…";
  if (!chosen.length) return "select at least one metric";
  const missing = missingRequired(mapping, agent);
  if (missing.length) return `map the required field(s): ${missing.join(", ")}`;
  if (!llmConfigured && chosen.some((m) => m.needs_llm)) {
    return `LLM metrics are selected but no ${llmKey} is set where the run executes: deselect them, pick another judge or set the key`;
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
