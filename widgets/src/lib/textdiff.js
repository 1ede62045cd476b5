// Word-level differences between two texts, for the "full text" mode of the compare view's
// test-case table (one experiment's output against the reference experiment's). Pure
// functions (unit tested in widgets/test/textdiff.test.js).

/** @typedef {{type: "same" | "add" | "del", text: string}} DiffPart */

/** Cells of the LCS table above which the middle is shown as one replaced block. */
export const MAX_CELLS = 2_000_000;

/**
 * Words and the whitespace after them, so joining the tokens gives the text back.
 * @param {string} text
 * @returns {string[]}
 */
export function tokens(text) {
  return String(text ?? "").match(/\s+|[^\s]+/g) || [];
}

/**
 * The parts of `b` against `a`: "same" text in both, "add" only in b, "del" only in a, in
 * reading order (deleted parts before the added parts that replace them). Whitespace
 * counts as a token, so the parts join back into either text.
 * @param {string | null | undefined} a the reference
 * @param {string | null | undefined} b the text shown
 * @returns {DiffPart[]}
 */
export function wordDiff(a, b) {
  const x = tokens(a ?? "");
  const y = tokens(b ?? "");
  // the common prefix and suffix need no table
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length, endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) { endX--; endY--; }
  /** @type {DiffPart[]} */
  const parts = [];
  const push = (/** @type {DiffPart["type"]} */ type, /** @type {string} */ text) => {
    if (!text) return;
    const last = parts[parts.length - 1];
    if (last && last.type === type) last.text += text;
    else parts.push({ type, text });
  };
  push("same", x.slice(0, start).join(""));
  const mx = x.slice(start, endX), my = y.slice(start, endY);
  if ((mx.length + 1) * (my.length + 1) > MAX_CELLS) {
    push("del", mx.join(""));
    push("add", my.join(""));
  } else {
    for (const p of lcsParts(mx, my)) push(p.type, p.text);
  }
  push("same", x.slice(endX).join(""));
  return parts;
}

/**
 * The diff of two token lists by their longest common subsequence.
 * @param {string[]} x @param {string[]} y
 * @returns {DiffPart[]}
 */
function lcsParts(x, y) {
  const n = x.length, m = y.length;
  // lengths of the LCS of x[i:] and y[j:], one row of m + 1 per i
  const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    }
  }
  /** @type {DiffPart[]} */
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ type: "same", text: x[i] }); i++; j++; }
    else if (L[i + 1][j] >= L[i][j + 1]) { out.push({ type: "del", text: x[i] }); i++; }
    else { out.push({ type: "add", text: y[j] }); j++; }
  }
  while (i < n) out.push({ type: "del", text: x[i++] });
  while (j < m) out.push({ type: "add", text: y[j++] });
  return out;
}

/**
 * How much of `b` differs from `a` (0 identical, 1 nothing shared), by characters of the
 * parts.
 * @param {DiffPart[]} parts
 */
export function changedShare(parts) {
  let changed = 0, all = 0;
  for (const p of parts) {
    if (!p.text.trim()) continue;
    all += p.text.length;
    if (p.type !== "same") changed += p.text.length;
  }
  return all ? changed / all : 0;
}
