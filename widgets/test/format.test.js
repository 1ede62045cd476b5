// How numbers and texts are written in every view (src/lib/format.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  scoreBand, scoreColor, COLORS, fmtScore, fmtPct, fmtInt, fmtSigned, fmtPctSigned, fmtP, fmtTime,
  fmtLatency, fmtUnit, asText, isEmpty, deltaClass, trendClass, pathNote,
} from "../src/lib/format.js";

test("score bands: good from 0.7, warn from 0.5, bad below, none when missing", () => {
  assert.equal(scoreBand(0.7), "good");
  assert.equal(scoreBand(0.6999), "warn");
  assert.equal(scoreBand(0.5), "warn");
  assert.equal(scoreBand(0.4999), "bad");
  assert.equal(scoreBand(0), "bad");
  for (const v of [null, undefined, NaN]) assert.equal(scoreBand(v), "none");
  assert.equal(scoreColor(0.9), COLORS.good);
  assert.equal(scoreColor(null), COLORS.none);
});

test("missing values are a dash everywhere", () => {
  for (const fmt of [fmtScore, fmtPct, fmtInt, fmtSigned, fmtPctSigned, fmtP, fmtTime, fmtLatency]) {
    assert.equal(fmt(null), "—", fmt.name);
    assert.equal(fmt(undefined), "—", fmt.name);
  }
  assert.equal(fmtUnit(null, "percent"), "—");
});

test("scores, shares and counts", () => {
  assert.equal(fmtScore(0.12345), "0.123");
  assert.equal(fmtScore(0.5, 2), "0.50");
  assert.equal(fmtScore(0), "0.000");
  assert.equal(fmtPct(0.1234), "12.3%");
  assert.equal(fmtPct(1, 0), "100%");
  assert.equal(fmtInt(1234567), "1,234,567");
  assert.equal(fmtInt(0), "0");
});

test("signed differences and p-values", () => {
  assert.equal(fmtSigned(0.12), "+0.120");
  assert.equal(fmtSigned(-0.05), "-0.050");
  assert.equal(fmtSigned(0), "0.000");
  assert.equal(fmtPctSigned(0.123), "+12.3%");
  assert.equal(fmtPctSigned(-0.5), "-50.0%");
  assert.equal(fmtP(0.04321), "0.0432");
  assert.equal(fmtP(0.00012), "1.20e-4");
});

test("times, latencies and KPI units", () => {
  assert.equal(fmtTime("2024-05-01T12:34:56.789+00:00"), "2024-05-01 12:34:56");
  assert.equal(fmtTime(""), "—");
  assert.equal(fmtLatency(1234.6), "1,235");
  assert.equal(fmtLatency(950, "ms"), "950 ms");
  assert.equal(fmtLatency(1.254, "s"), "1.25 s");
  assert.equal(fmtLatency(31.6, "s"), "32 s");
  assert.equal(fmtUnit(12.5, "percent"), "12.5%"); // already a percentage
  assert.equal(fmtUnit(-0.05, "percent"), "-5.0%");
  assert.equal(fmtUnit(0.25, "percent"), "25.0%");
  assert.equal(fmtUnit(12.4, "seconds"), "12 s");
  assert.equal(fmtUnit(1234.4, "count"), "1,234");
  assert.equal(fmtUnit(0.456, "score"), "0.46");
});

test("texts, empty values and classes", () => {
  assert.equal(asText("hi"), "hi");
  assert.equal(asText({ a: 1 }), '{\n  "a": 1\n}');
  assert.equal(asText(null), "");
  for (const v of [null, undefined, "", [], {}]) assert.equal(isEmpty(v), true, JSON.stringify(v));
  for (const v of [0, "x", [0], { a: 1 }, false]) assert.equal(isEmpty(v), false, JSON.stringify(v));
  assert.equal(deltaClass(0.1), "axis-up");
  assert.equal(deltaClass(-0.1), "axis-down");
  assert.equal(deltaClass(0), "");
  assert.equal(deltaClass(null), "");
  assert.equal(trendClass("up"), "axis-up");
  assert.equal(trendClass("up", "lower_better"), "axis-down");
  assert.equal(trendClass("down", "lower_better"), "axis-up");
  assert.equal(trendClass("flat"), "axis-flat");
});

test("a status line names the data that answered: summaries, partly, the raw rows", () => {
  assert.equal(pathNote("summary"), ", from summaries");
  assert.equal(pathNote("mixed"), ", partly from summaries");
  assert.equal(pathNote("raw"), ", from the raw rows");
  assert.equal(pathNote(undefined), "");
});
