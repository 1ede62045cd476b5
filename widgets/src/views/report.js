// The report view (anywidget front end): `%axis show report DATASET [node=...]`.
// Python side: axis_jupyter/payloads/report.py. The generator itself (configure ->
// generating, streamed -> result with Copy and Download .md) is report/panel.js, which the
// scorecard's "Generate report" modal shows too.
import "../lib/ui.css";
import "../lib/markdown.css";
import "./report/report.css";
import { h } from "../lib/dom.js";
import { createShell } from "../lib/shell.js";
import { reportPanel } from "./report/panel.js";

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const shell = createShell(model, el, { cls: "axis-report", testid: "axis-report" });
  const params = model.get("params") || {};
  const panel = reportPanel({ call: (action, p) => shell.call(action, p), node: params.node || null,
    metrics: params.metrics || null });
  shell.root.append(h("div", { class: "axis-header" },
    h("span", { class: "axis-title" }, `AI report · ${model.get("dataset")}`)), shell.errorBox, panel.el, shell.status);
  shell.announceTransport();
  return () => {
    panel.dispose();
    shell.transport.dispose();
  };
}

export default { render };
