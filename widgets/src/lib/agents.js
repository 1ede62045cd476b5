// The agent registry (agents.yaml, axis_jupyter/branding.py): a source is shown by its
// agent's label, role and avatar instead of its raw source_name. The registry travels with
// every widget (the model's `branding` trait).
import { h } from "./dom.js";

/**
 * @typedef {{name: string, label: string, role?: string, avatar?: string | null,
 *   description?: string, active?: boolean}} Agent
 * @typedef {{theme?: Record<string, any>, agents?: Agent[], error?: string | null}} Branding
 */

/**
 * The agent whose name is `source`, or a plain entry made from the name. Pure.
 * @param {Branding | null | undefined} branding
 * @param {string} source
 * @returns {Agent}
 */
export function agentOf(branding, source) {
  const found = (branding?.agents || []).find((a) => a.name === source);
  return found || { name: source, label: source, role: "", avatar: null };
}

/** Up to two initials of a label ("Atlas Support" -> "AS"). Pure. @param {string} label */
export function initials(label) {
  const words = String(label || "?").split(/[\s_\-]+/).filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[1][0] : (words[0] || "?").slice(0, 2)).toUpperCase();
}

/**
 * An avatar (the agent's image, else its initials in a circle) and its label.
 * @param {Branding | null | undefined} branding
 * @param {string} source
 * @param {{role?: boolean}} [opts] show the role under the label
 */
export function agentBadge(branding, source, { role = false } = {}) {
  const a = agentOf(branding, source);
  const pic = a.avatar
    ? h("img", { class: "axis-avatar", src: a.avatar, alt: "" })
    : h("span", { class: "axis-avatar axis-avatar-initials", "aria-hidden": "true" }, initials(a.label));
  return h("span", { class: "axis-agent", title: a.description || a.name, "data-source": a.name },
    pic, h("span", { class: "axis-agent-text" }, h("span", { class: "axis-agent-label" }, a.label),
      role && a.role ? h("span", { class: "axis-agent-role" }, a.role) : null));
}

/** The label of a source (its agent's, else the name). @param {Branding | null | undefined} b @param {string} s */
export const sourceLabel = (b, s) => agentOf(b, s).label;
