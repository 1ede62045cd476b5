// One rule's decision path: risk factor -> rule [threshold type: value] -> action (in the
// action's colour) -> mitigants (green), joined by arrows.
import { h } from "../../lib/dom.js";

/** @param {any} t the trace row (rule_trace) */
export function decisionPath(t) {
  const box = (/** @type {string} */ cls, /** @type {string} */ title, /** @type {any} */ body, style = {}) =>
    h("div", { class: `axis-mem-step ${cls}`, style }, h("div", { class: "axis-mem-step-title" }, title), body);
  const arrow = () => h("div", { class: "axis-mem-arrow" }, "→");
  const thr = t.threshold ? `[${t.threshold_type || "threshold"}: ${t.threshold}]` : "";
  const mits = t.mitigants || [];
  return h("div", { class: "axis-mem-path", "data-testid": "decision-path" },
    box("rf", "Risk factor", t.risk_factor || "—"), arrow(),
    box("rule", "Rule", h("div", {}, t.rule_name, thr ? h("div", { class: "axis-muted" }, thr) : null)), arrow(),
    box("action", "Action", t.action || "—", { background: t.action_color || "#64748b", color: "#fff" }),
    mits.length ? [arrow(), box("mit", "Mitigants", mits.join(", "))] : null,
    t.compound_trigger ? h("div", { class: "axis-muted axis-mem-trigger" }, `compound trigger: ${t.compound_trigger}`) : null);
}
