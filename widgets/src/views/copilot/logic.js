// The copilot's stream, as pure functions (unit-tested in test/copilot.test.js).
//
// A question is a job; the view polls its events ({seq, event, data}) and folds them into
// a state: thoughts by id (a thought may come again, completed, with the same id), the
// text streaming in, and at the end the answer (or the error).

/** What each thought type is called and drawn with (the reference's copilot panel). */
export const THOUGHT_KINDS = {
  reasoning: { label: "Thinking", icon: "?" },
  tool_use: { label: "Using tool", icon: "⚙" },
  observation: { label: "Observing", icon: "◉" },
  planning: { label: "Planning", icon: "☰" },
  reflection: { label: "Reflecting", icon: "◇" },
  decision: { label: "Deciding", icon: "⇄" },
  error: { label: "Error", icon: "⚠" },
  success: { label: "Complete", icon: "✓" },
};

export const FINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * @typedef {{id: string, type: string, content: string, tool?: string | null, skill?: string | null,
 *   metadata?: Record<string, any>, timestamp?: string, color?: string, seconds?: number}} Thought
 * @typedef {{thoughts: Thought[], draft: string, last: number, state: string,
 *   answer: any, error: string | null}} Stream
 */

/** @returns {Stream} */
export function newStream() {
  return { thoughts: [], draft: "", last: 0, state: "queued", answer: null, error: null };
}

/**
 * The stream after `events` (those at or below `stream.last` are skipped: a poll may
 * overlap the previous one). Returns a new object; `stream` is not changed.
 * @param {Stream} stream
 * @param {{seq: number, event: string, data: any}[]} events
 * @returns {Stream}
 */
export function applyEvents(stream, events) {
  const next = { ...stream, thoughts: stream.thoughts.slice() };
  for (const ev of events || []) {
    if (ev.seq <= next.last) continue;
    next.last = ev.seq;
    if (ev.event === "thought") {
      const i = next.thoughts.findIndex((t) => t.id === ev.data.id);
      if (i >= 0) next.thoughts[i] = { ...next.thoughts[i], ...ev.data };
      else next.thoughts.push(ev.data);
      if (ev.data.type === "reasoning" && ev.data.content) next.draft = "";
    } else if (ev.event === "text") {
      const i = next.thoughts.findIndex((t) => t.id === ev.data.id);
      if (i >= 0) next.thoughts[i] = { ...next.thoughts[i], content: (next.thoughts[i].content || "") + ev.data.delta };
      next.draft += ev.data.delta;
    } else if (ev.event === "result") {
      next.answer = ev.data;
    } else if (ev.event === "error") {
      next.error = ev.data?.message || "the question failed";
    } else if (ev.event === "progress" && ev.data?.state) {
      next.state = ev.data.state;
    } else if (ev.event === "done") {
      next.state = ev.data?.state || next.state;
    }
  }
  return next;
}

/**
 * hh:mm:ss of an ISO time (local time), "" when it is not one. Pure.
 * @param {string | undefined} iso
 */
export function clockOf(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return "";
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * One line describing a recorded query: its SQL's first line, or analytic(dataset, params).
 * @param {any} q a QueryRecord as JSON
 */
export function queryLabel(q) {
  if (q.kind === "sql") return "SQL";
  const params = Object.entries(q.params || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
  return `${q.analytic}(${params}) on ${q.dataset}`;
}

/**
 * The header of the thought panel: "Thinking… · Using tool" while a question runs, else
 * "n thoughts".
 * @param {Stream} stream
 * @param {boolean} busy
 */
export function panelTitle(stream, busy) {
  const n = stream.thoughts.length;
  if (busy) {
    const last = stream.thoughts[n - 1];
    const kind = last ? (THOUGHT_KINDS[/** @type {keyof typeof THOUGHT_KINDS} */ (last.type)]?.label || last.type) : "Starting";
    return `Thinking… · ${kind}`;
  }
  return `${n} thought${n === 1 ? "" : "s"}`;
}
