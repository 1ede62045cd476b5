// The tidy-tree layout of the metric trees (src/lib/tree.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { layoutTree, toggleIn } from "../src/lib/tree.js";

const TREE = {
  name: "root", score: 0.8,
  children: [
    { name: "a", children: [{ name: "a1" }, { name: "a2" }, { name: "a3" }] },
    { name: "b" },
    { name: "c", children: [{ name: "c1" }] },
  ],
};

/** @param {ReturnType<typeof layoutTree>} layout */
const byPath = (layout) => Object.fromEntries(layout.nodes.map((n) => [n.path, n]));

test("leaves take consecutive rows and a parent sits between its first and last child", () => {
  const n = byPath(layoutTree(TREE, { width: 720 }));
  assert.deepEqual(["root/a/a1", "root/a/a2", "root/a/a3", "root/b", "root/c/c1"].map((p) => n[p].row), [0, 1, 2, 3, 4]);
  assert.equal(n["root/a"].row, 1);
  assert.equal(n["root/c"].row, 4);
  assert.equal(n.root.row, (1 + 4) / 2);
});

test("depth maps to evenly spaced columns between the margins", () => {
  const layout = layoutTree(TREE, { width: 720, margin: 120 });
  const n = byPath(layout);
  assert.equal(n.root.x, 120);
  assert.equal(n["root/a"].x, 360);
  assert.equal(n["root/a/a1"].x, 600);
  assert.equal(n["root/b"].x, 360);
  // rows 44 px apart, starting 20 px down, centred in the row
  assert.equal(n["root/a/a1"].y, 20 + 22);
  assert.equal(n["root/b"].y, 20 + 3 * 44 + 22);
  assert.equal(layout.height, Math.max(240, 5 * 44 + 40));
  assert.equal(layout.links.length, layout.nodes.length - 1);
});

test("a collapsed parent hides its subtree and becomes a leaf row", () => {
  const layout = layoutTree(TREE, { width: 720, collapsed: new Set(["root/a"]) });
  const n = byPath(layout);
  assert.equal(n["root/a/a1"], undefined);
  assert.equal(n["root/a"].row, 0);
  assert.equal(n["root/a"].hasChildren, true);
  assert.equal(n["root/a"].open, false);
  assert.equal(n["root/b"].row, 1);
  assert.equal(layout.height, 240); // the minimum height for 3 rows
});

test("a single node is placed at the left margin", () => {
  const layout = layoutTree({ name: "only" }, { width: 500, margin: 150, minHeight: 100 });
  assert.equal(layout.nodes.length, 1);
  assert.equal(layout.nodes[0].x, 150);
  assert.equal(layout.nodes[0].hasChildren, false);
  assert.equal(layout.height, 100);
});

test("toggleIn adds a missing key and removes a present one", () => {
  const s = new Set(["x"]);
  toggleIn(s, "y");
  toggleIn(s, "x");
  assert.deepEqual([...s], ["y"]);
});
