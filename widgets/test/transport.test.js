// How views call their actions (src/lib/transport.js): page config, auth headers, action
// URLs, HTTP failures, and the kernel protocol through an anywidget-like model.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  parsePageConfig, cookieValue, authHeaders, samePath, actionUrl, httpFailure, isErrorBody,
  createTransport, CallError,
} from "../src/lib/transport.js";

test("the page config gets a trailing slash and an empty token by default", () => {
  assert.deepEqual(parsePageConfig('{"baseUrl": "/user/x", "token": "t"}'), { baseUrl: "/user/x/", token: "t" });
  assert.deepEqual(parsePageConfig("{}"), { baseUrl: "/", token: "" });
  assert.equal(parsePageConfig("not json"), null);
});

test("cookies, token and XSRF headers", () => {
  assert.equal(cookieValue("a=1; _xsrf=2%7C3; b=4", "_xsrf"), "2|3");
  assert.equal(cookieValue("x_xsrf=9", "_xsrf"), null);
  assert.equal(cookieValue("", "_xsrf"), null);
  assert.deepEqual(authHeaders({ baseUrl: "/", token: "tok" }, true, "_xsrf=abc"),
    { Authorization: "token tok", "X-XSRFToken": "abc", "Content-Type": "application/json" });
  assert.deepEqual(authHeaders(null, false, ""), {});
});

test("base paths compare decoded and with a trailing slash", () => {
  assert.equal(samePath("/a%40b/", "/a@b"), true);
  assert.equal(samePath("", "/"), true);
  assert.equal(samePath("/user/x/", "/user/y/"), false);
  assert.equal(samePath("/%E0%A4%A/", "/%E0%A4%A/"), true); // undecodable: compared as is
});

test("action URLs encode the dataset, view and action", () => {
  assert.equal(actionUrl("/a%40b/", "my data/1", "scorecard", "payload"),
    "/a%40b/axis/api/datasets/my%20data%2F1/views/scorecard/payload");
  assert.equal(actionUrl("/", "", "runner", "status"), "/axis/api/views/runner/status");
  assert.equal(actionUrl("/", null, "database", "tables"), "/axis/api/views/database/tables");
});

test("HTTP failures: the server's message; the kernel is tried only for missing routes", () => {
  assert.deepEqual(httpFailure(400, { error: "threshold must be a number" }), { message: "threshold must be a number", fallback: false });
  assert.deepEqual(httpFailure(404, { error: "no dataset named x" }), { message: "no dataset named x", fallback: false });
  assert.deepEqual(httpFailure(404, null), { message: "HTTP 404", fallback: true });
  assert.deepEqual(httpFailure(403, { message: "Forbidden" }), { message: "Forbidden", fallback: true });
  assert.deepEqual(httpFailure(500, { reason: "boom" }), { message: "boom", fallback: false });
  assert.equal(isErrorBody({ error: "x", ms: 1 }), true);
  assert.equal(isErrorBody({ error: "x", rows: [], total: 0 }), false);
  assert.equal(isErrorBody(null), false);
});

/** An anywidget-like model whose kernel side is `answer(msg)`. */
function kernelModel(answer, traits = {}) {
  const listeners = new Map();
  const sent = [];
  return {
    sent,
    get: (k) => ({ view: "scorecard", dataset: "ev", transport: "kernel", server_base: "", ...traits })[k],
    set() {},
    save_changes() {},
    on: (ev, cb) => listeners.set(ev, cb),
    off: (ev) => listeners.delete(ev),
    send(content) {
      sent.push(content);
      const reply = answer(content);
      if (reply) queueMicrotask(() => listeners.get("msg:custom")?.(reply));
    },
    listening: () => listeners.has("msg:custom"),
  };
}

test("outside a Jupyter page calls go through the kernel and resolve with the result", async () => {
  const model = kernelModel((m) => ({ kind: "axis-reply", id: m.id, result: { echo: m.params } }));
  const t = createTransport(model);
  assert.equal(await t.decide(), "kernel");
  assert.deepEqual(await t.call("payload", { threshold: 0.6 }), { echo: { threshold: 0.6 } });
  assert.equal(model.sent[0].kind, "axis-call");
  assert.equal(model.sent[0].action, "payload");
  assert.equal(t.stats.calls, 1);
  assert.equal(t.stats.last.via, "kernel");
  assert.equal(t.stats.last.action, "payload");
  assert.ok(t.stats.last.bytes > 0);
  t.dispose();
  assert.equal(model.listening(), false);
});

test("a kernel error rejects with its message; replies to other calls are ignored", async () => {
  const model = kernelModel((m) => [
    { kind: "axis-reply", id: "someone-else", result: 1 },
    { kind: "axis-reply", id: m.id, error: "threshold must be a number, got 'x'." },
  ][1]);
  const t = createTransport(model);
  await assert.rejects(t.call("payload", { threshold: "x" }), (err) => err instanceof CallError && err.message === "threshold must be a number, got 'x'.");
  t.dispose();
});

test("a kernel that does not answer times out with the action's name", async () => {
  const t = createTransport(kernelModel(() => null), { timeoutMs: 20 });
  await assert.rejects(t.call("cases"), /did not answer cases within 0.02s/);
  t.dispose();
});
