// The scorecard's drill-down (see ../scorecard.js): the test cases of one metric over
// the view, paged, sorted (worst first) and searched by the server; closed by ×, a click
// beside it or Escape.
import { h, clear } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtInt } from "../../lib/format.js";
import { pagedTable } from "../../lib/table.js";
import { overlayBox, dismissable, closeOverlay } from "../../lib/overlay.js";
import { errorText } from "../../lib/transport.js";
import { labelledSelect, searchBox, refocus } from "../../lib/controls.js";

const PAGE_SIZE = 10;
/** @type {Array<[string, string]>} the payload's sorts, worst first being the default */
const SORTS = [["score_asc", "Worst first"], ["score_desc", "Best first"], ["id", "By test case id"]];

/**
 * The drill-down overlay of a scorecard: `overlay` goes into the view, `open(metric)`
 * shows a metric's cases.
 * @param {HTMLElement} root the view's root (Escape closes)
 * @param {(action: string, params?: object) => Promise<any>} call
 * @param {() => Record<string, any>} filters the view's filters
 */
export function drilldown(root, call, filters) {
  const overlay = overlayBox("drilldown");
  /** @type {{metric: string, page: number, sort: string, search: string, data: any, error?: unknown, seq: number} | null} */
  let drill = null;
  let seq = 0;

  /**
   * Show a page of `metric`'s cases; a new metric starts worst first with no search.
   * @param {string} metric @param {number} [page] @param {{sort?: string, search?: string}} [how]
   */
  async function open(metric, page = 1, how = {}) {
    const same = drill && drill.metric === metric;
    const sort = how.sort ?? (same && drill ? drill.sort : "score_asc");
    const search = how.search ?? (same && drill ? drill.search : "");
    const mine = ++seq;
    drill = { metric, page, sort, search, data: same && drill ? drill.data : null, seq: mine };
    draw();
    try {
      const data = await call("cases", { metric, page, page_size: PAGE_SIZE, sort, search, filters: filters() });
      if (!drill || drill.seq !== mine) return;  // a later request answers for the view
      drill.data = data;
      drill.error = undefined;
      draw();
    } catch (err) {
      if (drill && drill.seq === mine) {
        drill.error = err;
        draw();
      }
    }
  }

  function close() {
    drill = null;
    closeOverlay(overlay);
  }
  dismissable(overlay, root, close);

  function draw() {
    // read before the redraw removes the box: the user keeps typing in the new one
    const typing = document.activeElement?.getAttribute("data-testid") === "cases-search";
    clear(overlay);
    if (!drill) {
      overlay.hidden = true;
      return;
    }
    overlay.hidden = false;
    const { metric, data, error, sort, search } = drill;
    const panel = h("div", { class: "axis-modal", role: "dialog" },
      h("div", { class: "axis-modal-head" },
        h("div", {}, h("div", { class: "axis-title" }, metric),
          h("div", { class: "axis-muted", "data-testid": "cases-total", "data-value": data ? data.total : "" },
            data ? `${fmtInt(data.total)} test cases ${search ? `matching “${search}”` : "with this metric"}` : "Loading…")),
        h("button", { class: "axis-btn", "data-testid": "close", onclick: close, "aria-label": "Close" }, "×")),
      h("div", { class: "axis-strip" },
        labelledSelect({ label: "Sort ", testid: "cases-sort", options: SORTS, value: sort,
          onchange: (v) => open(metric, 1, { sort: v }) }),
        searchBox({ testid: "cases-search", placeholder: "Search id, query or explanation…", value: search,
          onsearch: (v) => open(metric, 1, { search: v.trim() }) })),
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
    if (typing) refocus(overlay, "cases-search");
  }

  return { overlay, open };
}
