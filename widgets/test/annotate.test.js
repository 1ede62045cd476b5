// The annotation view's pure rules (src/views/annotate/logic.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  UNDO_LIMIT, keyAction, labelText, modeOf, pageOffset, percentDone, pushUndo, scaleValues, toggleTag,
} from "../src/views/annotate/logic.js";

const binary = modeOf({});
const five = modeOf({ mode: "1-5" });

test("keys: A/R judge in binary mode, digits score in a scale mode", () => {
  assert.deepEqual(keyAction({ key: "a" }, binary, false), { action: "judge", value: 1 });
  assert.deepEqual(keyAction({ key: "R" }, binary, false), { action: "judge", value: 0 });
  assert.equal(keyAction({ key: "3" }, binary, false), null);
  assert.deepEqual(keyAction({ key: "3" }, five, false), { action: "score", value: 3 });
  assert.equal(keyAction({ key: "6" }, five, false), null);
  assert.equal(keyAction({ key: "a" }, five, false), null);
});

test("keys: navigation, undo, flag, critique; nothing while typing but Escape", () => {
  assert.equal(keyAction({ key: "ArrowLeft" }, binary, false)?.action, "prev");
  assert.equal(keyAction({ key: "ArrowRight" }, binary, false)?.action, "next");
  assert.equal(keyAction({ key: "Enter" }, binary, false)?.action, "next");
  assert.equal(keyAction({ key: "u" }, binary, false)?.action, "undo");
  assert.equal(keyAction({ key: "z", ctrlKey: true }, binary, false)?.action, "undo");
  assert.equal(keyAction({ key: "a", ctrlKey: true }, binary, false), null);
  assert.equal(keyAction({ key: "f" }, binary, false)?.action, "flag");
  assert.equal(keyAction({ key: "/" }, binary, false)?.action, "critique");
  assert.equal(keyAction({ key: "a" }, binary, true), null);
  assert.equal(keyAction({ key: "Escape" }, binary, true)?.action, "leave");
});

test("custom ranges: ordered, at most 21 buttons", () => {
  assert.deepEqual(scaleValues(modeOf({ mode: "custom", min: 3, max: 0 })), [0, 1, 2, 3]);
  assert.equal(scaleValues(modeOf({ mode: "custom", min: 0, max: 100 })).length, 21);
  assert.deepEqual(scaleValues(binary), []);
});

test("the undo stack keeps the last 20 changes", () => {
  let stack = /** @type {number[]} */ ([]);
  for (let i = 1; i <= 25; i++) stack = pushUndo(stack, i);
  assert.equal(stack.length, UNDO_LIMIT);
  assert.deepEqual([stack[0], stack.at(-1)], [6, 25]);
});

test("tags, progress, pages and label texts", () => {
  assert.deepEqual(toggleTag(["a"], " b "), ["a", "b"]);
  assert.deepEqual(toggleTag(["a", "b"], "a"), ["b"]);
  assert.deepEqual(toggleTag(["a"], "  "), ["a"]);
  assert.equal(percentDone(1, 3), 33);
  assert.equal(percentDone(0, 0), 0);
  assert.equal(pageOffset(250, 100), 200);
  assert.equal(labelText({ judgment: 1, score: null }), "accept");
  assert.equal(labelText({ judgment: null, score: 4 }), "score 4");
  assert.equal(labelText(null), "");
});
