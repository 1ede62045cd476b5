import { test } from "node:test";
import assert from "node:assert/strict";
import { applyEvents, clockOf, newStream, panelTitle, queryLabel } from "../src/views/copilot/logic.js";

const EVENTS = [
  { seq: 1, event: "progress", data: { state: "running" } },
  { seq: 2, event: "thought", data: { id: "s1", type: "reasoning", content: "" } },
  { seq: 3, event: "text", data: { id: "s1", delta: "Let me " } },
  { seq: 4, event: "text", data: { id: "s1", delta: "look." } },
  { seq: 5, event: "thought", data: { id: "s1", type: "reasoning", content: "Let me look." } },
  { seq: 6, event: "thought", data: { id: "s2", type: "tool_use", tool: "run_sql", content: "Running SQL",
    metadata: { sql: "SELECT 1" } } },
  { seq: 7, event: "thought", data: { id: "s3", type: "observation", tool: "run_sql", content: "1 rows" } },
];

test("events fold into thoughts (updated by id), streamed text and the answer", () => {
  let s = applyEvents(newStream(), EVENTS.slice(0, 4));
  assert.equal(s.state, "running");
  assert.equal(s.draft, "Let me look.");
  assert.equal(s.thoughts[0].content, "Let me look.");
  s = applyEvents(s, EVENTS); // overlapping poll: seen events are skipped
  assert.deepEqual(s.thoughts.map((t) => t.id), ["s1", "s2", "s3"]);
  assert.equal(s.thoughts[0].content, "Let me look.");
  assert.equal(s.draft, "");
  s = applyEvents(s, [{ seq: 8, event: "text", data: { id: "s4", delta: "Answer" } },
    { seq: 9, event: "result", data: { text: "Answer" } },
    { seq: 10, event: "done", data: { state: "succeeded" } }]);
  assert.equal(s.answer.text, "Answer");
  assert.equal(s.state, "succeeded");
  assert.equal(s.last, 10);
});

test("errors, titles, clock and query labels", () => {
  const s = applyEvents(newStream(), [{ seq: 1, event: "error", data: { message: "no key" } }]);
  assert.equal(s.error, "no key");
  const t = applyEvents(newStream(), EVENTS);
  assert.equal(panelTitle(t, true), "Thinking… · Observing");
  assert.equal(panelTitle(t, false), "3 thoughts");
  assert.equal(clockOf("2026-01-02T03:04:05"), "03:04:05");
  assert.equal(clockOf("nonsense"), "");
  assert.equal(queryLabel({ kind: "sql", sql: "SELECT 1" }), "SQL");
  assert.equal(queryLabel({ kind: "analytic", analytic: "compare", dataset: "results",
    params: { baseline: "a" } }), 'compare(baseline="a") on results');
});

test("report start parameters from the configure form", async () => {
  const { startParams } = await import("../src/views/report/panel.js");
  const cfg = { kind: "grouped", mode: "high", threshold: "0.7", max_issues: 900, sample_pct: 5,
    include_nan: 1, fields: new Set(["query"]), metrics: new Set() };
  assert.deepEqual(startParams(cfg), { kind: "grouped", mode: "high", threshold: 0.7, max_issues: 500,
    sample_rate: 0.1, include_nan: true, fields: ["query"] });
  cfg.metrics.add("tone");
  assert.deepEqual(startParams(cfg).metrics, ["tone"]);
});
