// The runner's optional agent step (see ../runner.js): fill empty outputs from the user's
// agent (an HTTP endpoint, or an LLM with a prompt) before scoring, and "Test connection",
// which calls it once and shows the raw reply and the answer extracted from it.
import { h, clear } from "../../lib/dom.js";
import { select } from "../../lib/controls.js";
import { agentSettings } from "./logic.js";

/** @typedef {import("../runner.js").RunnerContext} RunnerContext */

/**
 * @param {string} label @param {string} testid @param {string} value
 * @param {(v: string) => void} oninput @param {{area?: boolean, placeholder?: string, cls?: string}} [opts]
 */
function field(label, testid, value, oninput, opts = {}) {
  const input = h(opts.area ? "textarea" : "input", {
    class: `axis-select ${opts.cls || ""}`, "data-testid": testid, value, placeholder: opts.placeholder || "",
    rows: opts.area ? 3 : undefined,
    oninput: (/** @type {any} */ e) => oninput(e.target.value),
  });
  if (opts.area) input.textContent = value;
  return h("label", { class: "axis-rn-field" }, h("span", {}, label), input);
}

/** @param {RunnerContext} ctx */
export function agentStep(ctx) {
  const { state, sec } = ctx;
  clear(sec.agent);
  sec.agent.hidden = !state.source;
  if (sec.agent.hidden) return;
  const a = state.agent;
  const set = (/** @type {keyof import("./logic.js").AgentForm} */ k) => (/** @type {string} */ v) => {
    a[k] = v;
    ctx.redraw();
  };
  const quiet = (/** @type {keyof import("./logic.js").AgentForm} */ k) => (/** @type {string} */ v) => {
    a[k] = v;
  };
  sec.agent.append(
    h("div", { class: "axis-rn-step" }, h("span", { class: "axis-rn-num" }, "+"), "Agent (optional): fill empty outputs"),
    h("div", { class: "axis-rn-toolbar" },
      select({
        testid: "agent-mode", value: a.mode,
        options: [["none", "No agent: score the outputs in the data"], ["api", "HTTP agent (api)"], ["prompt", "LLM with a prompt"]],
        onchange: (v) => {
          a.mode = v;
          state.agentTest = null;
          agentStep(ctx);
          ctx.redraw();
        },
      })));
  if (a.mode === "none") return;
  const grid = h("div", { class: "axis-rn-mapping", "data-testid": "agent-form" });
  if (a.mode === "api") {
    grid.append(
      field("URL (reached from where the run executes)", "agent-url", a.url, quiet("url"), { placeholder: "http://localhost:8000/chat" }),
      field("Answer path", "agent-path", a.answer_path, quiet("answer_path"), { placeholder: "choices.0.message.content" }),
      field("Request body (JSON; {{query}} is replaced)", "agent-body", a.body, quiet("body"), { area: true }),
      field("Headers from environment variables (Header: AXIS_AGENT_…)", "agent-headers", a.headers_env, quiet("headers_env"), { area: true }),
      field("Timeout (s)", "agent-timeout", a.timeout, quiet("timeout")));
  } else {
    const providers = state.setup?.providers || {};
    grid.append(
      field("System prompt", "agent-system", a.system_prompt, quiet("system_prompt"), { area: true }),
      field("Prompt template ({{query}} is replaced)", "agent-template", a.prompt_template, quiet("prompt_template"), { area: true }),
      h("label", { class: "axis-rn-field" }, h("span", {}, "Provider"), select({
        testid: "agent-provider", value: a.provider, first: ["", "(the judges' default)"],
        options: Object.keys(providers).map((p) => [p, `${p}${providers[p] ? "" : " (no key)"}`]), onchange: set("provider"),
      })),
      field("Model", "agent-model", a.model, quiet("model"), { placeholder: "default" }));
  }
  sec.agent.append(grid);
  const out = h("div", { class: "axis-rn-test", "data-testid": "agent-test-result" });
  sec.agent.append(h("div", { class: "axis-rn-toolbar" },
    h("button", { class: "axis-btn", "data-testid": "agent-test", onclick: () => testAgent(ctx, out) }, "Test connection"),
    h("span", { class: "axis-muted" }, "Only empty outputs are filled; failures become warnings on their items.")), out);
  if (state.agentTest) showTest(out, state.agentTest);
}

/** @param {RunnerContext} ctx @param {HTMLElement} out */
async function testAgent(ctx, out) {
  const settings = agentSettings(ctx.state.agent);
  clear(out);
  if (!settings || "error" in settings) {
    out.append(h("div", { class: "axis-rn-warn", "data-testid": "agent-test-error" }, settings ? settings.error : "Pick an agent first."));
    return;
  }
  out.append(h("span", { class: "axis-muted" }, "Calling the agent…"));
  try {
    ctx.state.agentTest = await ctx.call("test_agent", { agent: settings, query: "Hello, how are you?" });
  } catch (err) {
    ctx.state.agentTest = { ok: false, error: String(/** @type {any} */ (err).message || err), raw: "", answer: null };
  }
  clear(out);
  showTest(out, ctx.state.agentTest);
}

/** @param {HTMLElement} out @param {any} t */
function showTest(out, t) {
  out.dataset.ok = t.ok ? "1" : "0";
  out.append(
    h("div", { class: t.ok ? "axis-rn-ok" : "axis-rn-warn", "data-testid": "agent-test-status" },
      t.ok ? `Connected: HTTP ${t.status ?? "—"} in ${t.latency_ms ?? "?"} ms` : `Failed: ${t.error}`),
    h("div", { class: "axis-rn-field" }, h("span", {}, "Extracted answer"),
      h("pre", { class: "axis-rn-pre", "data-testid": "agent-test-answer" }, t.answer ?? "—")),
    h("div", { class: "axis-rn-field" }, h("span", {}, "Raw response"),
      h("pre", { class: "axis-rn-pre", "data-testid": "agent-test-raw" }, t.raw || "—")));
}
