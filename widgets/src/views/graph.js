// The knowledge-graph view: the explorer (views/graph/explorer.js) over the graph of a rules
// dataset. Python side: axis_jupyter/payloads/graph.py.
import "../lib/ui.css";
import "./graph.css";
import { h } from "../lib/dom.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { graphExplorer } from "./graph/explorer.js";

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const shell = createShell(model, el, { cls: "axis-graph", testid: "axis-graph" });
  const snap = snapshotOf(model);
  const call = async (/** @type {string} */ action, /** @type {any} */ params) => {
    const out = await shell.call(action, params);
    if (action === "payload") saveSnapshot(model, out);
    return out;
  };
  const explorer = graphExplorer({ call, showError: shell.showError, initial: snap });
  shell.root.append(h("div", { class: "axis-header" }, h("b", {}, `AXIS · knowledge graph${model.get("dataset") ? ` · ${model.get("dataset")}` : ""}`)),
    shell.errorBox, explorer.el, shell.status);
  explorer.load();
  shell.announceTransport();
  return () => { explorer.dispose(); shell.transport.dispose(); };
}

export default { render };
