// The data manager's attach form (issue 17): a table that stays in PostgreSQL, Spark or
// another engine becomes a dataset; only its metadata enters the store. Over HTTP the form
// posts to {base}axis/api/attach (scope axis:database); without the server extension it
// calls the view's "attach" action in the kernel. There is no password field: a password
// comes only from the environment variable the form names (password_env), and nothing the
// server answers holds one. Pure helpers first (unit-tested), then the form.
import { h, clear } from "../../lib/dom.js";
import { authHeaders, errorText, pageConfig } from "../../lib/transport.js";

/** The fields the server may name in an error, in the order the form shows them. */
export const FIELDS = ["name", "backend", "table", "kind", "mapping", "password_env"];
export const ATTACH_KINDS = ["auto", "evals", "monitoring", "kpi", "signals"];

/**
 * The mapping typed by the user: a JSON object, or `column=canonical` pairs separated by
 * commas or new lines; "" is no mapping. Pure.
 * @param {string} text
 * @returns {{mapping: Record<string, string>} | {error: string}}
 */
export function parseMapping(text) {
  const s = String(text || "").trim();
  if (!s) return { mapping: {} };
  if (s.startsWith("{")) {
    /** @type {any} */
    let obj;
    try { obj = JSON.parse(s); } catch { return { error: 'mapping must be a JSON object {"your_column": "canonical_column"} or column=canonical pairs.' }; }
    if (!obj || typeof obj !== "object" || Array.isArray(obj) || !Object.values(obj).every((v) => typeof v === "string")) {
      return { error: 'mapping must map each column to a canonical name (text), e.g. {"score": "metric_score"}.' };
    }
    return { mapping: obj };
  }
  /** @type {Record<string, string>} */
  const mapping = {};
  for (const part of s.split(/[,\n]/).map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=:]+?)\s*[=:]\s*(.+)$/.exec(part);
    if (!m) return { error: `mapping: "${part}" is not column=canonical.` };
    mapping[m[1].trim()] = m[2].trim();
  }
  return { mapping };
}

/**
 * The request body from the form's values: text trimmed, empty optional fields left out. Pure.
 * @param {{name?: string, backend?: string, table?: string, kind?: string, mapping?: Record<string, string>, password_env?: string}} v
 */
export function attachBody(v) {
  /** @type {Record<string, any>} */
  const body = {
    name: String(v.name || "").trim(), backend: String(v.backend || "").trim(),
    table: String(v.table || "").trim(), kind: v.kind || "auto",
  };
  if (v.mapping && Object.keys(v.mapping).length) body.mapping = v.mapping;
  const env = String(v.password_env || "").trim();
  if (env) body.password_env = env;
  return body;
}

/**
 * Which field an error message is about: AXIS errors start with (or name early) the
 * parameter at fault, e.g. "backend contains a password: ..." -> "backend". Pure.
 * @param {string} message
 * @returns {string | null}
 */
export function fieldOf(message) {
  const m = String(message || "");
  /** @type {string | null} */
  let best = null;
  let at = Infinity;
  for (const f of FIELDS) {
    const i = m.search(new RegExp(`(^|[^a-z_])${f}([^a-z_]|$)`));
    if (i >= 0 && i < at && i < 40) { best = f; at = i; }
  }
  return best;
}

/**
 * POST the form to {base}axis/api/attach; resolves to {success, dataset} or rejects with the
 * server's message (which names the parameter).
 * @param {object} body
 */
export async function attachOnServer(body) {
  const cfg = pageConfig();
  if (!cfg) throw new Error("this page is not a Jupyter page");
  const resp = await fetch(`${cfg.baseUrl}axis/api/attach`, {
    method: "POST", headers: authHeaders(cfg, true), credentials: "same-origin", body: JSON.stringify(body),
  });
  const out = await resp.json().catch(() => null);
  if (!resp.ok) throw new Error((out && out.error) || `attach failed (HTTP ${resp.status})`);
  return out;
}

/**
 * The attach form. `submit(body)` does the request (server or kernel) and resolves to the
 * attached dataset's metadata; `done(info)` runs after a success (the list refreshes).
 * @param {{sources: () => string[], submit: (body: object) => Promise<any>, done: (info: any) => void}} opts
 */
