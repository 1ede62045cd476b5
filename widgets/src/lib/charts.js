// Vega-Lite charts inside views: sets of charts that are dropped together when a view
// redraws a part, and charts kept across updates whose data is swapped in place.
import { h, clear } from "./dom.js";
import { errorText } from "./transport.js";
import { renderVegaLite } from "./vega.js";

/** @typedef {Awaited<ReturnType<typeof renderVegaLite>>} Chart */

/** @param {unknown} err */
const unavailable = (err) => h("div", { class: "axis-muted" }, `chart unavailable: ${errorText(err)}`);

/**
 * The charts of one part of a view. reset() finalizes them all; a chart whose rendering
 * ends after a reset is finalized at once instead of kept.
 */
export class ChartSet {
  constructor() {
    /** @type {Chart[]} */
    this.live = [];
    this.generation = 0;
  }

  /** Finalize every chart of the set (the part is being redrawn or removed). */
  reset() {
    for (const c of this.live) c.finalize();
    this.live = [];
    this.generation += 1;
  }

  /**
   * @param {Chart} chart
   * @param {number} generation the set's generation when the chart was started
   */
  adopt(chart, generation) {
    if (generation !== this.generation) {
      chart.finalize();
      return false;
    }
    this.live.push(chart);
    return true;
  }

  /**
   * A new <div class="axis-chart {cls}" data-testid=…> that renders `spec` (a note when
   * there is none); data-rendered="1" once drawn. renderVegaLite sizes "container"
   * specs once the caller has attached the box.
   * @param {object | null | undefined} spec
   * @param {string} testid
   * @param {string} [cls]
   */
  box(spec, testid, cls = "") {
    const box = h("div", { class: `axis-chart ${cls}`, "data-testid": testid });
    if (!spec) {
      box.append(h("div", { class: "axis-muted" }, "No chart for this selection."));
      return box;
    }
    const gen = this.generation;
    renderVegaLite(box, spec)
      .then((c) => {
        if (this.adopt(c, gen)) box.dataset.rendered = "1";
      })
      .catch((err) => box.append(unavailable(err)));
    return box;
  }

  /**
   * Render `spec` into `el` and wait for it; a failure is shown in `el` (or handed to
   * onError). Nothing is drawn without a spec.
   * @param {HTMLElement} el
   * @param {object | null | undefined} spec
   * @param {{onError?: (err: unknown) => void}} [opts]
   */
  async draw(el, spec, { onError } = {}) {
    if (!spec) return;
    const gen = this.generation;
    try {
      this.adopt(await renderVegaLite(el, spec), gen);
    } catch (err) {
      if (onError) onError(err);
      else el.append(unavailable(err));
    }
  }
}

/**
 * A chart that stays in `box` across updates: when a new spec has the same shape (only
 * its data changed), the data is swapped into the existing Vega view instead of parsing
 * and embedding the chart again, which is most of the browser's time per update.
 * @param {HTMLElement} box
 * @param {{onClick?: (datum: any, spec: any) => void, hideWhenEmpty?: boolean}} [opts]
 *   onClick gets the data row of a clicked mark and the spec drawn
 */
export function keptChart(box, { onClick, hideWhenEmpty = false } = {}) {
  /** @type {Chart | null} */
  let chart = null;
  return {
    box,
    /** @param {any} spec the new spec, or nothing to empty the box */
    async show(spec) {
      if (chart && spec) {
        try {
          if (await chart.update(spec)) return; // same chart, new numbers: no re-parse
        } catch (err) {
          console.warn("AXIS: chart update failed, re-rendering", err);
        }
      }
      if (chart) {
        chart.finalize();
        chart = null;
      }
      clear(box);
      if (hideWhenEmpty) box.hidden = !spec;
      if (!spec) return;
      try {
        chart = await renderVegaLite(box, spec, { onClick: onClick && ((d) => onClick(d, spec)) });
      } catch (err) {
        box.append(unavailable(err));
      }
    },
    finalize() {
      if (chart) chart.finalize();
      chart = null;
    },
  };
}
