// The annotation view's rules, with no DOM: which key does what, the score buttons of a
// mode, the undo stack, tag presets. Tested in test/annotate.test.js.

/** How many changes U can undo (the reference's Annotation Studio keeps 20). */
export const UNDO_LIMIT = 20;

/** Tag presets: the reference's quality, accuracy and safety sets. */
export const PRESETS = /** @type {Record<string, string[]>} */ ({
  quality: ["Excellent", "Good", "Needs work", "Verbose", "Incomplete", "Off-topic"],
  accuracy: ["Correct", "Partially correct", "Incorrect", "Hallucination", "Outdated"],
  safety: ["Safe", "Unsafe", "PII", "Biased", "Harmful"],
});

/** Tags shown green (the others red), as in the reference. */
export const POSITIVE = new Set(["Excellent", "Good", "Correct", "Safe", "Positive", "Cool"]);

/**
 * @typedef {{kind: "binary"} | {kind: "scale", min: number, max: number}} Mode
 */

/**
 * The mode from the view's params: "binary" (default), "1-5", or "custom" with min/max.
 * @param {{mode?: string, min?: number, max?: number}} [p]
 * @returns {Mode}
 */
export function modeOf(p = {}) {
  if (p.mode === "1-5" || p.mode === "scale") return { kind: "scale", min: 1, max: 5 };
  if (p.mode === "custom") {
    let min = Number.isFinite(Number(p.min)) ? Math.round(Number(p.min)) : 0;
    let max = Number.isFinite(Number(p.max)) ? Math.round(Number(p.max)) : 10;
    if (max < min) [min, max] = [max, min];
    if (max - min > 20) max = min + 20; // a button per value: keep the row usable
    return { kind: "scale", min, max };
  }
  return { kind: "binary" };
}

/**
 * The score buttons of a scale mode: [min..max].
 * @param {Mode} mode
 */
export function scaleValues(mode) {
  if (mode.kind !== "scale") return [];
  const out = [];
  for (let v = mode.min; v <= mode.max; v++) out.push(v);
  return out;
}

/**
 * What a key press does, or null. Keys are ignored while typing in an input (except Escape,
 * which leaves it) and with Alt; Ctrl/Cmd+Z is undo.
 * @param {{key: string, ctrlKey?: boolean, metaKey?: boolean, altKey?: boolean}} ev
 * @param {Mode} mode
 * @param {boolean} typing focus is in a text field
 * @returns {{action: string, value?: number} | null}
 */
export function keyAction(ev, mode, typing) {
  const key = ev.key;
  if (typing) return key === "Escape" ? { action: "leave" } : null;
  if (ev.altKey) return null;
  if ((ev.ctrlKey || ev.metaKey) && (key === "z" || key === "Z")) return { action: "undo" };
  if (ev.ctrlKey || ev.metaKey) return null;
  switch (key) {
    case "ArrowLeft": case "j": case "J": return { action: "prev" };
    case "ArrowRight": case "k": case "K": case "Enter": return { action: "next" };
    case "u": case "U": return { action: "undo" };
    case "f": case "F": return { action: "flag" };
    case "/": return { action: "critique" };
  }
  if (mode.kind === "binary") {
    if (key === "a" || key === "A") return { action: "judge", value: 1 };
    if (key === "r" || key === "R") return { action: "judge", value: 0 };
    return null;
  }
  if (/^[0-9]$/.test(key)) {
    const v = Number(key);
    if (v >= mode.min && v <= mode.max) return { action: "score", value: v };
  }
  return null;
}

/**
 * The undo stack after a change with `revision` (newest last, at most UNDO_LIMIT).
 * @template T
 * @param {T[]} stack
 * @param {T} entry
 */
export function pushUndo(stack, entry) {
  const out = [...stack, entry];
  return out.length > UNDO_LIMIT ? out.slice(out.length - UNDO_LIMIT) : out;
}

/**
 * Tags after toggling `tag` (added at the end, or removed).
 * @param {string[]} tags
 * @param {string} tag
 */
export function toggleTag(tags, tag) {
  const t = tag.trim();
  if (!t) return tags;
  return tags.includes(t) ? tags.filter((x) => x !== t) : [...tags, t];
}

/**
 * Completion as a whole percent (0 when there is nothing to label).
 * @param {number} labelled
 * @param {number} total
 */
export function percentDone(labelled, total) {
  return total > 0 ? Math.round((100 * labelled) / total) : 0;
}

/**
 * The offset of the sidebar page that holds `position` (pages of `size`).
 * @param {number} position
 * @param {number} size
 */
export function pageOffset(position, size) {
  return Math.max(0, Math.floor(position / size) * size);
}

/**
 * A label's short text: "accept", "reject", "score 4", or "" (none).
 * @param {{judgment?: number | null, score?: number | null} | null | undefined} label
 */
export function labelText(label) {
  if (!label) return "";
  const parts = [];
  if (label.judgment === 1) parts.push("accept");
  else if (label.judgment === 0) parts.push("reject");
  if (label.score !== null && label.score !== undefined) parts.push(`score ${label.score}`);
  return parts.join(", ");
}
