// The knowledge-graph explorer: counts per node type (which double as the type filter and
// the legend), a search box, the canvas, and a detail panel for the selected node with its
// properties, edges and neighbours. Expanding a node (button, or double click) merges its
// neighbourhood into what is shown. Used by the graph view and the rules dashboard's
// Knowledge graph tab; `call(action, params)` reaches payloads/graph.py's actions.
import { h, clear } from "../../lib/dom.js";
import { fmtInt } from "../../lib/format.js";
import { select } from "../../lib/controls.js";
import { GraphCanvas } from "./canvas.js";
import { NODE_TYPES, TYPE_COLORS, countByType, mergeGraph } from "./model.js";

/** The edge limits offered, with the current one among them. @param {number} current */
function limitOptions(current) {
  const values = [...new Set([200, 500, 2000, 5000, 10000, current])].sort((a, b) => a - b);
  return /** @type {Array<[number, string]>} */ (values.map((v) => [v, fmtInt(v)]));
}

const HELP = "Scroll to zoom, drag the background to pan, drag a node to move it. Click a node for its details; " +
  "double-click (or Expand) adds its neighbourhood. Click a type to hide or show it. Search finds nodes by name " +
  "(or a rule by id) and centres the graph on the one you pick.";

/**
 * @param {{call: (action: string, params?: object) => Promise<any>, showError: (e: unknown) => void,
 *   initial?: any}} opts
 */
