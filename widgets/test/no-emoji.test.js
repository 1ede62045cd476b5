// Views use no emoji as icons: without an emoji font (many Linux desktops, headless
// Chromium) they are drawn as empty boxes. Pictographs outside the Basic Multilingual
// Plane, the emoji presentation selector and the sparkles sign are refused in every
// front-end source file; plain symbols (×, ✓, ⚠, ▾) that text fonts carry are fine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
const EMOJI = /[\u{1F000}-\u{1FFFF}\u{FE0F}\u{2728}]/u;

/** @param {string} dir @returns {string[]} */
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.(js|css)$/.test(name) ? [p] : [];
  });
}

test("no emoji in the views' sources", () => {
  const found = [];
  for (const f of files(SRC)) {
    readFileSync(f, "utf8").split("\n").forEach((line, i) => {
      const m = line.match(EMOJI);
      if (m) found.push(`${f.slice(SRC.length + 1)}:${i + 1}: ${m[0]}`);
    });
  }
  assert.deepEqual(found, []);
  assert.ok(EMOJI.test("👁") && EMOJI.test("✨") && !EMOJI.test("× ✓ ⚠ ▾"));
});
