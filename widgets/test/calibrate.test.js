// The calibration view's pure rules (src/views/calibrate/logic.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { alignmentCounts, appendPattern, filterRecords, interpretation, mark, pageOf } from "../src/views/calibrate/logic.js";

const records = [
  { record_id: "a", aligned: true }, { record_id: "b", aligned: false }, { record_id: "c", aligned: null },
];

test("filters and their counts (no verdict is neither aligned nor misaligned)", () => {
  assert.deepEqual(alignmentCounts(records), { all: 3, aligned: 1, misaligned: 1 });
  assert.deepEqual(filterRecords(records, "misaligned").map((r) => r.record_id), ["b"]);
  assert.equal(filterRecords(records, "all").length, 3);
});

test("the interpretation names the direction of the errors", () => {
  assert.match(interpretation({ n: 9, fp: 4, fn: 1, verdict: "too lenient", kappa: 0.1, kappa_band: "slight" }), /lenient.*tighten.*slight/);
  assert.match(interpretation({ n: 9, fp: 0, fn: 2, verdict: "too strict", kappa: 0.5, kappa_band: "moderate" }), /stricter.*relax/);
  assert.match(interpretation({ n: 2, fp: 0, fn: 0, verdict: "aligned", kappa: null }), /undefined agreement/);
  assert.match(interpretation({ n: 0 }), /No labelled/);
});

test("use a pattern as criteria: the next numbered line", () => {
  assert.equal(appendPattern("1. Accurate.\n2. Clear.", { category: "Too verbose", description: "cut it" }),
    "1. Accurate.\n2. Clear.\n3. Too verbose: cut it");
  assert.equal(appendPattern("", { category: "X" }), "1. X");
});

test("pages and marks", () => {
  const p = pageOf([1, 2, 3, 4, 5], 3, 2);
  assert.deepEqual([p.rows, p.page, p.pages], [[5], 3, 3]);
  assert.equal(pageOf([], 5, 10).page, 1);
  assert.deepEqual([mark(1), mark(0), mark(null)], ["✓", "✗", "–"]);
});
