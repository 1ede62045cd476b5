// The scorecard's metric tree (see ../scorecard.js): aggregated over every test case, or
// one test case's scores; a leaf opens a side panel.
import { h, clear } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtPct } from "../../lib/format.js";
import { segmented, labelledSelect, optionsOf } from "../../lib/controls.js";
import { renderTree, toggleIn } from "../../lib/tree.js";
import { signalListView } from "../../lib/signals.js";
import { metricDistribution, caseNotes } from "../../lib/metric-popup.js";
import { errorText } from "../../lib/transport.js";

/** @typedef {import("./table.js").ScorecardContext} ScorecardContext */

/** @param {ScorecardContext} ctx */
export function treeTab(ctx) {
  const { state, body } = ctx;
  const controls = h("div", { class: "axis-strip" },
    segmented([["aggregated", "Aggregated"], ["individual", "Individual"]], state.treeMode, (m) => {
      state.treeMode = m;
      ctx.renderBody();
      if (m === "individual" && !state.caseTree) loadCaseTree(ctx, null);
    }, (m) => `tree-${m}`));
  if (state.treeMode === "individual" && state.caseTree) {
    controls.append(labelledSelect({
      label: "Test case ", testid: "case-select", options: optionsOf(state.caseTree.case_ids || []),
      value: state.caseTree.dataset_id, onchange: (v) => loadCaseTree(ctx, v),
    }));
  }
  controls.append(h("span", { class: "axis-muted" }, "Click a parent to collapse it, a leaf for details."));
  body.append(controls);
  const treeBox = h("div", { class: "axis-tree-box" });
  const detail = h("div", { class: "axis-detail", hidden: true, "data-testid": "tree-detail" });
  body.append(h("div", { class: "axis-tree-wrap" }, treeBox, detail));
  const data = state.treeMode === "individual" ? state.caseTree?.tree : state.payload.tree;
  if (!data) {
    treeBox.append(h("div", { class: "axis-muted" }, state.treeMode === "individual" ? "Loading…" : "No hierarchy."));
    return;
  }
  // wait for layout so the tree can use the available width
  requestAnimationFrame(() => renderTree(treeBox, data, {
    collapsed: state.treeCollapsed,
    onToggle: (path) => {
      toggleIn(state.treeCollapsed, path);
      ctx.renderBody();
    },
    onLeaf: (node) => leafDetail(ctx, detail, node),
  }));
}

/**
 * The side panel of a leaf: its distribution (aggregated: the five-number summary and a
 * 10-bin histogram from the `metric_stats` action) or one case's explanation, signals and
 * critique.
 * @param {ScorecardContext} ctx @param {HTMLElement} box @param {any} node
 */
async function leafDetail(ctx, box, node) {
  const { state } = ctx;
  clear(box);
  box.hidden = false;
  box.dataset.metric = node.name;
  box.append(h("div", { class: "axis-modal-head" },
    h("div", { class: "axis-title" }, node.name, " ",
      h("span", { style: { color: scoreColor(node.score) } }, fmtScore(node.score))),
    h("button", { class: "axis-btn", "data-testid": "tree-detail-close", onclick: () => { box.hidden = true; }, "aria-label": "Close" }, "×")));
  box.append(h("div", { class: "axis-muted" }, `Weight ${node.weight ?? "—"} · ${fmtPct(node.norm_weight)} of siblings`));
  if (state.treeMode === "aggregated") {
    const slot = h("div", { class: "axis-muted" }, "Loading…");
    box.append(slot, h("div", {}, h("button", { class: "axis-btn", onclick: () => ctx.openDrill(node.name) }, "Show test cases")));
    try {
      const st = await ctx.call("metric_stats", { metric: node.name, filters: state.filters });
      if (box.dataset.metric === node.name) slot.replaceWith(metricDistribution(st));
    } catch (err) {
      slot.textContent = errorText(err);
    }
  } else {
    box.append(...caseNotes(node));
    if (node.signals) box.append(signalListView(node.signals));
  }
}

/**
 * Load one test case's tree (the first case when `caseId` is null).
 * @param {ScorecardContext} ctx @param {string | null} caseId
 */
export async function loadCaseTree(ctx, caseId) {
  const { state } = ctx;
  try {
    /** @type {Record<string, any>} */
    const params = { filters: state.filters };
    if (caseId) params.dataset_id = caseId;
    const data = await ctx.call("case_tree", params);
    state.caseTree = data;
    state.caseId = data.dataset_id;
    if (state.tab === "tree" && state.treeMode === "individual") ctx.renderBody();
  } catch (err) {
    ctx.showError(err);
  }
}
