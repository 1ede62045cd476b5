// The graph view's data, without any DOM: node and edge lists merged as the user expands
// neighbourhoods, type filters, colours, and which labels to draw. Pure functions, tested
// by test/graph.test.js.

/** Node colours of the reference's explorer, by node type. */
export const TYPE_COLORS = {
  RiskFactor: "#E74C3C",
  Rule: "#3498DB",
  Outcome: "#27AE60",
  Mitigant: "#9B59B6",
  Source: "#F39C12",
};
export const NODE_TYPES = Object.keys(TYPE_COLORS);

/**
 * @typedef {{id: string, label: string, type: string, metadata?: Record<string, string>,
 *   distance?: number, x?: number, y?: number, vx?: number, vy?: number, fx?: number | null,
 *   fy?: number | null, degree?: number}} GNode
 * @typedef {{source: string | GNode, target: string | GNode, type: string, label?: string}} GEdge
 */

/** @param {string | GNode} end */
export const endId = (end) => (typeof end === "string" ? end : end.id);

/** @param {GEdge} e */
export const edgeKey = (e) => `${endId(e.source)}|${e.type}|${endId(e.target)}`;

/**
 * Merge `add` into the current lists: known nodes keep their position (and get the new
 * metadata when it has some), new ones start near `near` (the expanded node) if given.
 * Returns the new lists and the ids that were new.
 * @param {{nodes: GNode[], edges: GEdge[]}} current
 * @param {{nodes: GNode[], edges: GEdge[]}} add
 * @param {GNode} [near]
 */
export function mergeGraph(current, add, near) {
  const byId = new Map(current.nodes.map((n) => [n.id, n]));
  const added = [];
  let i = 0;
  for (const n of add.nodes) {
    const have = byId.get(n.id);
    if (have) {
      if (n.metadata && Object.keys(n.metadata).length) have.metadata = n.metadata;
      continue;
    }
    const fresh = { ...n };
    if (near && near.x !== undefined && near.y !== undefined) {
      const a = (2 * Math.PI * i++) / Math.max(1, add.nodes.length);
      fresh.x = near.x + 30 * Math.cos(a);
      fresh.y = near.y + 30 * Math.sin(a);
    }
    byId.set(n.id, fresh);
    added.push(n.id);
  }
  const keys = new Set(current.edges.map(edgeKey));
  const edges = current.edges.slice();
  for (const e of add.edges) {
    const k = edgeKey(e);
    if (!keys.has(k) && byId.has(endId(e.source)) && byId.has(endId(e.target))) {
      keys.add(k);
      edges.push({ source: endId(e.source), target: endId(e.target), type: e.type, label: e.label });
    }
  }
  const nodes = [...byId.values()];
  setDegrees(nodes, edges);
  return { nodes, edges, added };
}

/**
 * The degree of every node in these lists (stored on the nodes).
 * @param {GNode[]} nodes
 * @param {GEdge[]} edges
 */
export function setDegrees(nodes, edges) {
  const deg = new Map();
  for (const e of edges) {
    deg.set(endId(e.source), (deg.get(endId(e.source)) || 0) + 1);
    deg.set(endId(e.target), (deg.get(endId(e.target)) || 0) + 1);
  }
  for (const n of nodes) n.degree = deg.get(n.id) || 0;
}

/**
 * The nodes and edges to draw with only `types` shown (edges need both ends shown).
 * @param {{nodes: GNode[], edges: GEdge[]}} g
 * @param {Set<string>} types
 */
export function visible(g, types) {
  const nodes = g.nodes.filter((n) => types.has(n.type));
  const ids = new Set(nodes.map((n) => n.id));
  const edges = g.edges.filter((e) => ids.has(endId(e.source)) && ids.has(endId(e.target)));
  return { nodes, edges };
}

/**
 * Counts per node type.
 * @param {GNode[]} nodes
 * @returns {Record<string, number>}
 */
export function countByType(nodes) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const n of nodes) out[n.type] = (out[n.type] || 0) + 1;
  return out;
}

/**
 * Which nodes get a label at zoom `k`: the selected and hovered ones always, hubs (the
 * `hubs` best connected) always, everything once zoomed in far enough for labels to fit.
 * @param {GNode[]} nodes
 * @param {number} k zoom factor
 * @param {{hubs?: number, selected?: string | null, hovered?: string | null}} [opts]
 * @returns {Set<string>}
 */
export function labelled(nodes, k, { hubs = 12, selected = null, hovered = null } = {}) {
  const out = new Set();
  if (selected) out.add(selected);
  if (hovered) out.add(hovered);
  if (k >= 2.5 || nodes.length <= 40) {
    for (const n of nodes) out.add(n.id);
    return out;
  }
  const top = nodes.slice().sort((a, b) => (b.degree || 0) - (a.degree || 0)).slice(0, hubs);
  for (const n of top) if ((n.degree || 0) > 2) out.add(n.id);
  return out;
}

/**
 * The radius of a node: grows with its degree, bounded.
 * @param {GNode} n
 */
export function radius(n) {
  return Math.min(14, 3.5 + Math.sqrt(n.degree || 0) * 1.2);
}
