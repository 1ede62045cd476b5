// Which rows of a collapsible hierarchy are shown, and in what order (src/lib/hierarchy.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { visibleHierarchy, hiddenByCollapse, sortNullsLast } from "../src/lib/hierarchy.js";

const ROWS = [
  { name: "Quality", level: 1, children: ["Faithfulness", "Relevance"], mean: 0.6, weight: 2 },
  { name: "Safety", level: 1, children: ["Toxicity"], mean: 0.9, weight: 1 },
  { name: "Faithfulness", level: 2, mean: 0.4, weight: 1 },
  { name: "Relevance", level: 2, mean: null, weight: 3 },
  { name: "Toxicity", level: 2, mean: 0.95, weight: 1 },
];
const names = (rows) => rows.map((r) => r.name);

test("depth first in the payload's order when not sorted", () => {
  assert.deepEqual(names(visibleHierarchy(ROWS, new Set(), { key: null, dir: -1 })),
    ["Quality", "Faithfulness", "Relevance", "Safety", "Toxicity"]);
});

test("siblings sort by score (missing last when descending), name or weight", () => {
  assert.deepEqual(names(visibleHierarchy(ROWS, new Set(), { key: "score", dir: -1 })),
    ["Safety", "Toxicity", "Quality", "Faithfulness", "Relevance"]);
  assert.deepEqual(names(visibleHierarchy(ROWS, new Set(), { key: "name", dir: -1 })),
    ["Safety", "Toxicity", "Quality", "Relevance", "Faithfulness"]);
  assert.deepEqual(names(visibleHierarchy(ROWS, new Set(), { key: "weight", dir: 1 })),
    ["Safety", "Toxicity", "Quality", "Faithfulness", "Relevance"]);
});

test("a collapsed row keeps its place and hides its children", () => {
  assert.deepEqual(names(visibleHierarchy(ROWS, new Set(["Quality"]), { key: null, dir: 1 })),
    ["Quality", "Safety", "Toxicity"]);
});

test("hiddenByCollapse follows parents up to the root", () => {
  const rows = [{ key: "s" }, { key: "s/c", parent: "s" }, { key: "s/c/m", parent: "s/c" }];
  assert.equal(hiddenByCollapse(rows[2], rows, new Set()), false);
  assert.equal(hiddenByCollapse(rows[2], rows, new Set(["s"])), true);
  assert.equal(hiddenByCollapse(rows[1], rows, new Set(["s/c"])), false);
  assert.equal(hiddenByCollapse(rows[0], rows, new Set(["s"])), false);
});

test("sortNullsLast: missing values last in both directions, strings ignore case", () => {
  const rows = [{ k: 2 }, { k: null }, { k: 1 }, { k: 3 }];
  assert.deepEqual(sortNullsLast(rows, "k", 1).map((r) => r.k), [1, 2, 3, null]);
  assert.deepEqual(sortNullsLast(rows, "k", -1).map((r) => r.k), [3, 2, 1, null]);
  assert.deepEqual(sortNullsLast([{ k: "b" }, { k: "A" }, { k: "c" }], "k", 1).map((r) => r.k), ["A", "b", "c"]);
  assert.deepEqual(sortNullsLast([{ k: true }, { k: false }], "k", 1).map((r) => r.k), [false, true]);
  assert.deepEqual(sortNullsLast(rows, null, 1), rows);
  assert.notEqual(sortNullsLast(rows, null, 1), rows); // a copy
});
