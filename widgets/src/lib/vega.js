// Renders Vega-Lite specs built in Python (Altair) with their small inlined data.
// vega, vega-lite and vega-embed are bundled: nothing is fetched from a CDN.
import embed, { vega } from "vega-embed";
import { readVars, vegaConfig } from "./theme.js";

/** The spec without its data: two specs of one shape differ only in their datasets. @param {any} spec */
function shape(spec) {
  const { datasets, ...rest } = spec;
  return JSON.stringify(rest) + "|" + Object.keys(datasets || {}).sort().join(",");
}

/**
 * renderVegaLite(el, spec, {onClick}) -> Promise<{update(spec) -> Promise<boolean>, finalize()}>
 * onClick(datum) receives the data row of a clicked mark, if any. update(spec) swaps the
 * inlined datasets in place (no re-parse) when only they changed and returns false when
 * the caller must re-render instead.
 * @param {HTMLElement} el
 * @param {any} spec a Vega-Lite spec (from Altair's to_dict(), or written in a view)
 * @param {{onClick?: (datum: any) => void}} [opts]
 */
export async function renderVegaLite(el, spec, { onClick } = {}) {
  const embedOpts = () => ({
    actions: false,
    // colours, fonts and background from JupyterLab's theme variables where the chart is
    // drawn (light or dark), under the spec's own config; drawn again when the theme changes
    config: vegaConfig(readVars(el)),
    // canvas, vega-embed's default: an SVG chart is hundreds of DOM nodes that every update
    // restyles and lays out again inside JupyterLab's page (measured on the monitor view:
    // a fifth less time per update, half the style and layout work)
    renderer: /** @type {"canvas"} */ ("canvas"),
    tooltip: true,
    // data is inlined by Python; the $schema URL is only parsed, never fetched
  });
  let current = spec;  // the spec as last drawn (update() swaps its datasets)
  const draw = async () => {
    const r = await embed(el, current, embedOpts());
    if (onClick) {
      r.view.addEventListener("click", (_event, /** @type {any} */ item) => {
        if (item && item.datum) onClick(item.datum);
      });
    }
    return r;
  };
  let result = await draw();
  // Vega reads a "container" width when the chart is embedded and again only on window
  // resizes: the scorecard's chart, embedded before its box was laid out, stayed 0 px wide
  // (and a resized panel kept the old width). Follow the element's own width instead.
  /** @type {ResizeObserver | null} */
  let observer = null;
  if (spec.width === "container" && typeof ResizeObserver !== "undefined") {
    let last = -1;  // the first observation (at once) sets the width too
    observer = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && w !== last) {
        last = w;
        result.view.width(w).runAsync();
      }
    });
    observer.observe(el);
  }
  const key = shape(spec);
  // the datasets as last drawn: only those that changed go through the dataflow again
  const drawn = new Map(Object.entries(spec.datasets || {}).map(([n, v]) => [n, JSON.stringify(v)]));
  const redraw = async () => {
    result.finalize();
    result = await draw();
    if (observer && el.clientWidth > 0) result.view.width(el.clientWidth).runAsync();
  };
  THEMED.add(redraw);
  watchTheme();
  return {
    get view() {
      return result.view;
    },
    /** @param {any} next */
    async update(next) {
      if (shape(next) !== key) return false;
      let changed = false;
      for (const [name, values] of Object.entries(next.datasets || {})) {
        const text = JSON.stringify(values);
        if (drawn.get(name) === text) continue;
        drawn.set(name, text);
        // a copy: Vega parses fields in place, and the payload is also kept as the snapshot
        result.view.change(name, vega.changeset().remove(vega.truthy).insert(structuredClone(values)));
        changed = true;
      }
      current = { ...current, datasets: next.datasets };
      if (changed) await result.view.runAsync();
      return true;
    },
    finalize: () => {
      THEMED.delete(redraw);
      if (observer) observer.disconnect();
      result.finalize();
    },
  };
}

/** The live charts' redraws, run when JupyterLab switches theme. @type {Set<() => Promise<void>>} */
const THEMED = new Set();
let watching = false;

/** Watch the page's theme (JupyterLab sets data-jp-theme-name on <body>) once. */
function watchTheme() {
  if (watching || typeof MutationObserver === "undefined" || !document.body) return;
  watching = true;
  new MutationObserver(() => {
    // the new theme's stylesheet applies in the same frame: read its variables after it
    requestAnimationFrame(() => setTimeout(() => {
      for (const redraw of [...THEMED]) redraw().catch((err) => console.warn("AXIS: chart redraw failed", err));
      document.body.dataset.axisThemeRedraws = String(Number(document.body.dataset.axisThemeRedraws || 0) + 1);
    }, 50));
  }).observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-name"] });
}
