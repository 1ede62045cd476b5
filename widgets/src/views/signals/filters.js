// The dashboard's filters panel (see ../signals.js): a time range, single selects for the
// source fields and multi-selects (checkboxes) for the signals, an active-filter badge and
// Clear. It reports a new filter object; the view asks for a new payload.
import { h } from "../../lib/dom.js";
import { labelledSelect, optionsOf, segmented } from "../../lib/controls.js";
import { TIME_PRESETS, activeFilterCount, presetRange, toggleValue } from "./logic.js";

/**
 * @param {{filters: any[], active: Record<string, any>, preset: string, newest: string | null,
 *   open: boolean, onchange: (filters: Record<string, any>, preset: string) => void,
 *   ontoggle: (open: boolean) => void}} opts
 */
export function filtersPanel({ filters, active, preset, newest, open, onchange, ontoggle }) {
  const n = activeFilterCount(active);
  /** @param {string} key @param {any} value */
  const set = (key, value) => {
    const next = { ...active };
    if (value === "" || value === null || (Array.isArray(value) && !value.length)) delete next[key];
    else next[key] = value;
    onchange(next, preset);
  };
  const time = segmented(TIME_PRESETS.map(([id, label]) => [id, label]), preset, (id) => {
    const next = { ...active };
    const range = presetRange(id, newest);
    if (range) next.time_range = range;
    else delete next.time_range;
    onchange(next, id);
  }, (id) => `time-${id}`);
  const controls = filters.map((f) => f.kind === "source"
    ? labelledSelect({ label: `${f.label} `, testid: `filter-${f.key}`, options: optionsOf(f.options), value: active[f.key],
      first: ["", "All"], onchange: (v) => set(f.key, v) })
    : multiSelect(f, active[f.key] || [], (values) => set(f.key, values)));
  const details = h("details", { class: "axis-hs-filters", "data-testid": "hs-filters", open: open || undefined,
    ontoggle: (/** @type {Event} */ e) => ontoggle(/** @type {HTMLDetailsElement} */ (e.target).open) },
  h("summary", {}, "Filters ", n ? h("span", { class: "axis-pill", "data-testid": "filter-count" }, String(n)) : null,
    n ? h("button", { class: "axis-btn", "data-testid": "filters-clear", onclick: (/** @type {Event} */ e) => { e.preventDefault(); onchange({}, "all"); } }, "Clear") : null),
  h("div", { class: "axis-filters" }, h("span", { class: "axis-muted" }, "Time"), time),
  h("div", { class: "axis-filters" }, controls));
  return details;
}

/**
 * A dropdown of checkboxes, one per option of a signal.
 * @param {any} f {key, label, options}
 * @param {string[]} chosen
 * @param {(values: string[]) => void} onchange
 */
function multiSelect(f, chosen, onchange) {
  const label = chosen.length ? `${f.label} (${chosen.length})` : f.label;
  return h("details", { class: "axis-hs-multi", "data-testid": `filter-${f.key}` },
    h("summary", { class: "axis-btn" }, label),
    h("div", { class: "axis-hs-menu" }, f.options.map((/** @type {string} */ o) => h("label", {},
      h("input", { type: "checkbox", value: o, checked: chosen.includes(o) || undefined, "data-testid": `opt-${o}`,
        onchange: (/** @type {Event} */ e) => onchange(toggleValue(chosen, o, /** @type {HTMLInputElement} */ (e.target).checked)) }),
      ` ${o}`))));
}
