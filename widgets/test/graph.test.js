// Pure helpers of the knowledge-graph view: merging expanded neighbourhoods, type filters,
// degrees, labels, and the zoom/pan camera.
import { test } from "node:test";
import assert from "node:assert/strict";
import { countByType, labelled, mergeGraph, visible } from "../src/views/graph/model.js";
import { centreOn, fit, toScreen, toWorld, zoomAt } from "../src/views/graph/camera.js";

const A = { id: "RiskFactor:a", label: "A", type: "RiskFactor" };
const R1 = { id: "Rule:1", label: "one", type: "Rule" };
const R2 = { id: "Rule:2", label: "two", type: "Rule" };
const O = { id: "Outcome:decline", label: "decline", type: "Outcome" };

test("merging keeps known nodes, adds new ones near the expanded node, drops duplicate edges", () => {
  const first = mergeGraph({ nodes: [], edges: [] }, {
    nodes: [A, R1], edges: [{ source: "RiskFactor:a", target: "Rule:1", type: "TRIGGERS" }],
  });
  assert.deepEqual(first.added, ["RiskFactor:a", "Rule:1"]);
  const r1 = first.nodes.find((n) => n.id === "Rule:1");
  r1.x = 100; r1.y = 50;
  const second = mergeGraph(first, {
    nodes: [{ ...R1, metadata: { action: "decline" } }, O, R2],
    edges: [{ source: "Rule:1", target: "Outcome:decline", type: "RESULTS_IN" },
      { source: "RiskFactor:a", target: "Rule:1", type: "TRIGGERS" },
      { source: "Rule:2", target: "Outcome:decline", type: "RESULTS_IN" },
      { source: "Rule:9", target: "Outcome:decline", type: "RESULTS_IN" }],
  }, r1);
  assert.deepEqual(second.added, ["Outcome:decline", "Rule:2"]);
  assert.equal(second.nodes.length, 4);
  assert.equal(second.edges.length, 3); // the duplicate and the one to an unknown node left out
  const kept = second.nodes.find((n) => n.id === "Rule:1");
  assert.equal(kept.x, 100);
  assert.deepEqual(kept.metadata, { action: "decline" });
  const o = second.nodes.find((n) => n.id === "Outcome:decline");
  assert.ok(Math.hypot(o.x - 100, o.y - 50) <= 30.0001);
  assert.equal(o.degree, 2);
  assert.equal(kept.degree, 2);
});

test("type filters hide nodes and the edges touching them", () => {
  const g = mergeGraph({ nodes: [], edges: [] }, {
    nodes: [A, R1, O],
    edges: [{ source: "RiskFactor:a", target: "Rule:1", type: "TRIGGERS" },
      { source: "Rule:1", target: "Outcome:decline", type: "RESULTS_IN" }],
  });
  const v = visible(g, new Set(["Rule", "Outcome"]));
  assert.deepEqual(v.nodes.map((n) => n.id), ["Rule:1", "Outcome:decline"]);
  assert.equal(v.edges.length, 1);
  assert.deepEqual(countByType(g.nodes), { RiskFactor: 1, Rule: 1, Outcome: 1 });
});

test("labels: everything when few or zoomed in, else hubs plus selected and hovered", () => {
  const many = Array.from({ length: 100 }, (_, i) => ({ id: `Rule:${i}`, label: `${i}`, type: "Rule", degree: i % 7 === 0 ? 50 + i : 1 }));
  const out = labelled(many, 1, { hubs: 3, selected: "Rule:5", hovered: "Rule:6" });
  assert.deepEqual([...out].sort(), ["Rule:5", "Rule:6", "Rule:84", "Rule:91", "Rule:98"].sort());
  assert.equal(labelled(many, 3).size, 100);
  assert.equal(labelled(many.slice(0, 10), 1).size, 10);
});

test("camera: zoom keeps the point under the pointer, centre and fit", () => {
  const cam = { k: 1, x: 10, y: 20 };
  const [wx, wy] = toWorld(cam, 200, 100);
  const z = zoomAt(cam, 2, 200, 100);
  assert.equal(z.k, 2);
  assert.deepEqual(toScreen(z, wx, wy), [200, 100]);
  assert.equal(zoomAt(cam, 1e9, 0, 0).k, 8); // bounded
  const c = centreOn(cam, 5, 7, 400, 300, 2);
  assert.deepEqual(toScreen(c, 5, 7), [200, 150]);
  const f = fit([{ x: -100, y: 0 }, { x: 100, y: 50 }], 400, 300, 0);
  const [x0] = toScreen(f, -100, 0);
  const [x1] = toScreen(f, 100, 50);
  assert.equal(x0, 0);
  assert.equal(x1, 400);
});
