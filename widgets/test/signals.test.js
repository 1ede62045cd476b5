// Pure helpers of the human-signals dashboard.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fmtDuration, fmtCompact, fmtKpi, sparkDirection, cycleSort, pageWindow, presetRange,
  activeFilterCount, toggleValue, signalText, isStructured, safeUrl } from "../src/views/signals/logic.js";

test("KPI values in their formats", () => {
  assert.equal(fmtDuration(19201), "5h 20m");
  assert.equal(fmtDuration(1921), "32m 1s");
  assert.equal(fmtDuration(45), "45s");
  assert.equal(fmtDuration(null), "—");
  assert.equal(fmtCompact(1162), "1.2K");
  assert.equal(fmtCompact(1500000), "1.5M");
  assert.equal(fmtCompact(42), "42");
  assert.equal(fmtKpi(0.4567, "percent"), "45.7%");
  assert.equal(fmtKpi(3600, "duration"), "1h 0m");
  assert.equal(fmtKpi(8.6667, "number"), "8.7");
  assert.equal(fmtKpi(1200, "number"), "1,200");
  assert.equal(fmtKpi(undefined, "percent"), "—");
});

test("sparkline direction compares the last value with the first", () => {
  assert.equal(sparkDirection([{ value: 0.2 }, { value: 0.3 }]), "up");
  assert.equal(sparkDirection([{ value: 0.3 }, { value: null }, { value: 0.2 }]), "down");
  assert.equal(sparkDirection([{ value: 0.3 }, { value: 0.301 }]), "flat");
  assert.equal(sparkDirection([{ value: 1 }]), "flat");
});

test("sorting cycles ascending, descending, none", () => {
  let s = { key: null, descending: false };
  s = cycleSort(s, "a");
  assert.deepEqual(s, { key: "a", descending: false });
  s = cycleSort(s, "a");
  assert.deepEqual(s, { key: "a", descending: true });
  assert.deepEqual(cycleSort(s, "a"), { key: null, descending: false });
  assert.deepEqual(cycleSort(s, "b"), { key: "b", descending: false });
});

test("the pager shows five pages around the current one", () => {
  assert.deepEqual(pageWindow(1, 10), [1, 2, 3, 4, 5]);
  assert.deepEqual(pageWindow(6, 10), [4, 5, 6, 7, 8]);
  assert.deepEqual(pageWindow(10, 10), [6, 7, 8, 9, 10]);
  assert.deepEqual(pageWindow(2, 3), [1, 2, 3]);
  assert.deepEqual(pageWindow(1, 0), [1]);
});

test("time presets end with the newest case", () => {
  assert.deepEqual(presetRange("7d", "2026-03-29T20:27:24"), ["2026-03-23", "2026-03-30"]);
  assert.equal(presetRange("all", "2026-03-29"), null);
  assert.equal(presetRange("30d", null), null);
});

test("filters: counting and multi-select toggles", () => {
  assert.equal(activeFilterCount({ a: "x", b: [], c: ["y"], time_range: ["2026-01-01", "2026-02-01"], d: "" }), 3);
  assert.deepEqual(toggleValue(["a"], "b", true), ["a", "b"]);
  assert.deepEqual(toggleValue(["a", "b"], "a", false), ["b"]);
  assert.deepEqual(toggleValue(undefined, "a", true), ["a"]);
});

test("signal values as text", () => {
  assert.equal(signalText(true), "Yes");
  assert.equal(signalText(["a", "b"]), "a, b");
  assert.equal(signalText([]), "—");
  assert.equal(signalText({ k: 1 }), '{"k":1}');
  assert.equal(signalText(""), "—");
  assert.equal(signalText(0), "0");
  assert.equal(isStructured(["a"]), true);
  assert.equal(isStructured("short"), false);
});

test("only http(s) links become links", () => {
  assert.equal(safeUrl("https://chat.example.com/t/1"), "https://chat.example.com/t/1");
  assert.equal(safeUrl("javascript:alert(1)"), null);
  assert.equal(safeUrl(" http://x "), "http://x");
  assert.equal(safeUrl(null), null);
});
