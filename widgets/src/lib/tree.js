// A left-to-right tidy tree in SVG for metric hierarchies. layoutTree() places the nodes
// (pure, unit tested); renderTree() draws them. Leaves get consecutive rows; a parent sits
// at the middle of its first and last child; depth maps to columns. Parents can be
// collapsed (their path in `collapsed`).
import { s } from "./dom.js";
import { scoreColor, fmtScore } from "./format.js";

/**
 * @typedef {{name: string, score?: number | null, children?: TreeData[], [k: string]: any}} TreeData
 * @typedef {{data: TreeData, depth: number, path: string, hasChildren: boolean, open: boolean,
 *   row: number, x: number, y: number}} TreeNode
 * @typedef {{nodes: TreeNode[], links: Array<[TreeNode, TreeNode]>, width: number, height: number}} TreeLayout
 */

/**
 * Place the visible nodes of `root` (depth first). A node's path is its ancestors' names
 * and its own, joined by "/" (the root's path is its name).
 * @param {TreeData} root
 * @param {{collapsed?: Set<string>, width: number, rowHeight?: number, margin?: number, minHeight?: number}} opts
 * @returns {TreeLayout}
 */
export function layoutTree(root, opts) {
  const collapsed = opts.collapsed || new Set();
  const rowH = opts.rowHeight || 44;
  const margin = opts.margin ?? 120;
  const width = opts.width;
  /** @type {TreeNode[]} */
  const nodes = [];
  /** @type {Array<[TreeNode, TreeNode]>} */
  const links = [];
  let leafRow = 0;
  let maxDepth = 0;
  /**
   * @param {TreeData} n
   * @param {number} depth
   * @param {string} path
   * @returns {TreeNode}
   */
  function walk(n, depth, path) {
    const kids = collapsed.has(path) ? [] : n.children || [];
    /** @type {TreeNode} */
    const node = { data: n, depth, path, hasChildren: (n.children || []).length > 0, open: kids.length > 0, row: 0, x: 0, y: 0 };
    maxDepth = Math.max(maxDepth, depth);
    nodes.push(node);
    if (kids.length) {
      const placed = kids.map((c) => walk(c, depth + 1, `${path}/${c.name}`));
      node.row = (placed[0].row + placed[placed.length - 1].row) / 2;
      for (const c of placed) links.push([node, c]);
    } else {
      node.row = leafRow++;
    }
    return node;
  }
  walk(root, 0, root.name);

  const height = Math.max(opts.minHeight ?? 240, leafRow * rowH + 40);
  const colW = maxDepth ? (width - 2 * margin) / maxDepth : 0;
  for (const n of nodes) {
    n.x = margin + n.depth * colW;
    n.y = 20 + n.row * rowH + rowH / 2;
  }
  return { nodes, links, width, height };
}

/**
 * @typedef {object} TreeOptions
 * @property {Set<string>} [collapsed] paths of collapsed parents
 * @property {(path: string) => void} [onToggle] a parent was clicked
 * @property {(node: TreeData, event: Event) => void} [onLeaf] a leaf was clicked
 * @property {number} [rowHeight]
 * @property {number} [margin]
 * @property {number} [minHeight]
 */

/**
 * Draw the tree of `root` into `container` (as wide as the container, at least 480 px).
 * @param {HTMLElement} container
 * @param {TreeData} root
 * @param {TreeOptions} [opts]
 * @returns {SVGElement}
 */
export function renderTree(container, root, opts = {}) {
  const width = Math.max(480, container.clientWidth || 720);
  const { nodes, links, height } = layoutTree(root, { ...opts, width });

  const svg = s("svg", {
    class: "axis-tree",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    "data-testid": "tree",
  });
  for (const [a, b] of links) {
    const mx = (a.x + b.x) / 2;
    svg.append(
      s("path", {
        d: `M${a.x},${a.y} C${mx},${a.y} ${mx},${b.y} ${b.x},${b.y}`,
        fill: "none",
        stroke: "#d1d5db",
        "stroke-width": 1.5,
      }),
    );
  }
  for (const n of nodes) svg.append(treeNode(n, opts));
  container.append(svg);
  return svg;
}

/**
 * One node: a score-coloured circle (with +/− on parents), its name and score.
 * @param {TreeNode} n
 * @param {TreeOptions} opts
 */
function treeNode(n, opts) {
  const d = n.data;
  const leftLabel = n.hasChildren;
  const g = s("g", {
    class: `axis-tree-node ${n.hasChildren ? "parent" : "leaf"}`,
    transform: `translate(${n.x},${n.y})`,
    "data-name": d.name,
    "data-score": d.score ?? "",
    "data-testid": "tree-node",
    style: "cursor:pointer",
  });
  g.append(s("title", {}, `${d.name}: ${fmtScore(d.score)}`));
  g.append(s("circle", { r: 8, fill: scoreColor(d.score), stroke: "#fff", "stroke-width": 2 }));
  if (n.hasChildren) {
    g.append(
      s("text", { "text-anchor": "middle", dy: "0.35em", "font-size": 11, fill: "#fff", "pointer-events": "none" }, n.open ? "−" : "+"),
    );
  }
  const tx = leftLabel ? -13 : 13;
  const anchor = leftLabel ? "end" : "start";
  g.append(s("text", { x: tx, dy: "-0.15em", "text-anchor": anchor, class: "axis-tree-name" }, d.name));
  g.append(
    s("text", { x: tx, dy: "1.05em", "text-anchor": anchor, class: "axis-tree-score", fill: scoreColor(d.score) }, fmtScore(d.score)),
  );
  g.addEventListener("click", (event) => {
    event.stopPropagation();
    if (n.hasChildren) opts.onToggle && opts.onToggle(n.path);
    else opts.onLeaf && opts.onLeaf(d, event);
  });
  return g;
}

/**
 * Toggle `key` in a set of collapsed keys (in place); returns the set.
 * @template T
 * @param {Set<T>} set
 * @param {T} key
 */
export function toggleIn(set, key) {
  if (set.has(key)) set.delete(key);
  else set.add(key);
  return set;
}
