// The copilot view (anywidget front end): ask the data in plain words.
// Python side: axis_jupyter/payloads/copilot.py (actions setup, ask, events, cancel).
//
// A question starts a job (`ask`); the view polls `events` every ~250 ms and draws them as
// they come: the thoughts (reasoning, tool calls with their SQL, observations, errors) in a
// collapsible panel, the model's words streaming into a draft bubble, and at the end the
// answer as Markdown — rendered with text nodes only, never innerHTML (lib/markdown.js) —
// with the queries it ran. Follow-ups continue the conversation. Calls go through the
// shell's transport: HTTP to the Jupyter server that owns the store, else the kernel.
import "../lib/ui.css";
import "../lib/markdown.css";
import "./copilot.css";
import { h, clear } from "../lib/dom.js";
import { renderMarkdown } from "../lib/markdown.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { THOUGHT_KINDS, FINAL, applyEvents, clockOf, newStream, panelTitle, queryLabel } from "./copilot/logic.js";

const POLL_MS = 250;
const MAX_KEPT = 20; // messages kept in the saved notebook

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const shell = createShell(model, el, { cls: "axis-copilot", testid: "axis-copilot" });
  const { root, showError } = shell;
  const state = {
    /** @type {any} */ setup: null,
    /** @type {{role: string, text: string, time: string, answer?: any}[]} */ messages: [],
    conversation: /** @type {string | null} */ ((model.get("params") || {}).conversation || null),
    jobId: "",
    stream: newStream(),
    busy: false,
    open: true,
    disposed: false,
    /** @type {ReturnType<typeof setTimeout> | undefined} */ timer: undefined,
  };

  const model_ = h("span", { class: "axis-muted", "data-testid": "model" });
  const header = h("div", { class: "axis-header" },
    h("span", { class: "axis-title" }, "AI Copilot"), model_);
  const warn = h("div", { class: "axis-cp-warn", hidden: true, "data-testid": "no-key" });
  const empty = h("div", { class: "axis-cp-empty", "data-testid": "empty" });
  const thoughtsHead = h("button", { class: "axis-cp-thoughts-head", type: "button", "data-testid": "thoughts-toggle",
    onclick: () => { state.open = !state.open; drawThoughts(); } });
  const thoughtsList = h("div", { class: "axis-cp-thoughts-list", "data-testid": "thoughts" });
  const thoughts = h("div", { class: "axis-cp-thoughts", hidden: true }, thoughtsHead, thoughtsList);
  const messages = h("div", { class: "axis-cp-messages", "data-testid": "messages" });
  const input = /** @type {HTMLTextAreaElement} */ (h("textarea", {
    class: "axis-cp-input", rows: 2, placeholder: "Ask about your evaluation data…", "data-testid": "question",
    onkeydown: (/** @type {KeyboardEvent} */ e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        send();
      }
    },
  }));
  const sendBtn = h("button", { class: "axis-btn axis-cp-send", type: "button", "data-testid": "send",
    onclick: () => (state.busy ? cancel() : send()) }, "Send");
  const newBtn = h("button", { class: "axis-btn", type: "button", "data-testid": "new-conversation",
    title: "Start a new conversation", onclick: () => newConversation() }, "New");
  const bar = h("div", { class: "axis-cp-bar" }, input, h("div", { class: "axis-cp-buttons" }, sendBtn, newBtn));
  root.append(header, warn, shell.errorBox, empty, thoughts, messages, bar, shell.status);

  // ------------------------------------------------------------------ drawing
  function drawSetup() {
    const s = state.setup || {};
    model_.textContent = s.configured ? s.model || "" : "rule-based (no API key)";
    warn.hidden = !!s.configured;
    warn.textContent = s.note || "";
    clear(empty);
    empty.hidden = state.messages.length > 0 || state.busy;
    const ctx = s.context || {};
    empty.append(
      h("div", { class: "axis-cp-empty-title" }, "Ask questions about your evaluation data"),
      h("div", { class: "axis-cp-context", "data-testid": "context" },
        ctx.datasets ? `${ctx.datasets} datasets | ${(ctx.records || 0).toLocaleString()} records | ${ctx.metrics || 0} metrics`
          : "No data loaded"),
      h("div", { class: "axis-cp-suggestions" }, (s.suggestions || []).map((/** @type {string} */ q) =>
        h("button", { class: "axis-btn axis-cp-suggestion", type: "button", "data-testid": "suggestion",
          onclick: () => { input.value = q; input.focus(); } }, q))));
  }

  function drawThoughts() {
    const list = state.stream.thoughts;
    thoughts.hidden = list.length === 0 && !state.busy;
    thoughtsHead.textContent = `${state.open ? "▾" : "▸"} ${panelTitle(state.stream, state.busy)}`;
    thoughtsHead.classList.toggle("axis-cp-spinning", state.busy);
    thoughtsList.hidden = !state.open;
    clear(thoughtsList).append(...list.map((t, i) => thoughtItem(t, i === list.length - 1)));
    thoughtsList.scrollTop = thoughtsList.scrollHeight;
  }

  /** @param {import("./copilot/logic.js").Thought} t @param {boolean} latest */
  function thoughtItem(t, latest) {
    const kind = THOUGHT_KINDS[/** @type {keyof typeof THOUGHT_KINDS} */ (t.type)] || { label: t.type, icon: "•" };
    const sql = t.metadata && t.metadata.sql;
    return h("div", { class: `axis-cp-thought axis-cp-${t.type}${latest ? " latest" : ""}`, "data-testid": "thought",
      "data-type": t.type, "data-tool": t.tool || "" },
    h("span", { class: "axis-cp-icon", style: { background: t.color || "#6b7280" } }, kind.icon),
    h("div", { class: "axis-cp-thought-body" },
      h("div", { class: "axis-cp-thought-head" },
        h("span", { class: "axis-cp-label" }, kind.label),
        t.tool ? h("span", { class: "axis-cp-chip", "data-testid": "tool-chip" }, t.tool) : null,
        t.skill ? h("span", { class: "axis-cp-chip axis-cp-skill" }, t.skill) : null,
        h("span", { class: "axis-cp-time" }, clockOf(t.timestamp))),
      h("div", { class: "axis-cp-content" }, t.content || "…"),
      sql ? h("pre", { class: "axis-cp-sql", "data-testid": "tool-sql" }, sql) : null));
  }

  /** @param {any} answer */
  function queriesBlock(answer) {
    const qs = answer.queries || [];
    if (!qs.length) return null;
    return h("details", { class: "axis-cp-queries", "data-testid": "answer-queries" },
      h("summary", {}, `${qs.length} quer${qs.length === 1 ? "y" : "ies"} · answer.code() reproduces them`),
      qs.map((/** @type {any} */ q) => h("div", { class: `axis-cp-query${q.error ? " failed" : ""}`, "data-testid": "answer-query" },
        h("div", { class: "axis-cp-query-head" }, queryLabel(q),
          h("span", { class: "axis-muted" }, q.error ? ` · failed: ${q.error}` : ` · ${q.rows}${q.truncated ? "+" : ""} rows`)),
        q.sql ? h("pre", { class: "axis-cp-sql" }, q.sql) : null)));
  }

  function drawMessages() {
    clear(messages);
    for (const m of state.messages) {
      const mine = m.role === "user";
      messages.append(h("div", { class: `axis-cp-msg ${mine ? "user" : "assistant"}`, "data-testid": mine ? "user-message" : "answer" },
        mine ? h("div", { class: "axis-cp-bubble" }, m.text)
          : h("div", { class: "axis-cp-bubble" }, renderMarkdown(m.text), m.answer ? queriesBlock(m.answer) : null),
        h("div", { class: "axis-cp-msg-time" }, clockOf(m.time))));
    }
    if (state.busy) {
      const draft = state.stream.draft;
      messages.append(h("div", { class: "axis-cp-msg assistant pending", "data-testid": "draft" },
        h("div", { class: "axis-cp-bubble" }, draft ? renderMarkdown(draft)
          : `Processing (${state.stream.thoughts.length} thoughts)…`)));
    }
    messages.scrollTop = messages.scrollHeight;
    empty.hidden = state.messages.length > 0 || state.busy;
    sendBtn.textContent = state.busy ? "✕ Cancel" : "Send";
    sendBtn.classList.toggle("axis-cp-cancel", state.busy);
    root.dataset.state = state.busy ? "asking" : "idle";
  }

  function keep() {
    saveSnapshot(model, { ...(state.setup || {}), messages: state.messages.slice(-MAX_KEPT),
      conversation: state.conversation });
  }

  // ------------------------------------------------------------------ actions
  async function loadSetup() {
    try {
      state.setup = await shell.call("setup", {});
      drawSetup();
    } catch (err) {
      showError(err);
    }
  }

  async function send() {
    const question = input.value.trim();
    if (!question || state.busy) return;
    showError(null);
    state.messages.push({ role: "user", text: question, time: new Date().toISOString() });
    input.value = "";
    state.busy = true;
    state.stream = newStream();
    drawMessages();
    drawThoughts();
    try {
      const out = await shell.call("ask", { question, conversation: state.conversation });
      state.jobId = out.job_id;
      state.conversation = out.conversation;
      schedule(0);
    } catch (err) {
      state.busy = false;
      showError(err);
      drawMessages();
      drawThoughts();
    }
  }

  async function cancel() {
    if (!state.jobId) return;
    try {
      await shell.call("cancel", { job_id: state.jobId });
    } catch (err) {
      showError(err);
    }
  }

  function newConversation() {
    if (state.busy) return;
    state.conversation = null;
    state.messages = [];
    state.stream = newStream();
    drawMessages();
    drawThoughts();
    drawSetup();
    keep();
  }

  /** @param {number} [delay] */
  function schedule(delay = POLL_MS) {
    clearTimeout(state.timer);
    if (!state.disposed) state.timer = setTimeout(poll, delay);
  }

  async function poll() {
    if (!state.jobId || state.disposed) return;
    try {
      const out = await shell.call("events", { job_id: state.jobId, after: state.stream.last });
      state.stream = applyEvents(state.stream, out.events);
      if (out.state) state.stream.state = out.state;
      if (FINAL.has(state.stream.state)) return finish(out);
      drawThoughts();
      drawMessages();
    } catch (err) {
      showError(err);
      if (/no job|no copilot/i.test(String(/** @type {any} */ (err).message))) return finish({});
    }
    schedule();
  }

  /** @param {any} out */
  function finish(out) {
    state.busy = false;
    const answer = state.stream.answer || out.answer;
    if (answer) {
      state.messages.push({ role: "assistant", text: answer.text, time: new Date().toISOString(), answer });
    } else {
      const why = state.stream.error || out.error || `the question was ${state.stream.state}`;
      state.messages.push({ role: "assistant", text: `Error: ${why}`, time: new Date().toISOString() });
    }
    drawThoughts();
    drawMessages();
    keep();
  }

  // ------------------------------------------------------------------ start
  const snap = snapshotOf(model);
  if (snap) {
    state.setup = snap;
    state.messages = snap.messages || [];
    state.conversation = snap.conversation || state.conversation;
  }
  drawSetup();
  drawMessages();
  drawThoughts();
  if (!snap || !("configured" in snap)) loadSetup();
  shell.announceTransport();

  return () => {
    state.disposed = true;
    clearTimeout(state.timer);
    shell.transport.dispose();
  };
}

export default { render };
