// One case of the dashboard (see ../signals.js), over the view: its id, source, link to the
// conversation, status badges, metadata, every metric's signals (simple values in a grid,
// lists and long text in full width), the suggested action, learnings and feature requests,
// and the conversation as chat bubbles (assistant left, user right).
import { h, clear } from "../../lib/dom.js";
import { fmtTime } from "../../lib/format.js";
import { errorText } from "../../lib/transport.js";
import { isStructured, safeUrl, signalText } from "./logic.js";

const LISTS = { learnings: "Learnings", requests: "Feature Requests" };

/**
 * Open case `caseId` in `overlay`.
 * @param {HTMLElement} overlay
 * @param {(action: string, params?: object) => Promise<any>} call
 * @param {string} caseId
 */
export async function openCase(overlay, call, caseId) {
  overlay.hidden = false;
  clear(overlay).append(h("div", { class: "axis-panel" }, h("div", { class: "axis-muted" }, "Loading…")));
  const close = () => { overlay.hidden = true; clear(overlay); };
  try {
    const d = await call("case", { case_id: caseId });
    clear(overlay).append(casePanel(d, close));
  } catch (err) {
    clear(overlay).append(h("div", { class: "axis-panel" }, h("div", { class: "axis-error" }, errorText(err)),
      h("button", { class: "axis-btn", onclick: close }, "Close")));
  }
}

/**
 * @param {any} d the case action's result
 * @param {() => void} close
 */
function casePanel(d, close) {
  const f = d.fields || {};
  const badges = (d.badges || []).map((/** @type {any} */ b) =>
    h("span", { class: "axis-hs-badge", style: { background: b.color }, "data-testid": `badge-${b.column}` }, `${b.label}: ${b.value}`));
  const head = h("div", { class: "axis-panel-head" },
    h("b", { class: "axis-id", "data-testid": "case-id" }, d.case_id),
    f.source_name ? h("span", { class: "axis-pill" }, f.source_name) : null,
    safeUrl(f.message_url) ? h("a", { class: "axis-hs-link", href: safeUrl(f.message_url), target: "_blank", rel: "noopener noreferrer",
      "data-testid": "case-link" }, "View conversation ↗") : null,
    h("span", { style: { flex: "1" } }),
    h("button", { class: "axis-btn", "data-testid": "case-close", onclick: close }, "✕"));
  const meta = h("div", { class: "axis-hs-meta", "data-testid": "case-meta" },
    `${fmtTime(f.timestamp)} · ${f.message_count ?? 0} messages · ${f.business ?? "Unknown"} · ${f.agent_name ?? "—"}`);
  const extras = [];
  for (const m of d.metrics) {
    for (const s of m.signals) {
      if (s.key === "suggested_action" && s.value) {
        extras.push(h("div", { class: "axis-hs-action", "data-testid": "suggested-action" }, h("b", {}, "Suggested action: "), s.value));
      }
      if (s.key in LISTS && Array.isArray(s.value) && s.value.length) {
        extras.push(h("details", { class: "axis-hs-list", "data-testid": `list-${s.key}` },
          h("summary", {}, `${LISTS[/** @type {"learnings" | "requests"} */ (s.key)]} (${s.value.length})`),
          h("ol", {}, s.value.map((/** @type {any} */ x) => h("li", {}, typeof x === "string" ? x : signalText(x))))));
      }
    }
  }
  const metrics = d.metrics.map((/** @type {any} */ m) => {
    const simple = m.signals.filter((/** @type {any} */ s) => !isStructured(s.value));
    const full = m.signals.filter((/** @type {any} */ s) => isStructured(s.value));
    return h("details", { class: "axis-hs-metric", open: true, "data-testid": `metric-${m.metric_name}` },
      h("summary", {}, m.metric_name.replace(/_/g, " ")),
      h("div", { class: "axis-hs-kv" }, simple.map((/** @type {any} */ s) => [h("span", { class: "axis-muted" }, s.key),
        h("span", { "data-testid": `sig-${m.metric_name}__${s.key}` }, signalText(s.value))])),
      full.map((/** @type {any} */ s) => h("div", { class: "axis-hs-wide" }, h("span", { class: "axis-muted" }, s.key),
        h("div", { "data-testid": `sig-${m.metric_name}__${s.key}` }, signalText(s.value)))));
  });
  const chat = h("details", { class: "axis-hs-chat", open: true, "data-testid": "conversation" },
    h("summary", {}, `Full conversation (${d.messages.length})`),
    d.messages.map((/** @type {any} */ msg) => h("div", { class: `axis-hs-bubble axis-hs-${msg.role === "user" ? "user" : "assistant"}`, "data-role": msg.role },
      h("div", { class: "axis-muted" }, msg.role), h("div", { class: "axis-hs-bubble-text" }, msg.content))));
  return h("div", { class: "axis-panel axis-hs-case", "data-testid": "case-detail" }, head,
    h("div", { class: "axis-hs-badges" }, badges), meta,
    Object.keys(d.metadata || {}).length ? h("div", { class: "axis-muted" },
      Object.entries(d.metadata).map(([k, v]) => `${k}: ${signalText(v)}`).join(" · ")) : null,
    extras, metrics, chat);
}
