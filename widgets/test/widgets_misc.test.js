// Pure helpers of sparklines, signals, the runner and the monitor's alerts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { linePoints } from "../src/lib/spark.js";
import { orderSignalGroups, signalItems, verdictTint, signalValueText } from "../src/lib/signals.js";
import { sortArrow, nextSort } from "../src/lib/table.js";
import { alertFigures, fmtFigure, categoryTrendSpec } from "../src/views/monitor/tabs.js";

test("line sparklines scale the series into the box and skip missing values", () => {
  assert.equal(linePoints([1], 90, 22), null);
  assert.equal(linePoints([null, 1, undefined], 90, 22), null);
  assert.equal(linePoints([0, 1], 12, 10), "1.0,8.0 11.0,2.0");
  assert.equal(linePoints([5, 5, 5], 12, 10), "1.0,8.0 6.0,8.0 11.0,8.0"); // a flat line at the bottom
});

test("signal groups: overall, then statements by number, then the rest", () => {
  assert.deepEqual(orderSignalGroups(["zeta", "statement_10", "overall", "statement_2", "alpha"]),
    ["overall", "statement_2", "statement_10", "alpha", "zeta"]);
  assert.deepEqual(signalItems({ verdict: "yes", score: 1 }), [{ name: "verdict", value: "yes" }, { name: "score", value: 1 }]);
  assert.deepEqual(signalItems([{ name: "a", value: 1 }]), [{ name: "a", value: 1 }]);
  assert.deepEqual(signalItems({ name: "a", value: 1 }), [{ name: "a", value: 1 }]);
  assert.equal(verdictTint([{ name: "verdict", value: "YES" }]), "pass");
  assert.equal(verdictTint([{ name: "verdict", value: false }]), "fail");
  assert.equal(verdictTint([{ name: "verdict", value: "maybe" }]), "");
  assert.equal(verdictTint([{ name: "other", value: "yes" }]), "");
  assert.equal(signalValueText(true), "Yes");
  assert.equal(signalValueText({ a: 1 }), '{"a":1}');
  assert.equal(signalValueText(undefined), "—");
  assert.equal(signalValueText(0.5), "0.5");
});

test("sortable columns: the same column flips, another starts in its own direction", () => {
  assert.deepEqual(nextSort({ key: "score", dir: -1 }, "score", -1), { key: "score", dir: 1 });
  assert.deepEqual(nextSort({ key: "score", dir: -1 }, "name", 1), { key: "name", dir: 1 });
  assert.equal(sortArrow({ key: "name", dir: 1 }, "name"), " ▲");
  assert.equal(sortArrow({ key: "name", dir: -1 }, "name"), " ▼");
  assert.equal(sortArrow({ key: "name", dir: -1 }, "score"), "");
});

test("an alert shows the figures its detector compared", () => {
  const a = { detector: "z_score", value: 0.4, statistic: -3.2, limit: 3, reference: null };
  assert.deepEqual(alertFigures(a), [["Current", 0.4], ["Z", -3.2], ["±threshold", 3]]);
  assert.deepEqual(alertFigures({ ...a, detector: "threshold_min" }).map(([l]) => l), ["Current", "Target", "Gap"]);
  assert.deepEqual(alertFigures({ ...a, detector: "moving_average" }).map(([l]) => l), ["Current", "MA", "Deviation"]);
  assert.deepEqual(alertFigures({ ...a, detector: "change" }).map(([l]) => l), ["Current", "Previous", "Change"]);
  assert.equal(fmtFigure(null), "—");
  assert.equal(fmtFigure(0.12345), "0.123");
  assert.equal(fmtFigure(-1234.5), "-1,235");
});

test("the category trend stacks shares as percentages, counts as numbers", () => {
  const share = categoryTrendSpec([{ bucket: "2024-01-01", category: "a", count: 1, share: 1 }], "share");
  assert.equal(share.encoding.y.field, "share");
  assert.deepEqual(share.encoding.y.axis, { format: "%" });
  assert.equal(share.datasets.t.length, 1);
  assert.deepEqual(categoryTrendSpec([], "count").encoding.y.axis, {});
});
