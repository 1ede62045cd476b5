// Small labels inside tables and headers.
import { h } from "./dom.js";

/**
 * The node type of a metric hierarchy row ("category", "component", "metric", …) as a pill.
 * @param {string | null | undefined} type
 */
export function typePill(type) {
  const t = (type || "metric").toLowerCase();
  return h("span", { class: `axis-pill axis-pill-${t}` }, t.toUpperCase());
}