export function attachForm({ sources, submit, done }) {
  const box = h("div", { class: "axis-ds-attach", "data-testid": "attach-form", hidden: true });
  /** @type {Record<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>} */
  const inputs = {};
  const msg = h("div", { class: "axis-ds-attach-msg", "data-testid": "attach-message", role: "status" });
  const list = h("datalist", { id: `axis-attach-sources-${Math.random().toString(36).slice(2)}` });

  const field = (/** @type {string} */ key, /** @type {string} */ label, /** @type {HTMLElement} */ input, /** @type {string} */ hint) => {
    inputs[key] = /** @type {any} */ (input);
    input.setAttribute("data-testid", `attach-${key}`);
    input.setAttribute("aria-label", label);
    return h("label", { class: "axis-ds-attach-field", "data-field": key }, h("span", {}, label), input,
      h("span", { class: "axis-muted" }, hint));
  };
  const text = (/** @type {string} */ placeholder, /** @type {any} */ extra = {}) =>
    h("input", { class: "axis-input", type: "text", placeholder, autocomplete: "off", spellcheck: "false", ...extra });
  const button = h("button", { class: "axis-btn active", "data-testid": "attach-submit", type: "submit" }, "Attach");
  const form = h("form", { class: "axis-ds-attach-grid", onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); run(); } },
    field("backend", "Backend", text("postgresql://user@host:5432/db or a source", { list: list.id }),
      "a URL without password (postgresql://, pyspark://?spark.master=…, trino://, …) or a configured source"),
    field("table", "Table", text("schema.table"), "the engine's table; its rows stay there"),
    field("name", "Dataset name", text("prod_evals"), "how AXIS calls it"),
    field("kind", "Kind", h("select", { class: "axis-select" }, ATTACH_KINDS.map((k) => h("option", { value: k }, k))), "auto detects it from the columns"),
    field("mapping", "Mapping", h("textarea", { class: "axis-input", rows: 2, placeholder: "score=metric_score, model=evaluation_name" }),
      "optional: column=canonical pairs or a JSON object"),
    field("password_env", "Password variable", text("PROD_DB_PASSWORD"), "optional: the environment variable holding the password (never the password)"),
    h("div", { class: "axis-ds-form" }, button,
      h("button", { class: "axis-btn", type: "button", "data-testid": "attach-cancel", onclick: () => { box.hidden = true; } }, "Cancel")));
  box.append(h("div", { class: "axis-subhead" }, "Attach a table that stays in its engine"), list, form, msg);

  function showSources() {
    clear(list).append(...sources().map((s) => h("option", { value: s })));
  }

  /** @param {string | null} bad the field to mark */
  function mark(bad) {
    for (const [k, el] of Object.entries(inputs)) {
      if (k === bad) el.setAttribute("aria-invalid", "true");
      else el.removeAttribute("aria-invalid");
    }
    box.dataset.invalid = bad || "";
  }

  /** @param {string} text @param {"error" | "ok" | "busy"} kind */
  function say(text, kind) {
    msg.className = `axis-ds-attach-msg ${kind === "error" ? "axis-error" : "axis-muted"}`;
    msg.textContent = text;
    box.dataset.state = kind;
  }

  async function run() {
    const parsed = parseMapping(inputs.mapping.value);
    if ("error" in parsed) {
      mark("mapping");
      say(parsed.error, "error");
      return;
    }
    const body = attachBody({
      name: inputs.name.value, backend: inputs.backend.value, table: inputs.table.value,
      kind: inputs.kind.value, mapping: parsed.mapping, password_env: inputs.password_env.value,
    });
    mark(null);
    say(`Attaching ${body.table || "the table"}: the engine counts its rows…`, "busy");
    button.setAttribute("disabled", "");
    try {
      const info = await submit(body);
      for (const el of Object.values(inputs)) if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) el.value = "";
      inputs.kind.value = "auto";
      say(`Attached ${info.name}: ${Number(info.rows || 0).toLocaleString("en-US")} rows, counted by the engine (${info.source || "attached"}).`, "ok");
      box.dataset.attached = info.name;
      done(info);
    } catch (err) {
      const text = errorText(err);
      mark(fieldOf(text));
      say(text, "error");
    } finally {
      button.removeAttribute("disabled");
    }
  }

  return {
    node: box,
    open() { showSources(); box.hidden = false; inputs.backend.focus(); },
    toggle() { if (box.hidden) this.open(); else box.hidden = true; },
  };
}
