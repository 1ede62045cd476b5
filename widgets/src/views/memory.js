// The rules dashboard (decision memory): summary strip, then tabs for the rules (filters,
// table, decision paths, editor), decision quality, hard stops, the knowledge graph and
// batches. Python side: axis_jupyter/payloads/memory.py (the graph tab: payloads/graph.py
// through the memory view's graph_* actions).
import "../lib/ui.css";
import "./memory.css";
import "./graph.css";
import { h, clear } from "../lib/dom.js";
import { tabButtons } from "../lib/controls.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { summaryStrip } from "./memory/summary.js";
import { rulesTab } from "./memory/rules.js";
import { batchesTab, hardStopsTab, qualityTab } from "./memory/tabs.js";
import { graphExplorer } from "./graph/explorer.js";

/** @type {Array<[string, string]>} */
const TABS = [["rules", "Rules"], ["quality", "Decision quality"], ["hard_stops", "Hard stops"],
  ["graph", "Knowledge graph"], ["batches", "Batches"]];

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const shell = createShell(model, el, { cls: "axis-memory", testid: "axis-memory" });
  const { root } = shell;
  const title = h("b", {}, `AXIS · decision memory · ${model.get("dataset") || ""}`);
  const summary = h("div");
  const tabs = h("div", { class: "axis-mem-tabs", role: "tablist" });
  const body = h("div", { class: "axis-body" });
  root.append(h("div", { class: "axis-header" }, title), shell.errorBox, summary, tabs, body, shell.status);

  const state = { tab: "rules", filters: {} };
  /** @type {any} */
  let explorer = null;
  const ctx = {
    state,
    /** @type {any} */ payload: null,
    /** @type {Record<string, string>} */ colors: {},
    call: shell.call,
    showError: shell.showError,
    refresh: shell.refresh,
    filters: () => null,
    refreshAll: async () => {
      await shell.refresh("payload", {}, (/** @type {any} */ p) => { show(p); saveSnapshot(model, p); });
    },
  };

  /** @param {any} p */
  function show(p) {
    ctx.payload = p;
    ctx.colors = Object.fromEntries((p.by_action || []).map((/** @type {any} */ a) => [a.action, a.color]));
    root.dataset.rules = String(p.summary?.rules_count ?? "");
    clear(summary).append(summaryStrip(p));
    drawTab();
  }

  function drawTab() {
    clear(tabs).append(...tabButtons(TABS, state.tab, (id) => { state.tab = id; drawTab(); }, { aria: true }));
    if (explorer) { explorer.dispose(); explorer = null; }
    clear(body);
    if (state.tab === "rules") body.append(rulesTab(ctx));
    else if (state.tab === "quality") body.append(qualityTab(ctx));
    else if (state.tab === "hard_stops") body.append(hardStopsTab(ctx));
    else if (state.tab === "batches") body.append(batchesTab(ctx));
    else {
      explorer = graphExplorer({ call: (/** @type {string} */ a, /** @type {any} */ prm) => shell.call(`graph_${a}`, prm),
        showError: shell.showError });
      body.append(explorer.el);
      explorer.load();
    }
  }

  const snap = snapshotOf(model);
  if (snap) show(snap);
  else ctx.refreshAll();
  shell.announceTransport();
  return () => { explorer?.dispose(); shell.transport.dispose(); };
}

export default { render };
