// The report generator: configure -> generating (streamed) -> result. Used by the report
// view (its own actions) and by the scorecard's "Generate report" modal (the same actions
// under the names report_setup, report_start, ...), so it only needs a `call` function.
//
// Python side: axis_jupyter/payloads/report.py (setup, start, events, cancel, markdown).
// The report streams as Markdown, drawn with text nodes only (lib/markdown.js).
import { h, clear } from "../../lib/dom.js";
import { segmented, tabButtons } from "../../lib/controls.js";
import { renderMarkdown } from "../../lib/markdown.js";
import { errorText } from "../../lib/transport.js";
import { THOUGHT_KINDS, FINAL, applyEvents, newStream } from "../copilot/logic.js";

const POLL_MS = 300;
const KIND_LABELS = { summary: "Summary", detailed: "Detailed", grouped: "Grouped (issues by pattern)",
  recommendations: "Recommendations" };
const MODE_LABELS = { low: "Low-scoring", high: "High-scoring", overall: "Overall" };
const FIELD_LABELS = { query: "query", actual_output: "actual output", expected_output: "expected output",
  retrieved_content: "retrieved content", conversation: "conversation", signals: "signals", critique: "critique" };

/**
 * Turn the configure form's state into the start action's parameters. Pure.
 * @param {any} cfg
 */
export function startParams(cfg) {
  const out = { kind: cfg.kind, mode: cfg.mode, threshold: Number(cfg.threshold),
    max_issues: Math.max(1, Math.min(500, Math.round(Number(cfg.max_issues) || 100))),
    sample_rate: Math.max(0.1, Math.min(1, Number(cfg.sample_pct) / 100)), include_nan: !!cfg.include_nan,
    fields: [...cfg.fields] };
  return cfg.metrics.size ? { ...out, metrics: [...cfg.metrics] } : out;
}

/**
 * The report generator for `call(action, params)`.
 * @param {{call: (action: string, params?: object) => Promise<any>, node?: string | null,
 *   metrics?: string[] | null, testid?: string}} opts
 * @returns {{el: HTMLElement, dispose: () => void}}
 */
