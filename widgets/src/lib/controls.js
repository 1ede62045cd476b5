// Filter bars and switches: labelled selects, the experiment filter, segmented buttons,
// tab bars and search boxes. Each takes its current value and a callback, and knows
// nothing of the view's state.
import { h, debounce } from "./dom.js";

/** @typedef {Array<[string | number, string]>} Options value/label pairs */

/**
 * <label class="axis-filter">{label}<select data-testid=…>…</select></label>
 * @param {{label: import("./dom.js").Child, testid?: string, options: Options, value?: unknown,
 *   onchange: (value: string) => void, aria?: string, first?: [string, string]}} opts
 *   `first` is an extra first option (e.g. ["", "All"]).
 */
export function labelledSelect({ label, testid, options, value, onchange, aria, first }) {
  return h("label", { class: "axis-filter" }, label, select({ testid, options, value, onchange, aria, first }));
}

/**
 * A bare <select class="axis-select">; the option whose value equals `value` (as text) is
 * selected.
 * @param {{testid?: string, options: Options, value?: unknown, onchange: (value: string) => void,
 *   aria?: string, first?: [string, string], cls?: string}} opts
 */
export function select({ testid, options, value, onchange, aria, first, cls = "axis-select" }) {
  const current = String(value ?? "");
  return h("select", {
    class: cls, "data-testid": testid, "aria-label": aria,
    onchange: (/** @type {Event} */ e) => onchange(/** @type {HTMLSelectElement} */ (e.target).value),
  },
  first ? h("option", { value: first[0] }, first[1]) : null,
  options.map(([v, t]) => h("option", { value: v, selected: String(v) === current }, t)));
}

/** @param {string[]} values @returns {Options} */
export const optionsOf = (values) => values.map((v) => [v, v]);

/**
 * The "Experiment" filter of the evaluation views ("" = all experiments).
 * @param {string[]} experiments
 * @param {string | null | undefined} current
 * @param {(value: string) => void} onchange
 */
export function experimentFilter(experiments, current, onchange) {
  return labelledSelect({
    label: "Experiment ", testid: "experiment", aria: "Experiment", options: optionsOf(experiments),
    value: current, onchange, first: ["", "All experiments"],
  });
}

/**
 * A row of buttons of which one is active (class "active").
 * @param {Array<[string, string]>} items id/label pairs
 * @param {string} current
 * @param {(id: string) => void} onpick
 * @param {(id: string) => string | undefined} [testid]
 */
export function segmented(items, current, onpick, testid) {
  return h("div", { class: "axis-seg" }, items.map(([id, label]) => h("button", {
    class: `axis-btn ${current === id ? "active" : ""}`, "data-testid": testid ? testid(id) : undefined,
    onclick: () => onpick(id),
  }, label)));
}

/**
 * Tab buttons (class "axis-tab", data-testid "{prefix}-{id}"); with `aria`, they carry
 * role="tab" and aria-selected.
 * @param {Array<[string, string]>} tabs id/label pairs
 * @param {string} current
 * @param {(id: string) => void} onpick
 * @param {{prefix?: string, aria?: boolean}} [opts]
 */
export function tabButtons(tabs, current, onpick, { prefix = "tab", aria = false } = {}) {
  return tabs.map(([id, label]) => h("button", {
    class: `axis-tab ${current === id ? "active" : ""}`, role: aria ? "tab" : undefined,
    "data-testid": `${prefix}-${id}`, "aria-selected": aria ? (current === id ? "true" : "false") : undefined,
    onclick: () => onpick(id),
  }, label));
}

/**
 * A search box that calls onsearch(text) once typing pauses for `ms`.
 * @param {{testid: string, placeholder: string, value: string, onsearch: (text: string) => void,
 *   ms?: number, cls?: string, type?: string}} opts
 */
export function searchBox({ testid, placeholder, value, onsearch, ms = 300, cls = "axis-input", type = "search" }) {
  return h("input", {
    class: cls, type, placeholder, value, "data-testid": testid,
    oninput: debounce((/** @type {Event} */ e) => onsearch(/** @type {HTMLInputElement} */ (e.target).value), ms),
  });
}

/**
 * Put the caret back at the end of the (re-drawn) input `testid` inside `box`.
 * @param {ParentNode} box
 * @param {string} testid
 */
export function refocus(box, testid) {
  const again = /** @type {HTMLInputElement | null} */ (box.querySelector(`[data-testid=${testid}]`));
  if (again) {
    again.focus();
    again.setSelectionRange(again.value.length, again.value.length);
  }
}
