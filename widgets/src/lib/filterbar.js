// The one filter bar of every view: a multi-select per filterable column of the dataset
// (source, environment, experiment, any other column with few values; the `filter_options`
// action every view answers), an optional time range, the view's own controls, the active
// values as chips, and "Copy as code": the `ds.<analytic>(…filters…)` call (the `code`
// action) that returns the numbers the view shows. The bar keeps no state of its own: it
// reads the view's filters and hands changes back through onchange.
import { h, clear } from "./dom.js";
import { agentBadge, sourceLabel } from "./agents.js";
import { labelledSelect } from "./controls.js";
import { errorText } from "./transport.js";

/**
 * @typedef {{key: string, label: string, values: string[]}} FilterField
 * @typedef {Record<string, any>} Filters column -> value or [values]; time_range -> [start, end]
 */

/** The values of `key` as a list ([] when unset). Pure. @param {Filters} f @param {string} key @returns {string[]} */
export function valuesOf(f, key) {
  const v = (f || {})[key];
  if (v === undefined || v === null || v === "") return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/**
 * `filters` with `value` of `key` switched on or off (a new object; a key left with no
 * value is dropped). Pure.
 * @param {Filters} filters @param {string} key @param {string} value
 * @returns {Filters}
 */
export function toggleValue(filters, key, value) {
  const now = valuesOf(filters, key);
  const next = now.includes(value) ? now.filter((x) => x !== value) : [...now, value];
  const out = { ...(filters || {}) };
  if (next.length) out[key] = next;
  else delete out[key];
  return out;
}

/**
 * The chips of the active filters: [{key, value, text}] in field order. Pure.
 * @param {Filters} filters
 * @param {FilterField[]} fields
 * @param {(key: string, value: string) => string} [show] how a value is written
 */
export function chipsOf(filters, fields, show = (_k, v) => v) {
  /** @type {{key: string, value: string, text: string}[]} */
  const out = [];
  const labels = Object.fromEntries((fields || []).map((f) => [f.key, f.label]));
  for (const key of Object.keys(filters || {})) {
    if (key === "time_range") {
      const [a, b] = filters[key] || [];
      if (a || b) out.push({ key, value: "", text: `Time: ${a ? String(a).slice(0, 10) : "…"} – ${b ? String(b).slice(0, 10) : "…"}` });
      continue;
    }
    for (const v of valuesOf(filters, key)) out.push({ key, value: v, text: `${labels[key] || key}: ${show(key, v)}` });
  }
  return out;
}

/**
 * The chip of a time window that is not the view's default: {key: "time", value, text},
 * or null at the default. Pure.
 * @param {TimeWindow} w
 */
export function windowChip(w) {
  const id = w.get();
  if (!id || id === w.initial) return null;
  const label = (w.presets.find(([v]) => v === id) || [id, id])[1];
  return { key: "time", value: id, text: `Time: ${(w.chip && w.chip(id)) || label}` };
}

/** `filters` without empty entries. Pure. @param {Filters} filters @returns {Filters} */
export function cleanFilters(filters) {
  /** @type {Filters} */
  const out = {};
  for (const [k, v] of Object.entries(filters || {})) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length)) continue;
    if (k === "time_range" && Array.isArray(v) && !v[0] && !v[1]) continue;
    out[k] = v;
  }
  return out;
}

/**
 * @typedef {object} FilterBarOpts
 * @property {(action: string, params?: object) => Promise<any>} call the view's calls
 * @property {() => Filters} get the view's current filters
 * @property {(next: Filters) => void} onchange the user changed them
 * @property {() => {analytic: string, args?: object, filters?: Filters} | null} [code]
 *   the analytic that reproduces the view's numbers (no "Copy as code" without it)
 * @property {boolean} [time] offer a time range (when the dataset has timestamps)
 * @property {() => import("./dom.js").Child[]} [extras] the view's own controls
 * @property {import("./agents.js").Branding} [branding]
 * @property {TimeWindow} [window] a time window chosen from presets (the bar's time select
 *   and its chip) rather than `time`'s free date range
 */

/**
 * A view's time window on the bar: a select of presets and, away from the default, a chip
 * whose removal goes back to it. The view keeps the window and maps it to its requests.
 * @typedef {object} TimeWindow
 * @property {Array<[string, string]>} presets [id, label]
 * @property {string} initial the default preset (no chip)
 * @property {() => string} get the preset in force
 * @property {(id: string, filters?: Filters) => void} set choose a preset (and, with
 *   `filters`, replace the filters in the same change: the bar's Clear)
 * @property {(id: string) => string | null} [chip] the chip's text for a preset (else its label)
 * @property {() => import("./dom.js").Child[]} [custom] inputs shown beside the select (a custom range)
 */

/**
 * The filter bar: `el` to place in the view, `render()` after the filters changed,
 * `load()` to fetch the dataset's fields (once; again after `reload()`).
 * @param {FilterBarOpts} opts
 */
