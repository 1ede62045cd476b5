// The scorecard's drill-down (see ../scorecard.js): the test cases of one metric over
// the view, paged by the server; closed by ×, a click beside it or Escape.
import { h, clear } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtInt } from "../../lib/format.js";
import { pagedTable } from "../../lib/table.js";
import { overlayBox, dismissable, closeOverlay } from "../../lib/overlay.js";
import { errorText } from "../../lib/transport.js";

const PAGE_SIZE = 10;

/**
 * The drill-down overlay of a scorecard: `overlay` goes into the view, `open(metric)`
 * shows a metric's cases.
 * @param {HTMLElement} root the view's root (Escape closes)
 * @param {(action: string, params?: object) => Promise<any>} call
 * @param {() => Record<string, any>} filters the view's filters
 */
export function drilldown(root, call, filters) {
  const overlay = overlayBox("drilldown");
  /** @type {{metric: string, page: number, data: any, error?: unknown} | null} */
  let drill = null;

  /** @param {string} metric @param {number} [page] */
  async function open(metric, page = 1) {
    drill = { metric, page, data: null };
    draw();
    try {
      const data = await call("cases", { metric, page, page_size: PAGE_SIZE, sort: "score_desc", filters: filters() });
      if (!drill || drill.metric !== metric) return;
      drill.data = data;
      draw();
    } catch (err) {
      if (drill) drill.error = err;
      draw();
    }
  }

  function close() {
    drill = null;
    closeOverlay(overlay);
  }
  dismissable(overlay, root, close);

  function draw() {
    clear(overlay);
    if (!drill) {
      overlay.hidden = true;
      return;
    }
    overlay.hidden = false;
    const { metric, data, error } = drill;
    const panel = h("div", { class: "axis-modal", role: "dialog" },
      h("div", { class: "axis-modal-head" },
        h("div", {}, h("div", { class: "axis-title" }, metric),
          h("div", { class: "axis-muted", "data-testid": "cases-total", "data-value": data ? data.total : "" },
            data ? `${fmtInt(data.total)} test cases with this metric` : "Loading…")),
        h("button", { class: "axis-btn", "data-testid": "close", onclick: close, "aria-label": "Close" }, "×")),
    );
    if (error) panel.append(h("div", { class: "axis-error" }, errorText(error)));
    if (data) {
      panel.append(pagedTable({
        testid: "cases",
        columns: [
          { key: "dataset_id", label: "ID", format: (v) => h("span", { title: v, class: "axis-id" }, String(v ?? "—").slice(0, 14)) },
          ...(data.rows.some((/** @type {any} */ r) => r.evaluation_name !== undefined)
            ? [{ key: "evaluation_name", label: "Experiment" }] : []),
          { key: "query", label: "Query", class: "axis-wrap" },
          { key: "metric_score", label: "Score", class: "axis-num",
            format: (v) => h("span", { style: { color: scoreColor(v), fontWeight: 600 } }, fmtScore(v)) },
          { key: "explanation", label: "Explanation", class: "axis-wrap" },
        ],
        rows: data.rows, total: data.total, page: data.page, pageSize: data.page_size,
        onPage: (p) => open(metric, p),
      }));
    }
    overlay.append(panel);
  }

  return { overlay, open };
}
