// The database view's import wizard: what an import or its preview sends
// (src/views/database/wizard.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { importParams, stateClass, SKIP, ROW_LIMITS } from "../src/views/database/wizard.js";

const base = () => ({
  handle: "h1", table: { name: "runs", schema_name: "s" }, schema: { columns: [{ name: "id" }, { name: "model" }, { name: "score" }] },
  mapping: /** @type {Record<string, string>} */ ({}), filters: /** @type {any[]} */ ([]), limit: 1000, name: "runs", kind: "auto",
});

test("an import sends the table, row limit, name and kind; nothing else when nothing is set", () => {
  assert.deepEqual(importParams(base()), { handle: "h1", table: "runs", schema: "s", filters: [], limit: 1000, kind: "auto", name: "runs" });
  assert.deepEqual(ROW_LIMITS, [100, 500, 1000, 5000, 10000]);
});

test("mapping renames columns, skipped columns are left out, empty filters are dropped", () => {
  const st = base();
  st.mapping = { id: "dataset_id", model: SKIP, score: "metric_score" };
  st.filters = [{ column: "model", values: ["m1", "m2"] }, { column: "id", values: [] }];
  st.limit = 500;
  const p = importParams(st);
  assert.deepEqual(p.columns, ["id", "score"]);
  assert.deepEqual(p.mapping, { id: "dataset_id", score: "metric_score" });
  assert.deepEqual(p.filters, [{ column: "model", values: ["m1", "m2"] }]);
  assert.equal(p.limit, 500);
  const pv = importParams(st, { preview: true });
  assert.equal(pv.limit, 10);
  assert.equal(pv.mapping, undefined);
  assert.deepEqual(pv.columns, ["id", "score"]);
});

test("skipping every column is refused before anything is sent", () => {
  const st = base();
  st.mapping = { id: SKIP, model: SKIP, score: SKIP };
  assert.throws(() => importParams(st), /keep at least one/);
});

test("sync states have their colours", () => {
  assert.equal(stateClass("ready"), "axis-chip-ok");
  assert.equal(stateClass("syncing"), "axis-chip-warning");
  assert.equal(stateClass("error"), "axis-chip-error");
  assert.equal(stateClass("not_synced"), "");
  assert.equal(stateClass(null), "");
});