export function graphExplorer({ call, showError, initial }) {
  const el = h("div", { class: "axis-graph-explorer", "data-testid": "graph-explorer" });
  const stats = h("div", { class: "axis-graph-stats", "data-testid": "graph-stats" });
  const results = h("div", { class: "axis-graph-results", "data-testid": "search-results", hidden: true });
  const detail = h("div", { class: "axis-graph-detail", "data-testid": "node-detail", hidden: true });
  const canvas = /** @type {HTMLCanvasElement} */ (h("canvas", { class: "axis-graph-canvas", "data-testid": "graph-canvas" }));
  const help = h("div", { class: "axis-graph-help axis-muted", hidden: true, "data-testid": "graph-help" }, HELP);
  const state = { limit: initial?.limit || 2000, depth: 1, types: new Set(NODE_TYPES), summary: /** @type {any} */ (null) };
  /** @type {{nodes: any[], edges: any[]}} */
  let g = { nodes: [], edges: [] };

  const gc = new GraphCanvas(canvas, {
    onSelect: (n) => (n ? openNode(n.id) : closeDetail()),
    onExpand: (n) => expand(n.id),
  });

  const search = /** @type {HTMLInputElement} */ (h("input", { class: "axis-input", type: "search", placeholder: "search nodes…",
    "data-testid": "graph-search", onkeydown: (/** @type {KeyboardEvent} */ e) => { if (e.key === "Enter") runSearch(search.value); } }));
  let timer = 0;
  search.addEventListener("input", () => { clearTimeout(timer); timer = window.setTimeout(() => runSearch(search.value), 300); });

  const controls = h("div", { class: "axis-graph-controls" }, search,
    h("label", { class: "axis-filter" }, "edges ", select({ testid: "graph-limit", value: state.limit,
      options: limitOptions(state.limit),
      onchange: (v) => { state.limit = Number(v); load(); } })),
    h("label", { class: "axis-filter" }, "expand depth ", select({ testid: "graph-depth", value: state.depth,
      options: [[1, "1"], [2, "2"], [3, "3"]], onchange: (v) => { state.depth = Number(v); } })),
    h("button", { class: "axis-btn", "data-testid": "graph-fit", onclick: () => gc.fitAll() }, "Fit"),
    h("button", { class: "axis-btn", "data-testid": "graph-help-toggle", onclick: () => { help.hidden = !help.hidden; } }, "?"));
  el.append(stats, controls, help, results, h("div", { class: "axis-graph-main" }, canvas, detail));

  function drawStats() {
    const shown = countByType(g.nodes);
    const total = state.summary?.nodes_by_type || {};
    clear(stats).append(...NODE_TYPES.map((t) => h("button", {
      class: `axis-graph-type ${state.types.has(t) ? "on" : "off"}`, "data-testid": `type-filter-${t}`,
      "aria-pressed": state.types.has(t) ? "true" : "false", title: "show or hide this type",
      onclick: () => { if (state.types.has(t)) state.types.delete(t); else state.types.add(t); gc.setTypes(new Set(state.types)); drawStats(); },
    }, h("span", { class: "axis-graph-swatch", style: { background: TYPE_COLORS[t] } }), `${t} `,
    h("b", { "data-testid": `count-${t}` }, fmtInt(total[t] ?? 0)),
    h("span", { class: "axis-muted" }, ` (${fmtInt(shown[t] || 0)} shown)`))),
    h("span", { class: "axis-muted", "data-testid": "graph-shown" }, `${fmtInt(g.nodes.length)} nodes, ${fmtInt(g.edges.length)} edges shown`));
  }

  /** @param {{nodes: any[], edges: any[]}} add @param {any} [near] */
  function merge(add, near) {
    const m = mergeGraph(g, add, near);
    g = { nodes: m.nodes, edges: m.edges };
    gc.setGraph(g, { reheat: m.added.length ? 0.6 : 0.05 });
    drawStats();
    return m.added;
  }

  async function load() {
    try {
      const p = initial && initial.limit === state.limit ? initial : await call("payload", { limit: state.limit });
      initial = null;
      state.summary = p.summary;
      g = { nodes: [], edges: [] };
      merge(p.graph);
      el.dataset.dataset = p.dataset;
      el.dataset.loaded = "1";
      showError(null);
    } catch (e) {
      showError(e);
    }
  }

  /** @param {string} text */
  async function runSearch(text) {
    const q = text.trim();
    if (!q) { results.hidden = true; gc.mark([]); return; }
    try {
      const r = await call("search", { text: q, limit: 20 });
      gc.mark(r.results.map((/** @type {any} */ x) => x.node_id));
      clear(results).append(h("div", { class: "axis-muted" }, `${fmtInt(r.total)} match${r.total === 1 ? "" : "es"}`),
        ...r.results.map((/** @type {any} */ x) => h("button", { class: "axis-graph-result", "data-testid": "search-result",
          "data-node-id": x.node_id, onclick: () => goTo(x.node_id) },
        h("span", { class: "axis-graph-swatch", style: { background: TYPE_COLORS[x.type] } }), h("b", {}, x.label),
        h("span", { class: "axis-muted" }, ` ${x.type} · ${x.connected_nodes} connections`))));
      results.hidden = false;
      showError(null);
    } catch (e) {
      showError(e);
    }
  }

  /** Show node `id` (fetching its neighbourhood if it is not in the graph yet) and open it. @param {string} id */
  async function goTo(id) {
    if (!gc.node(id)) await expand(id, 1);
    // let the layout place new nodes before centring on it
    requestAnimationFrame(() => { gc.focus(id); openNode(id); });
  }

  /** @param {string} id @param {number} [depth] */
  async function expand(id, depth) {
    try {
      const sg = await call("neighbourhood", { node_id: id, depth: depth || state.depth, limit: 500 });
      const added = merge({ nodes: [sg.focal_node, ...sg.nodes], edges: sg.edges }, gc.node(id) || undefined);
      el.dataset.expanded = id;
      el.dataset.added = String(added.length);
      el.dataset.truncated = sg.truncated ? "1" : "0";
      showError(null);
    } catch (e) {
      showError(e);
    }
  }

  /** @param {string} id */
  async function openNode(id) {
    try {
      const d = await call("node", { node_id: id });
      const n = d.node;
      clear(detail).append(
        h("div", { class: "axis-graph-detail-head" },
          h("span", { class: "axis-graph-swatch", style: { background: TYPE_COLORS[n.type] } }),
          h("b", { "data-testid": "detail-label" }, n.label), h("span", { class: "axis-muted" }, ` ${n.type}`),
          h("button", { class: "axis-btn", "data-testid": "detail-close", onclick: closeDetail }, "×")),
        h("div", { class: "axis-id", "data-testid": "detail-id" }, n.id),
        h("div", {}, h("button", { class: "axis-btn active", "data-testid": "expand", onclick: () => expand(n.id) },
          `Expand (depth ${state.depth})`)),
        h("table", { class: "axis-table axis-graph-props", "data-testid": "detail-props" },
          h("tbody", {}, Object.entries(n.metadata || {}).map(([k, v]) => h("tr", {}, h("td", { class: "axis-muted" }, k), h("td", {}, v))))),
        h("div", { class: "axis-mem-card-title" }, `Edges (${d.edges.length})`),
        h("div", { class: "axis-graph-edges" }, d.edges.slice(0, 200).map((/** @type {any} */ e) => h("div", { class: "axis-muted" },
          `${e.source === n.id ? "→" : "←"} ${e.type} `, e.source === n.id ? e.target : e.source))),
        h("div", { class: "axis-mem-card-title" }, `Neighbours (${d.neighbours.length})`),
        h("div", {}, d.neighbours.slice(0, 200).map((/** @type {any} */ m) => h("button", { class: "axis-graph-result",
          "data-testid": "neighbour", "data-node-id": m.id, onclick: () => goTo(m.id) },
        h("span", { class: "axis-graph-swatch", style: { background: TYPE_COLORS[m.type] } }), m.label))));
      detail.hidden = false;
      detail.dataset.nodeId = n.id;
      gc.select(gc.node(id));
      showError(null);
    } catch (e) {
      showError(e);
    }
  }

  function closeDetail() {
    detail.hidden = true;
    detail.dataset.nodeId = "";
    gc.select(null);
  }

  drawStats();
  return { el, load, dispose: () => gc.dispose(), canvas: gc };
}
