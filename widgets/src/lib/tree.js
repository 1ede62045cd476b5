// A left-to-right tidy tree in SVG for metric hierarchies (reference: upstream-ui §2.4).
// root: {name, score, children: [...], ...}. Leaves get consecutive rows; a parent sits at
// the middle of its first and last child; depth maps to columns. Parents can be collapsed.
import { s, scoreColor, fmtScore } from "./ui.js";

/**
 * renderTree(container, root, {collapsed: Set<string>, onToggle(name), onLeaf(node, event),
 *   rowHeight, margin}) -> the <svg> element.
 */
export function renderTree(container, root, opts = {}) {
  const collapsed = opts.collapsed || new Set();
  const rowH = opts.rowHeight || 44;
  const margin = opts.margin ?? 120;
  const width = Math.max(480, container.clientWidth || 720);

  // layout: visible nodes, depth-first
  const nodes = [];
  const links = [];
  let leafRow = 0;
  let maxDepth = 0;
  const key = (n, path) => path;
  function walk(n, depth, path) {
    const kids = collapsed.has(path) ? [] : n.children || [];
    const node = { data: n, depth, path, hasChildren: (n.children || []).length > 0, open: kids.length > 0 };
    maxDepth = Math.max(maxDepth, depth);
    nodes.push(node);
    if (kids.length) {
      const placed = kids.map((c, i) => walk(c, depth + 1, `${path}/${c.name}`));
      node.row = (placed[0].row + placed[placed.length - 1].row) / 2;
      for (const c of placed) links.push([node, c]);
    } else {
      node.row = leafRow++;
    }
    return node;
  }
  walk(root, 0, key(root, root.name));

  const height = Math.max(opts.minHeight ?? 240, leafRow * rowH + 40);
  const colW = maxDepth ? (width - 2 * margin) / maxDepth : 0;
  for (const n of nodes) {
    n.x = margin + n.depth * colW;
    n.y = 20 + n.row * rowH + rowH / 2;
  }

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
  for (const n of nodes) {
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
    svg.append(g);
  }
  container.append(svg);
  return svg;
}