export function filterBar({ call, get, onchange, code, time = false, extras, branding, window: win }) {
  const el = h("div", { class: "axis-filterbar", "data-testid": "filterbar" });
  /** @type {FilterField[]} */
  let fields = [];
  /** @type {[string | null, string | null] | null} */
  let span = null;
  /** @type {Promise<void> | null} */
  let loaded = null;
  const codeBox = h("pre", { class: "axis-code", "data-testid": "filter-code", hidden: true });
  /** @type {Set<string>} */
  const open = new Set();

  /** @param {string} key @param {string} v */
  const show = (key, v) => (key === "source_name" ? sourceLabel(branding, v) : v);

  /** @param {Filters} next */
  function change(next) {
    codeBox.hidden = true;
    onchange(cleanFilters(next));
    render();
  }

  /** @param {FilterField} f */
  function fieldMenu(f) {
    const chosen = valuesOf(get(), f.key);
    const details = h("details", { class: "axis-fb-field", "data-testid": `filter-${f.key}`, open: open.has(f.key),
      ontoggle: (/** @type {Event} */ e) => {
        if (/** @type {HTMLDetailsElement} */ (e.target).open) open.add(f.key);
        else open.delete(f.key);
      } },
    h("summary", { class: "axis-btn" }, f.label, chosen.length ? h("span", { class: "axis-fb-count" }, ` ${chosen.length}`) : null),
    h("div", { class: "axis-fb-menu", role: "listbox", "aria-multiselectable": "true", "aria-label": f.label },
      f.values.map((v) => h("label", { class: "axis-fb-option" },
        h("input", { type: "checkbox", "data-value": v, checked: chosen.includes(v),
          onchange: () => change(toggleValue(get(), f.key, v)) }),
        f.key === "source_name" ? agentBadge(branding, v, { role: true }) : v))));
    return details;
  }

  function timeInputs() {
    if (!time || !span || !span[0]) return null;
    const tr = get().time_range || [null, null];
    /** @param {number} i @param {string} testid */
    const input = (i, testid) => h("input", { type: "date", class: "axis-input", "data-testid": testid,
      min: String(span?.[0] || "").slice(0, 10), max: String(span?.[1] || "").slice(0, 10),
      value: tr[i] ? String(tr[i]).slice(0, 10) : "",
      onchange: (/** @type {Event} */ e) => {
        const next = [...tr];
        next[i] = /** @type {HTMLInputElement} */ (e.target).value || null;
        change({ ...get(), time_range: next });
      } });
    return h("span", { class: "axis-filter" }, "Time ", input(0, "filter-time-start"), " – ", input(1, "filter-time-end"));
  }

  /** The window's preset select (and the view's custom inputs). */
  function windowInputs() {
    if (!win) return [];
    return [labelledSelect({ label: "Time ", testid: "time", options: win.presets, value: win.get(),
      onchange: (v) => { codeBox.hidden = true; win.set(v); render(); } }), ...(win.custom ? win.custom() : [])];
  }

  async function copyCode() {
    const want = code && code();
    if (!want) return;
    try {
      const out = await call("code", { analytic: want.analytic, args: want.args || {}, filters: cleanFilters(want.filters || get()) });
      codeBox.textContent = out.code;
      codeBox.hidden = false;
      el.dataset.code = out.code;
      try {
        await navigator.clipboard.writeText(out.code);
        el.dataset.copied = "1";
      } catch {
        el.dataset.copied = "0";  // no clipboard permission: the code is shown to copy by hand
      }
    } catch (err) {
      codeBox.textContent = `AXIS: ${errorText(err)}`;
      codeBox.hidden = false;
    }
  }

  /** Back to the window's default; with `filters`, those replace the filters in the same change. @param {Filters} [filters] */
  function resetWindow(filters) {
    if (!win) return;
    codeBox.hidden = true;
    win.set(win.initial, filters);
    render();
  }

  /** A chip's click: its value (or the window) goes. @param {{key: string, value: string}} c */
  function remove(c) {
    if (c.key === "time" && win) resetWindow();
    else change(c.key === "time_range" ? { ...get(), time_range: null } : toggleValue(get(), c.key, c.value));
  }

  function clearAll() {
    if (win && win.get() !== win.initial) resetWindow({});
    else change({});
  }

  function render() {
    const f = get();
    // with a window, the time chip is the window's (the range it sets is not a second chip)
    const chips = chipsOf(win ? { ...f, time_range: null } : f, fields, show);
    const wc = win ? windowChip(win) : null;
    if (wc) chips.unshift(wc);
    clear(el).append(...[
      h("div", { class: "axis-fb-row" },
        fields.map(fieldMenu), timeInputs(), ...windowInputs(), ...(extras ? extras() : []),
        h("span", { class: "axis-fb-spacer" }),
        code ? h("button", { class: "axis-btn", "data-testid": "copy-code", title: "The Python call that returns these numbers", onclick: copyCode }, "Copy as code") : null),
      chips.length ? h("div", { class: "axis-chips", "data-testid": "chips" },
        chips.map((c) => h("button", { class: "axis-chip", "data-testid": "chip", "data-key": c.key, "data-value": c.value,
          title: "Remove this filter", onclick: () => remove(c) },
        c.text, h("span", { class: "axis-chip-x", "aria-hidden": "true" }, "×"))),
        h("button", { class: "axis-btn axis-fb-clear", "data-testid": "clear-filters", onclick: clearAll }, "Clear")) : null,
      codeBox].filter((x) => x !== null));
  }

  /** Fetch the fields (once). */
  function load() {
    if (!loaded) {
      loaded = call("filter_options", {}).then((o) => {
        fields = o.fields || [];
        span = o.time_range || null;
        el.dataset.fields = fields.map((x) => x.key).join(",");
        render();
      }).catch((err) => {
        loaded = null;
        el.dataset.error = errorText(err);
      });
    }
    return loaded;
  }

  // a click anywhere outside an open menu closes it (as a <select> would)
  /** @param {Event} e */
  const closeOutside = (e) => {
    for (const d of el.querySelectorAll("details[open]")) {
      if (!d.contains(/** @type {Node} */ (e.target))) {
        d.removeAttribute("open");
        open.delete(String(/** @type {HTMLElement} */ (d).dataset.testid || "").replace(/^filter-/, ""));
      }
    }
  };
  document.addEventListener("pointerdown", closeOutside, true);

  render();
  return { el, render, load, reload: () => { loaded = null; return load(); },
    dispose: () => document.removeEventListener("pointerdown", closeOutside, true) };
}
