// The compare view's test-case table: its requests, sorting, classic rows and summary
// (src/views/compare/cases-logic.js), the word diff of the full-text mode
// (src/lib/textdiff.js) and where a dialog opens (src/lib/overlay.js panelTop).
import { test } from "node:test";
import assert from "node:assert/strict";
import { caseParams, initialCases, nextCaseSort, classicRows, summaryText, referenceExperiment, DEFAULT_SORT }
  from "../src/views/compare/cases-logic.js";
import { wordDiff, tokens, changedShare, MAX_CELLS } from "../src/lib/textdiff.js";
import { panelTop } from "../src/lib/overlay.js";

test("the request names the filters, quick filter, sort and page; the CSV drops the paging", () => {
  const cs = initialCases({ quick: "variance", search: "refund", sort: { key: "std", dir: -1 }, page: 3, pageSize: 10,
    metrics: ["tone"], text: "full" });
  assert.deepEqual(caseParams(cs, { tier: "gold" }), {
    filters: { tier: "gold" }, quick: "variance", sort_by: "std", descending: true, search: "refund", metrics: ["tone"],
    page: 3, page_size: 10, full_text: true });
  const csv = caseParams(cs, {}, { paged: false });
  assert.equal(csv.page, undefined);
  assert.equal(csv.full_text, undefined);
  assert.equal(csv.quick, "variance");
  const plain = caseParams(initialCases(), {});
  assert.deepEqual(plain, { filters: {}, quick: "all", sort_by: "case_id", descending: false, page: 1, page_size: 20 });
});

test("a header click sorts numbers largest first, flips, then resets to the case id", () => {
  let s = nextCaseSort(DEFAULT_SORT, "std");
  assert.deepEqual(s, { key: "std", dir: -1 });
  s = nextCaseSort(s, "std");
  assert.deepEqual(s, { key: "std", dir: 1 });
  assert.deepEqual(nextCaseSort(s, "std"), DEFAULT_SORT);
  assert.deepEqual(nextCaseSort(DEFAULT_SORT, "case_id"), { key: "case_id", dir: -1 });
  assert.deepEqual(nextCaseSort({ key: "mean", dir: -1 }, "score:b"), { key: "score:b", dir: -1 });
});

test("classic rows: one per case and experiment that scored it, in the experiments' order", () => {
  const rows = [{ case_id: "a", cells: { y: { score: 1 }, x: { score: 0 } } }, { case_id: "b", cells: { y: { score: 0.5 } } }];
  const out = classicRows(rows, ["x", "y", "z"]);
  assert.deepEqual(out.map((r) => [r.row.case_id, r.exp, r.first]), [["a", "x", true], ["a", "y", false], ["b", "y", true]]);
});

test("the summary line counts cases, rows, experiments and metrics", () => {
  assert.equal(summaryText({ total: 1234, total_rows: 3000, experiments: ["a", "b", "c"], shown_metrics: ["m"], metrics: ["m", "n"] }),
    "Showing 1,234 test cases (3,000 rows) from 3 experiments · 1 of 2 metrics");
  assert.equal(summaryText({ total: 1, total_rows: 1, experiments: ["a"], shown_metrics: [], metrics: [] }),
    "Showing 1 test case (1 rows) from 1 experiment · 0 of 0 metrics");
});

test("the reference output is the first experiment's that has one", () => {
  const row = { cells: { a: { output: null }, b: { output: "x" }, c: { output: "y" } } };
  assert.equal(referenceExperiment(row, ["a", "b", "c"]), "b");
  assert.equal(referenceExperiment({ cells: {} }, ["a"]), null);
});

test("word diff: parts join back into both texts; changes are marked", () => {
  const a = "Answer from baseline: reset the password in settings.";
  const b = "Answer from candidate: reset your password in settings now.";
  const parts = wordDiff(a, b);
  const join = (/** @type {string[]} */ types) => parts.filter((p) => types.includes(p.type)).map((p) => p.text).join("");
  assert.equal(join(["same", "add"]), b);
  assert.equal(join(["same", "del"]), a);
  assert.deepEqual(parts.filter((p) => p.type === "add").map((p) => p.text.trim()), ["candidate:", "your", "settings now."]);
  assert.deepEqual(parts.filter((p) => p.type === "del").map((p) => p.text.trim()), ["baseline:", "the", "settings."]);
  assert.deepEqual(wordDiff("same text", "same text"), [{ type: "same", text: "same text" }]);
  assert.equal(changedShare(wordDiff("same text", "same text")), 0);
  assert.equal(changedShare(wordDiff("abc", "xyz")), 1);
  assert.deepEqual(wordDiff(null, "new"), [{ type: "add", text: "new" }]);
  assert.deepEqual(tokens("a  b\nc"), ["a", "  ", "b", "\n", "c"]);
});

test("word diff of very long texts keeps the common ends and replaces the middle", () => {
  const n = Math.ceil(Math.sqrt(MAX_CELLS)) + 10;
  const a = "start " + Array.from({ length: n }, (_, i) => `a${i}`).join(" ") + " end";
  const b = "start " + Array.from({ length: n }, (_, i) => `b${i}`).join(" ") + " end";
  const parts = wordDiff(a, b);
  assert.deepEqual(parts.map((p) => p.type), ["same", "del", "add", "same"]);
  assert.equal(parts[0].text, "start ");
  assert.equal(parts[3].text, " end");
});

test("a dialog opens level with the clicked row, inside the overlay", () => {
  assert.equal(panelTop(900, 100, 3000, 400), 788);       // beside the row, far down the widget
  assert.equal(panelTop(2900, 100, 3000, 400), 2588);     // moved up to end inside the overlay
  assert.equal(panelTop(50, 100, 3000, 400), 0);          // never above the top
  assert.equal(panelTop(500, 100, 300, 400), 0);          // taller than the overlay: from the top
});

test("the five-number bar places each number on the 0-1 axis (outside values at the ends)", async () => {
  const { fiveNumberLayout } = await import("../src/lib/metric-popup.js");
  const p = fiveNumberLayout({ min: 0, q25: 0.25, median: 0.5, q75: 0.75, max: 1 }, 212, 6);
  assert.deepEqual(p, { min: 6, q25: 56, median: 106, q75: 156, max: 206 });
  const q = fiveNumberLayout({ min: -0.5, q25: null, median: 0.5, q75: undefined, max: 1.4 }, 112, 6);
  assert.deepEqual(q, { min: 6, q25: null, median: 56, q75: null, max: 106 });
});
