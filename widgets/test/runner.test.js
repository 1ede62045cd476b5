// The runner view's rules (src/views/runner/logic.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  mappedFields, isCompatible, runnableMetrics, missingRequired, shownMetrics, progressPercent, runPhase, runTotals,
} from "../src/views/runner/logic.js";

const METRICS = [
  { key: "exact", name: "Exact match", required_fields: ["actual_output", "expected_output"], tags: ["string"], description: "same text" },
  { key: "len", name: "Length", required_fields: ["actual_output"], description: "characters" },
  { key: "faith", name: "Faithfulness", required_fields: ["actual_output", "retrieved_content"], needs_llm: true, description: "grounded" },
];

test("dataset_id counts as mapped once a dataset is chosen", () => {
  assert.deepEqual([...mappedFields({ query: "q", actual_output: "", expected_output: "e" }, "ds")].sort(), ["dataset_id", "expected_output", "query"]);
  assert.deepEqual([...mappedFields({ query: "q" }, null)], ["query"]);
});

test("a metric runs when its required fields are mapped; the selection keeps its order", () => {
  const mapped = mappedFields({ query: "q", actual_output: "a" }, "ds");
  assert.equal(isCompatible(METRICS[1], mapped), true);
  assert.equal(isCompatible(METRICS[0], mapped), false);
  assert.deepEqual(runnableMetrics(new Set(["len", "exact", "gone"]), METRICS, mapped).map((m) => m.key), ["len"]);
  assert.deepEqual(missingRequired({ query: "q", actual_output: "" }), ["actual_output"]);
});

test("the catalogue filters by compatibility and searches key, name, tags and description", () => {
  const mapped = mappedFields({ actual_output: "a", expected_output: "e" }, "ds");
  assert.deepEqual(shownMetrics(METRICS, { filter: "compatible", search: "" }, mapped).map((m) => m.key), ["exact", "len"]);
  assert.deepEqual(shownMetrics(METRICS, { filter: "all", search: " GROUNDED " }, mapped).map((m) => m.key), ["faith"]);
  assert.deepEqual(shownMetrics(METRICS, { filter: "all", search: "string" }, mapped).map((m) => m.key), ["exact"]);
});

test("progress: percent done, and the phase shown", () => {
  assert.equal(progressPercent({ state: "running", total: 8, done: 3 }), 38);
  assert.equal(progressPercent({ state: "succeeded", total: 0, done: 0 }), 100);
  assert.equal(progressPercent({ state: "queued" }), 0);
  assert.equal(runPhase({ state: "queued" }), 0);
  assert.equal(runPhase({ state: "running", stage: "preparing" }), 0);
  assert.equal(runPhase({ state: "running", stage: "scoring" }), 2);
  assert.equal(runPhase({ state: "cancelled" }), 3);
});

test("run totals are weighted by each metric's count", () => {
  assert.deepEqual(runTotals([{ count: 3, mean: 1, pass_rate: 1 }, { count: 1, mean: 0, pass_rate: 0 }]), { n: 4, avg: 0.75, pass: 0.75 });
  assert.deepEqual(runTotals([]), { n: 0, avg: null, pass: null });
});

import { agentSettings, emptyAgent } from "../src/views/runner/logic.js";

test("an agent stands in for actual_output and latency", () => {
  const m = mappedFields({ query: "q" }, "ds", true);
  assert.ok(m.has("actual_output") && m.has("latency"));
  assert.deepEqual(missingRequired({ query: "q" }, true), []);
  assert.deepEqual(missingRequired({ query: "q" }, false), ["actual_output"]);
});

test("the agent form becomes the settings a run is sent, or names what is wrong", () => {
  assert.equal(agentSettings(emptyAgent()), null);
  const api = { ...emptyAgent(), mode: "api", url: " http://localhost:9/chat ", answer_path: "choices.0.message.content",
    headers_env: "Authorization: Bearer ${AXIS_AGENT_TOKEN}\n\nX-Key:AXIS_AGENT_KEY" };
  assert.deepEqual(agentSettings(api), {
    mode: "api", url: "http://localhost:9/chat", body: { query: "{{query}}" }, answer_path: "choices.0.message.content",
    headers_env: { Authorization: "Bearer ${AXIS_AGENT_TOKEN}", "X-Key": "AXIS_AGENT_KEY" }, timeout: 30 });
  assert.match(agentSettings({ ...api, url: "localhost" }).error, /http/);
  assert.match(agentSettings({ ...api, body: "{query: {{query}}}" }).error, /JSON/);
  assert.match(agentSettings({ ...api, headers_env: "no colon" }).error, /Header: VARIABLE/);
  assert.match(agentSettings({ ...api, timeout: "-2" }).error, /Timeout/);
  assert.deepEqual(agentSettings({ ...emptyAgent(), mode: "prompt", provider: "openai" }), {
    mode: "prompt", system_prompt: "You are a helpful assistant.", prompt_template: "{{query}}", timeout: 30, provider: "openai" });
});

test("the phases include the agent", () => {
  assert.equal(runPhase({ state: "running", stage: "agent" }), 1);
  assert.equal(runPhase({ state: "running", stage: "scoring" }), 2);
  assert.equal(runPhase({ state: "succeeded" }), 3);
});

test("Start is off, with the reason, while the run would be refused", async () => {
  const { startBlocked, missingParams, metricParams } = await import("../src/views/runner/logic.js");
  const judge = { key: "binary_judge", name: "Custom Binary Judge", needs_llm: true,
    params: [{ name: "instruction", label: "Judge instruction", required: true }] };
  const heur = { key: "exact_match", name: "Exact Match", needs_llm: false };
  const mapping = { query: "q", actual_output: "a" };
  const base = { active: false, busy: false, mapping, llmConfigured: true, values: {} };
  assert.equal(startBlocked({ ...base, chosen: [] }), "select at least one metric");
  assert.equal(startBlocked({ ...base, chosen: [heur] }), null);
  assert.match(String(startBlocked({ ...base, chosen: [heur], mapping: { query: "q", actual_output: "" } })), /actual_output/);
  assert.match(String(startBlocked({ ...base, chosen: [judge], llmConfigured: false })), /ANTHROPIC_API_KEY/);
  assert.equal(startBlocked({ ...base, chosen: [judge, heur] }), "Custom Binary Judge needs its judge instruction");
  assert.deepEqual(missingParams([judge], { binary_judge: { instruction: "  " } }), ["binary_judge.instruction"]);
  const values = { binary_judge: { instruction: " cite a source " } };
  assert.equal(startBlocked({ ...base, chosen: [judge], values }), null);
  assert.deepEqual(metricParams([judge, heur], values), { binary_judge: { instruction: "cite a source" } });
  assert.equal(startBlocked({ ...base, chosen: [heur], active: true }), "a run is in progress");
  // an agent fills actual_output; the warning names the chosen judge's key
  assert.equal(startBlocked({ ...base, chosen: [heur], mapping: { query: "q", actual_output: "" }, agent: true }), null);
  assert.match(String(startBlocked({ ...base, chosen: [judge], llmConfigured: false, llmKey: "OPENAI_API_KEY", values })), /OPENAI_API_KEY/);
});
