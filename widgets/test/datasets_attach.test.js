// Pure helpers of the data manager's attach form (src/views/datasets/attach.js).
import test from "node:test";
import assert from "node:assert/strict";
import { attachBody, fieldOf, parseMapping } from "../src/views/datasets/attach.js";

test("parseMapping reads JSON objects and column=canonical pairs", () => {
  assert.deepEqual(parseMapping(""), { mapping: {} });
  assert.deepEqual(parseMapping('{"score": "metric_score"}'), { mapping: { score: "metric_score" } });
  assert.deepEqual(parseMapping("score=metric_score, model = evaluation_name\nts: timestamp"),
    { mapping: { score: "metric_score", model: "evaluation_name", ts: "timestamp" } });
  assert.match(/** @type {any} */ (parseMapping("{not json")).error, /^mapping/);
  assert.match(/** @type {any} */ (parseMapping('{"a": 1}')).error, /^mapping/);
  assert.match(/** @type {any} */ (parseMapping("score")).error, /^mapping: "score"/);
});

test("attachBody trims and leaves out empty optional fields", () => {
  assert.deepEqual(attachBody({ name: " ev ", backend: " postgresql://u@h/db ", table: "t", kind: "evals", mapping: {}, password_env: " " }),
    { name: "ev", backend: "postgresql://u@h/db", table: "t", kind: "evals" });
  assert.deepEqual(attachBody({ name: "ev", backend: "src", table: "t", mapping: { a: "b" }, password_env: "PG_PASSWORD" }),
    { name: "ev", backend: "src", table: "t", kind: "auto", mapping: { a: "b" }, password_env: "PG_PASSWORD" });
});

test("fieldOf finds the parameter an error names first", () => {
  assert.equal(fieldOf("backend contains a password: remove it from the URL and pass password_env"), "backend");
  assert.equal(fieldOf("table is required: the engine's table to attach"), "table");
  assert.equal(fieldOf("password_env names JUPYTER_TOKEN, one of the server's own secrets"), "password_env");
  assert.equal(fieldOf("mapping must be a JSON object"), "mapping");
  assert.equal(fieldOf("postgres table raw_x: the engine could not count the dataset"), "table");
  assert.equal(fieldOf("internal error (logged on the server, id 1a2b)"), null);
  assert.equal(fieldOf("the attached engine did not answer within the read time limit; is the backend up?"), null);  // named too late
});
