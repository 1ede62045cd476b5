// The scorecard's "Generate report" modal (see ../scorecard.js): the report generator of
// ../report/panel.js over the scorecard's report_* actions (payloads/report.py), for the
// whole metric tree (the report bar's button) or one node and everything below it (a
// row's "Report" button). Closed by ✕, a click beside it or Escape.
import "../../lib/markdown.css";
import "../report/report.css";
import { h } from "../../lib/dom.js";
import { overlayBox, dismissable, closeOverlay } from "../../lib/overlay.js";
import { reportPanel } from "../report/panel.js";

/**
 * @param {HTMLElement} root the view's root (Escape closes)
 * @param {(action: string, params?: object) => Promise<any>} call the scorecard's actions
 */
export function reportModal(root, call) {
  const overlay = overlayBox("report-modal");
  /** @type {{dispose: () => void} | null} */
  let panel = null;

  function close() {
    panel?.dispose();
    panel = null;
    closeOverlay(overlay);
  }
  dismissable(overlay, root, close);

  /** @param {string | null} node a metric-tree node, or null for the whole tree */
  function open(node) {
    close();
    const p = reportPanel({ call: (action, params) => call(`report_${action}`, params), node });
    panel = p;
    overlay.hidden = false;
    overlay.append(h("div", { class: "axis-modal axis-report-modal", role: "dialog" },
      h("div", { class: "axis-modal-head" },
        h("div", { class: "axis-title" }, node ? `AI report · ${node} and below` : "AI report · all metrics"),
        h("button", { class: "axis-btn", "data-testid": "report-close", onclick: close }, "✕")),
      p.el));
  }

  return { overlay, open, close };
}
