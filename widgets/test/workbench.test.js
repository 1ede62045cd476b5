// Pure helpers of the filter bar, the theme and the data manager's upload.
import test from "node:test";
import assert from "node:assert/strict";
import { chipsOf, cleanFilters, toggleValue, valuesOf, windowChip } from "../src/lib/filterbar.js";
import { contrast, luminance, vegaConfig } from "../src/lib/theme.js";
import { agentOf, initials } from "../src/lib/agents.js";
import { fmtBytes, nameFromFile, shareOf } from "../src/views/datasets/upload.js";

test("toggleValue adds and removes one value, dropping empty keys", () => {
  let f = toggleValue({}, "evaluation_name", "a");
  assert.deepEqual(f, { evaluation_name: ["a"] });
  f = toggleValue(f, "evaluation_name", "b");
  assert.deepEqual(f, { evaluation_name: ["a", "b"] });
  f = toggleValue(f, "evaluation_name", "a");
  assert.deepEqual(f, { evaluation_name: ["b"] });
  assert.deepEqual(toggleValue(f, "evaluation_name", "b"), {});
  assert.deepEqual(toggleValue({ environment: "prod" }, "environment", "prod"), {});  // a single value counts as one
  assert.deepEqual(valuesOf({ x: 3 }, "x"), ["3"]);
});

test("chips name the field and the agent label; time ranges read as dates", () => {
  const fields = [{ key: "source_name", label: "Source", values: ["atlas"] }];
  const chips = chipsOf({ source_name: ["atlas"], time_range: ["2026-01-01T00:00", null] }, fields, (_k, v) => v.toUpperCase());
  assert.deepEqual(chips, [{ key: "source_name", value: "atlas", text: "Source: ATLAS" },
    { key: "time_range", value: "", text: "Time: 2026-01-01 – …" }]);
  assert.deepEqual(cleanFilters({ a: [], b: "", c: null, time_range: [null, null], d: ["x"] }), { d: ["x"] });
});

test("a time window away from its default is one chip, named by its preset or the view", () => {
  const presets = /** @type {Array<[string, string]>} */ ([["24h", "Last 24 h"], ["7d", "Last 7 days"], ["custom", "Custom"]]);
  let id = "24h";
  const w = { presets, initial: "24h", get: () => id, set: () => {},
    chip: (/** @type {string} */ x) => (x === "custom" ? "2026-01-01 – 2026-01-31" : null) };
  assert.equal(windowChip(w), null);  // the default: no chip
  id = "7d";
  assert.deepEqual(windowChip(w), { key: "time", value: "7d", text: "Time: Last 7 days" });
  id = "custom";
  assert.deepEqual(windowChip(w), { key: "time", value: "custom", text: "Time: 2026-01-01 – 2026-01-31" });
  id = "90d";  // a preset the list lacks reads as its id
  assert.equal(windowChip({ ...w, chip: undefined })?.text, "Time: 90d");
});

test("vega config follows the theme variables and puts the palette first", () => {
  const c = vegaConfig({ fg: "#eeeeee", muted: "#aaa", grid: "#333", domain: "#555", font: "Inter", accent: "#00f", palette: "#111111,#222222" });
  assert.equal(c.background, "transparent");
  assert.equal(c.axis.labelColor, "#eeeeee");
  assert.equal(c.title.color, "#eeeeee");
  assert.deepEqual(c.range.category.slice(0, 3), ["#111111", "#222222", "#4e79a7"]);
});

test("contrast ratios as WCAG computes them", () => {
  assert.equal(luminance("#000"), 0);
  assert.equal(Math.round(contrast("#ffffff", "rgb(0, 0, 0)") ?? 0), 21);
  assert.ok((contrast("#e0e0e0", "#111111") ?? 0) > 4.5);
  assert.equal(contrast("red", "#fff"), null);
});

test("agents: registry entries, else the source name; initials", () => {
  const b = { agents: [{ name: "atlas", label: "Atlas Support", role: "Billing" }] };
  assert.equal(agentOf(b, "atlas").label, "Atlas Support");
  assert.deepEqual(agentOf(b, "orion"), { name: "orion", label: "orion", role: "", avatar: null });
  assert.equal(initials("Atlas Support"), "AS");
  assert.equal(initials("orion"), "OR");
});

test("upload helpers", () => {
  assert.equal(fmtBytes(512), "512 B");
  assert.equal(fmtBytes(3.5 * 1024 * 1024), "3.5 MB");
  assert.equal(shareOf(50, 200), 0.25);
  assert.equal(shareOf(5, 0), 0);
  assert.equal(nameFromFile("My Results (v2).csv"), "my_results_v2");
  assert.equal(nameFromFile("2026.csv"), "d_2026");
});
