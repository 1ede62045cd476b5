// The agent registry (agents.yaml, axis_jupyter/branding.py): a source is shown by its
// agent's label, role and avatar instead of its raw source_name. The registry travels with
// every widget (the model's `branding` trait), and a table that lists sources also gets
// its sources' entries in its payload (`agents`: {source_name: {label, role, avatar}}), so
// a saved snapshot draws them too.
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
 * The agent of `source` for a table: the payload's entry (as the server read agents.yaml),
 * else the widget's branding, else a plain entry made from the name. Pure.
 * @param {string} source
 * @param {Record<string, Partial<Agent>> | null | undefined} agents the payload's `agents`
 * @param {Branding | null | undefined} [branding]
 * @returns {Agent}
 */
export function agentFor(source, agents, branding) {
  const own = agents && Object.prototype.hasOwnProperty.call(agents, source) ? agents[source] : null;
  if (own) return { name: source, label: own.label || source, role: own.role || "", avatar: own.avatar || null, description: own.description || "" };
  return agentOf(branding, source);
}

/**
 * A table cell's source: its agent's avatar and label (the name when no agent is known;
 * an empty cell for a missing source).
 * @param {string | null | undefined} source
 * @param {Record<string, Partial<Agent>> | null | undefined} agents the payload's `agents`
 * @param {Branding | null | undefined} [branding]
 */
export function sourceCell(source, agents, branding) {
  if (source === null || source === undefined || source === "") return "";
  return badgeOf(agentFor(String(source), agents, branding), { role: false });
}

/**
 * An avatar (the agent's image, else its initials in a circle) and its label.
 * @param {Branding | null | undefined} branding
 * @param {string} source
 * @param {{role?: boolean}} [opts] show the role under the label
 */
export function agentBadge(branding, source, { role = false } = {}) {
  return badgeOf(agentOf(branding, source), { role });
}

/** @param {Agent} a @param {{role: boolean}} opts */
function badgeOf(a, { role }) {
  const pic = a.avatar
    ? h("img", { class: "axis-avatar", src: a.avatar, alt: "" })
    : h("span", { class: "axis-avatar axis-avatar-initials", "aria-hidden": "true" }, initials(a.label));
  return h("span", { class: "axis-agent", title: a.description || a.name, "data-source": a.name, "data-testid": "agent" },
    pic, h("span", { class: "axis-agent-text" }, h("span", { class: "axis-agent-label" }, a.label),
      role && a.role ? h("span", { class: "axis-agent-role" }, a.role) : null));
}

/** The label of a source (its agent's, else the name). @param {Branding | null | undefined} b @param {string} s */
export const sourceLabel = (b, s) => agentOf(b, s).label;