export function reportPanel({ call, node = null, metrics = null, testid = "report-panel" }) {
  const el = h("div", { class: "axis-report-panel", "data-testid": testid, "data-step": "configure" });
  const errorBox = h("div", { class: "axis-error", hidden: true, "data-testid": "report-error" });
  const body = h("div", { class: "axis-rp-body" });
  el.append(errorBox, body);
  const st = {
    /** @type {any} */ setup: null,
    cfg: { kind: "summary", mode: "low", threshold: 0.5, max_issues: 100, sample_pct: 100, include_nan: false,
      metrics: new Set(metrics || []), fields: new Set(["query", "actual_output", "expected_output", "critique"]) },
    jobId: "", stream: newStream(), open: true, tab: "report",
    /** @type {any} */ report: null,
    /** @type {ReturnType<typeof setTimeout> | undefined} */ timer: undefined, disposed: false,
  };

  /** @param {unknown} err */
  const showError = (err) => {
    errorBox.hidden = !err;
    errorBox.textContent = err ? `AXIS: ${errorText(err)}` : "";
  };

  /** @param {string} step */
  function setStep(step) {
    el.dataset.step = step;
    if (step === "configure") drawConfigure();
    else if (step === "generating") drawGenerating();
    else drawResult();
  }

  // ---------------------------------------------------------------- configure
  function drawConfigure() {
    const s = st.setup || {};
    const c = st.cfg;
    /** @param {string | Node} label @param {Node | Node[]} control */
    const row = (label, control) => h("div", { class: "axis-rp-row" },
      typeof label === "string" ? h("div", { class: "axis-rp-label" }, label) : label, control);
    const thresholdText = () => `Score threshold: ${Number(c.threshold).toFixed(2)}`;
    const sampleText = () => `Sample rate: ${c.sample_pct}%`;
    const thresholdLabel = h("div", { class: "axis-rp-label", "data-testid": "report-threshold-label" }, thresholdText());
    const sampleLabel = h("div", { class: "axis-rp-label" }, sampleText());
    /** @param {string} name @param {boolean} on @param {() => void} toggle @param {string} tid */
    const pill = (name, on, toggle, tid) => h("button", { type: "button", class: `axis-rp-pill${on ? " on" : ""}`,
      "data-testid": tid, onclick: () => { toggle(); drawConfigure(); } }, name);
    const counts = s.counts || {};
    clear(body).append(
      h("div", { class: "axis-rp-summary", "data-testid": "report-summary" },
        `${counts.metrics ?? "?"} metrics · ${counts.components ?? 0} components · ${counts.cases ?? "?"} test cases · `,
        h("span", { class: "axis-rp-low" }, `${counts.low ?? 0} low`), " / ",
        h("span", { class: "axis-rp-high" }, `${counts.high ?? 0} high`),
        node ? h("span", { class: "axis-muted" }, ` · scope: ${node} and below`) : null),
      h("div", { class: "axis-rp-warn", "data-testid": "report-no-key", hidden: s.configured !== false }, s.note || ""),
      row("Analysis mode", segmented(Object.entries(MODE_LABELS), c.mode, (m) => { c.mode = m; drawConfigure(); },
        (id) => `report-mode-${id}`)),
      row("Report type", segmented(Object.entries(KIND_LABELS), c.kind, (k) => { c.kind = k; drawConfigure(); },
        (id) => `report-kind-${id}`)),
      row(thresholdLabel, h("input", { type: "range", min: 0, max: 1, step: 0.05,
        value: c.threshold, "data-testid": "report-threshold",
        oninput: (/** @type {any} */ e) => { c.threshold = Number(e.target.value); thresholdLabel.textContent = thresholdText(); } })),
      row("Max issues", h("input", { type: "number", min: 1, max: 500, value: c.max_issues, class: "axis-rp-num",
        "data-testid": "report-max-issues", onchange: (/** @type {any} */ e) => { c.max_issues = Number(e.target.value); } })),
      row(sampleLabel, h("input", { type: "range", min: 10, max: 100, step: 5, value: c.sample_pct,
        "data-testid": "report-sample", oninput: (/** @type {any} */ e) => { c.sample_pct = Number(e.target.value); sampleLabel.textContent = sampleText(); } })),
      row("Include NaN scores", h("input", { type: "checkbox", checked: c.include_nan, "data-testid": "report-nan",
        onchange: (/** @type {any} */ e) => { c.include_nan = e.target.checked; } })),
      row("Metrics", h("div", { class: "axis-rp-pills" }, (s.metrics || []).map((/** @type {string} */ m) =>
        pill(m, c.metrics.has(m), () => (c.metrics.has(m) ? c.metrics.delete(m) : c.metrics.add(m)), "report-metric")))),
      row("Context fields", h("div", { class: "axis-rp-pills" }, (s.fields || Object.keys(FIELD_LABELS)).map((/** @type {string} */ f) =>
        pill(FIELD_LABELS[/** @type {keyof typeof FIELD_LABELS} */ (f)] || f, c.fields.has(f),
          () => (c.fields.has(f) ? c.fields.delete(f) : c.fields.add(f)), "report-field")))),
      h("div", { class: "axis-rp-actions" }, h("button", { type: "button", class: "axis-btn active",
        "data-testid": "report-generate", disabled: s.configured === false, onclick: start }, "Generate report")));
  }

  // ---------------------------------------------------------------- generating
  function drawGenerating() {
    const s = st.stream;
    const list = h("div", { class: "axis-rp-thoughts", hidden: !st.open, "data-testid": "report-thoughts" },
      s.thoughts.map((t) => h("div", { class: `axis-rp-thought axis-rp-${t.type}`, "data-testid": "report-thought", "data-id": t.id },
        h("span", { class: "axis-rp-dot", style: { background: t.color || "#6b7280" } }),
        h("b", {}, THOUGHT_KINDS[/** @type {keyof typeof THOUGHT_KINDS} */ (t.type)]?.label || t.type), " ",
        t.id === "generate-1" ? (t.content || "").split("\n")[0] : t.content)));
    clear(body).append(
      h("button", { type: "button", class: "axis-rp-toggle", "data-testid": "report-steps",
        onclick: () => { st.open = !st.open; drawGenerating(); } },
      `${st.open ? "▾" : "▸"} Generating… · ${s.thoughts.length} steps`),
      list,
      h("div", { class: "axis-rp-preview", "data-testid": "report-preview", hidden: !s.draft }, renderMarkdown(s.draft)),
      h("div", { class: "axis-rp-actions" }, h("button", { type: "button", class: "axis-btn", "data-testid": "report-cancel",
        onclick: cancel }, "Cancel")));
  }

  // ---------------------------------------------------------------- result
  function drawResult() {
    const r = st.report || {};
    const stats = r.stats || {};
    const patterns = (r.insights && r.insights.patterns) || [];
    const tabs = tabButtons([["report", "Report"], ["insights", `Insights (${patterns.length})`]], st.tab,
      (t) => { st.tab = t; drawResult(); }, { prefix: "report-tab" });
    const content = st.tab === "report"
      ? h("div", { class: "axis-rp-text", "data-testid": "report-text" }, renderMarkdown(r.text || ""))
      : insightsTab(r.insights);
    clear(body).append(
      h("div", { class: "axis-rp-stats", "data-testid": "report-stats" },
        stat("Issues analyzed", stats.issues_analyzed), stat("Metrics covered", stats.metrics_covered),
        stat("Report length", `${stats.words ?? 0} words`), stat("Patterns found", stats.patterns_found)),
      h("div", { class: "axis-rp-tabs" }, tabs), content,
      h("div", { class: "axis-rp-actions" },
        h("button", { type: "button", class: "axis-btn", "data-testid": "report-back", onclick: () => setStep("configure") }, "Back to config"),
        h("button", { type: "button", class: "axis-btn", "data-testid": "report-copy",
          onclick: () => navigator.clipboard?.writeText(r.text || "") }, "Copy"),
        h("button", { type: "button", class: "axis-btn", "data-testid": "report-download", onclick: download }, "Download .md")));
  }

  /** @param {string} label @param {any} value */
  const stat = (label, value) => h("div", { class: "axis-kpi" }, h("div", { class: "axis-kpi-label" }, label),
    h("div", { class: "axis-kpi-value" }, String(value ?? "—")));

  /** @param {any} insights */
  function insightsTab(insights) {
    if (!insights) {
      return h("div", { class: "axis-muted", "data-testid": "report-insights" },
        "No insight patterns: the pattern pipeline is not installed on the server.");
    }
    const pats = insights.patterns || [];
    const meta = insights.metadata || {};
    return h("div", { "data-testid": "report-insights" },
      h("div", { class: "axis-muted" }, `Patterns discovered (${pats.length}) · ${meta.total_analyzed ?? 0} analyzed · ` +
        `${pats.filter((/** @type {any} */ p) => p.is_cross_metric).length} cross-metric · ${meta.clustering_method || ""}`),
      pats.map((/** @type {any} */ p) => {
        const conf = p.confidence ?? 0;
        const band = conf >= 0.7 ? "good" : conf >= 0.4 ? "warn" : "bad";
        return h("details", { class: `axis-rp-pattern ${band}`, "data-testid": "report-pattern" },
          h("summary", {}, h("b", {}, p.category), ` · ${p.count} issues`,
            p.is_cross_metric ? h("span", { class: "axis-rp-badge" }, "Cross-metric") : null,
            p.confidence != null ? ` · ${Math.round(conf * 100)}%` : "",
            h("div", { class: "axis-muted" }, p.description || ""),
            h("div", {}, (p.metrics_involved || []).map((/** @type {string} */ m) => h("span", { class: "axis-rp-pill on" }, m)))),
          h("ul", {}, (p.examples || []).map((/** @type {string} */ e) => h("li", {}, e))),
          h("div", { class: "axis-muted" }, `${p.distinct_test_cases ?? "?"} test cases · ids ${(p.issue_ids || []).join(", ")}`));
      }),
      (insights.learnings || []).map((/** @type {any} */ l) => h("div", { class: "axis-rp-learning" },
        h("b", {}, l.title), ` · ${Math.round((l.confidence || 0) * 100)}%`, h("div", {}, l.content))));
  }

  // ---------------------------------------------------------------- calls
  async function load() {
    try {
      st.setup = await call("setup", node ? { node } : {});
      if (!metrics && st.setup.preselected) st.cfg.metrics = new Set(st.setup.preselected);
      showError(null);
    } catch (err) {
      showError(err);
    }
    if (!st.disposed && el.dataset.step === "configure") drawConfigure();
  }

  async function start() {
    showError(null);
    try {
      const out = await call("start", startParams(st.cfg));
      st.jobId = out.job_id;
      st.stream = newStream();
      st.report = null;
      setStep("generating");
      schedule(0);
    } catch (err) {
      showError(err);
    }
  }

  async function cancel() {
    try {
      if (st.jobId) await call("cancel", { job_id: st.jobId });
    } catch (err) {
      showError(err);
    }
  }

  /** @param {number} [delay] */
  function schedule(delay = POLL_MS) {
    clearTimeout(st.timer);
    if (!st.disposed) st.timer = setTimeout(poll, delay);
  }

  async function poll() {
    if (st.disposed || !st.jobId) return;
    try {
      const out = await call("events", { job_id: st.jobId, after: st.stream.last });
      st.stream = applyEvents(st.stream, out.events);
      if (out.state) st.stream.state = out.state;
      if (FINAL.has(st.stream.state)) {
        st.report = st.stream.answer || out.report;
        if (st.report) return setStep("result");
        showError(st.stream.error || out.error || `the report was ${st.stream.state}`);
        return setStep("configure");
      }
      drawGenerating();
    } catch (err) {
      showError(err);
      return setStep("configure");
    }
    schedule();
  }

  async function download() {
    try {
      const out = await call("markdown", { job_id: st.jobId });
      const url = URL.createObjectURL(new Blob([out.text], { type: "text/markdown" }));
      const a = h("a", { href: url, download: out.filename });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      el.dataset.downloaded = out.filename;
    } catch (err) {
      showError(err);
    }
  }

  drawConfigure();
  load();
  return { el, dispose: () => { st.disposed = true; clearTimeout(st.timer); } };
}
