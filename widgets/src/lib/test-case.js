// One test case in full (the deep dive's case panel): its conversation, query, response,
// expected output, criteria, retrieved chunks, other fields, and every metric with its
// explanation, signals and critique; one tab per experiment that scored it.
import { h, clear } from "./dom.js";
import { asText, fmtScore, isEmpty, scoreColor } from "./format.js";
import { signalGroupsView } from "./signals.js";

/**
 * Append the case `d` ({experiments: [{evaluation_name, fields, metrics}]}) to `panel`.
 * @param {HTMLElement} panel
 * @param {{experiments?: any[]}} d
 */
export function testCaseView(panel, d) {
  const exps = d.experiments || [];
  const tabsBar = h("div", { class: "axis-seg" });
  const content = h("div", { "data-testid": "case-content" });
  /** @param {number} i */
  const show = (i) => {
    tabsBar.querySelectorAll("button").forEach((b, j) => b.classList.toggle("active", i === j));
    clear(content);
    experimentView(content, exps[i]);
  };
  if (exps.length > 1 || (exps[0] && exps[0].evaluation_name)) {
    exps.forEach((e, i) => tabsBar.append(h("button", { class: "axis-btn", "data-testid": "case-exp", "data-exp": e.evaluation_name,
      onclick: () => show(i) }, e.evaluation_name ?? "—")));
    panel.append(h("div", { class: "axis-strip" }, h("span", { class: "axis-muted" }, "Experiment"), tabsBar));
  }
  panel.append(content);
  if (exps.length) show(0);
  else content.append(h("div", { class: "axis-muted" }, "No rows for this case."));
}

/**
 * A titled <details> section.
 * @param {string} title
 * @param {Node} node
 * @param {string} testid
 * @param {boolean} [open]
 */
function section(title, node, testid, open = true) {
  return h("details", { class: "axis-section", open, "data-testid": testid }, h("summary", {}, title), node);
}

/** @param {unknown} v @param {string} [cls] */
const textBox = (v, cls = "") => h("div", { class: `axis-text axis-box ${cls}` }, asText(v));

const EXTRA_FIELDS = [["additional_input", "Additional input"], ["additional_output", "Additional output"],
  ["data_metadata", "Metadata"], ["evaluation_metadata", "Evaluation metadata"]];

/**
 * The fields and metrics one experiment has for the case.
 * @param {HTMLElement} box
 * @param {{fields?: Record<string, any>, metrics?: any[]}} e
 */
function experimentView(box, e) {
  const f = e.fields || {};
  if (!isEmpty(f.conversation)) box.append(section("Conversation", conversationView(f.conversation), "case-conversation"));
  if (!isEmpty(f.query)) box.append(section("Query", textBox(f.query), "case-query"));
  if (!isEmpty(f.actual_output)) box.append(section("Response", textBox(f.actual_output), "case-response"));
  if (!isEmpty(f.expected_output)) box.append(section("Expected output", textBox(f.expected_output, "axis-green"), "case-expected"));
  if (!isEmpty(f.acceptance_criteria)) {
    const items = Array.isArray(f.acceptance_criteria) ? f.acceptance_criteria : [f.acceptance_criteria];
    box.append(section("Acceptance criteria", h("ol", {}, items.map((c) => h("li", {}, asText(c)))), "case-criteria"));
  }
  if (!isEmpty(f.retrieved_content)) box.append(section("Retrieved content", chunksView(f.retrieved_content), "case-chunks"));
  for (const [k, label] of EXTRA_FIELDS) {
    if (!isEmpty(f[k])) box.append(section(label, kvView(f[k]), `case-${k}`, false));
  }
  const metrics = e.metrics || [];
  if (metrics.length) {
    const list = h("div", { class: "axis-metrics" }, metrics.map(metricView));
    box.append(section(`Metrics (${metrics.length})`, list, "case-metrics"));
  }
}

/**
 * One metric: its score, unfolding to its explanation, signals and critique.
 * @param {any} m
 */
function metricView(m) {
  const extra = h("div", { class: "axis-metric-extra" });
  if (m.explanation) extra.append(h("div", { class: "axis-box axis-blue" }, h("b", {}, "Explanation"), h("div", { class: "axis-text" }, m.explanation)));
  if (!isEmpty(m.signals)) extra.append(signalGroupsView(m.signals));
  if (m.critique) extra.append(h("div", { class: "axis-box axis-amber" }, h("b", {}, "Critique"), h("div", { class: "axis-text" }, m.critique)));
  return h("details", { class: "axis-metric", "data-testid": "case-metric", "data-metric": m.metric_name, "data-score": m.metric_score ?? "" },
    h("summary", {},
      h("span", { class: "axis-metric-name" }, m.metric_name),
      m.metric_type ? h("span", { class: "axis-muted" }, ` ${m.metric_type}`) : null,
      h("b", { class: "axis-metric-score", style: { color: scoreColor(m.metric_score) } }, fmtScore(m.metric_score))),
    extra.childNodes.length ? extra : h("div", { class: "axis-muted" }, "No explanation, signals or critique."));
}

/**
 * The messages of a conversation ({messages} / {turns} / a list) as chat bubbles.
 * @param {any} conv
 */
export function conversationView(conv) {
  let msgs = conv;
  if (conv && !Array.isArray(conv) && typeof conv === "object") msgs = conv.messages || conv.turns || [conv];
  if (!Array.isArray(msgs)) return h("div", { class: "axis-text axis-box" }, asText(conv));
  return h("div", { class: "axis-chat" }, msgs.map((m) => {
    const role = String((m && (m.role || m.speaker || m.type)) || "message").toLowerCase();
    const content = m && typeof m === "object" ? (m.content ?? m.text ?? m.message ?? m) : m;
    const user = ["user", "human"].includes(role);
    return h("div", { class: `axis-bubble ${user ? "user" : "assistant"}` },
      h("div", { class: "axis-muted axis-role" }, role), h("div", { class: "axis-text" }, asText(content)));
  }));
}

/**
 * Retrieved chunks, numbered, with their title and source when they have them.
 * @param {any} chunks
 */
export function chunksView(chunks) {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  return h("div", { class: "axis-chunks" }, list.map((c, i) => {
    if (c && typeof c === "object") {
      const title = c.title || c.name || c.id || `Chunk ${i + 1}`;
      const src = c.source || c.url || c.link;
      const body = c.content ?? c.text ?? c.page_content ?? c;
      return h("div", { class: "axis-chunk", "data-testid": "chunk" },
        h("div", { class: "axis-chunk-title" }, `${i + 1}. ${title}`),
        src ? h("div", { class: "axis-muted" }, String(src)) : null,
        h("div", { class: "axis-text" }, asText(body)));
    }
    return h("div", { class: "axis-chunk", "data-testid": "chunk" },
      h("div", { class: "axis-chunk-title" }, `Chunk ${i + 1}`), h("div", { class: "axis-text" }, asText(c)));
  }));
}

/**
 * An object as key/value lines (anything else as text).
 * @param {unknown} v
 */
export function kvView(v) {
  if (!v || typeof v !== "object" || Array.isArray(v)) return h("div", { class: "axis-text axis-box" }, asText(v));
  return h("div", { class: "axis-kv" }, Object.entries(v).map(([k, x]) => [h("b", {}, k), h("span", { class: "axis-text" }, asText(x))]));
}
