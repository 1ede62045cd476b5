// How a view's front end calls its Python actions.
//
// Two transports, one request/response shape: call(action, params) -> result dict.
//
// * HTTP — when the page is a Jupyter page (it has a #jupyter-config-data script tag)
//   whose server runs the AXIS extension (GET {baseUrl}axis/api/health answers) AND the
//   Python side says the dataset lives in that server's store (model trait
//   transport == "server", and server_base matches the page's baseUrl). Requests are
//   POST {baseUrl}axis/api/datasets/{dataset}/views/{view}/{action} (or views/{view}/{action}
//   for a view without a dataset) with the params as the JSON body, authenticated like JupyterLab's own requests: the _xsrf cookie in an
//   X-XSRFToken header and, when the page has one, "Authorization: token <t>". The server
//   answers even while the kernel is busy running a cell.
// * Kernel — otherwise (VS Code, Colab, plain IPython, or a kernel-local store): an
//   anywidget custom message {kind: "axis-call", id, action, params} answered by the
//   widget in the kernel with {kind: "axis-reply", id, result | error}.
//
// If HTTP turns out to be unusable (network error, 401/403/404), the call is retried
// through the kernel and later calls go there directly.

const CONFIG_ID = "jupyter-config-data";
/** @type {Map<string, Promise<boolean>>} */
const healthCache = new Map(); // baseUrl -> does it answer axis/api/health?

/**
 * @typedef {{baseUrl: string, token: string}} PageConfig
 * @typedef {{get(name: string): any, set(name: string, value: any): void, save_changes(): void,
 *   on(event: string, cb: (...args: any[]) => void): void, off(event: string, cb?: (...args: any[]) => void): void,
 *   send(content: any): void}} AnyModel anywidget's model, as the views use it
 */

/**
 * The page config from the text of Jupyter's #jupyter-config-data script ({baseUrl}
 * ending in "/", token), or null when it is not JSON. Pure.
 * @param {string} text
 * @returns {PageConfig | null}
 */
export function parsePageConfig(text) {
  try {
    const data = JSON.parse(text || "{}");
    let baseUrl = data.baseUrl || "/";
    if (!baseUrl.endsWith("/")) baseUrl += "/";
    return { baseUrl, token: data.token || "" };
  } catch {
    return null;
  }
}

/**
 * The Jupyter page config of `doc`, or null when this is not a Jupyter page.
 * @param {Document} [doc]
 * @returns {PageConfig | null}
 */
export function pageConfig(doc = globalThis.document) {
  const node = doc && doc.getElementById(CONFIG_ID);
  if (!node) return null;
  return parsePageConfig(node.textContent || "{}");
}

/**
 * The value of cookie `name` in a document.cookie string, or null. Pure.
 * @param {string} cookies
 * @param {string} name
 */
export function cookieValue(cookies, name) {
  const m = (cookies || "").match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
  return m ? decodeURIComponent(m[1]) : null;
}

/**
 * Headers JupyterLab itself would send (token and XSRF).
 * @param {PageConfig | null} cfg
 * @param {boolean} [json] add Content-Type: application/json
 * @param {string} [cookies] document.cookie (the page's, by default)
 * @returns {Record<string, string>}
 */
export function authHeaders(cfg, json = false, cookies = globalThis.document?.cookie || "") {
  /** @type {Record<string, string>} */
  const h = {};
  if (cfg && cfg.token) h.Authorization = `token ${cfg.token}`;
  const xsrf = cookieValue(cookies, "_xsrf");
  if (xsrf) h["X-XSRFToken"] = xsrf;
  if (json) h["Content-Type"] = "application/json";
  return h;
}

/**
 * Are two URL paths the same base ("/a%40b" and "/a@b/" are)? Pure.
 * @param {string} a
 * @param {string} b
 */
export function samePath(a, b) {
  /** @param {string} p */
  const norm = (p) => {
    let s = p || "/";
    try {
      s = decodeURIComponent(s);
    } catch {
      /* keep as is */
    }
    return s.endsWith("/") ? s : s + "/";
  };
  return norm(a) === norm(b);
}

/**
 * The URL of a view action: {baseUrl}axis/api/datasets/{dataset}/views/{view}/{action},
 * or {baseUrl}axis/api/views/{view}/{action} for a view without a dataset. Pure.
 * @param {string} baseUrl ends with "/"
 * @param {string | null | undefined} dataset
 * @param {string} view
 * @param {string} action
 */
export function actionUrl(baseUrl, dataset, view, action) {
  const enc = encodeURIComponent;
  const scope = dataset ? `datasets/${enc(dataset)}/` : "";
  return `${baseUrl}axis/api/${scope}views/${enc(view)}/${enc(action)}`;
}

/**
 * What a failed HTTP answer means: its message (the server's error text, else
 * "HTTP {status}") and whether the kernel should be tried instead (the route is not there
 * or not allowed: 401/403/404/405 without an AXIS error body). Pure.
 * @param {number} status
 * @param {any} body the parsed JSON body, or null
 */
export function httpFailure(status, body) {
  const message = (body && (body.error || body.message || body.reason)) || `HTTP ${status}`;
  const fallback = [401, 403, 404, 405].includes(status) && !(body && body.error);
  return { message: String(message), fallback };
}

/**
 * Is a 2xx JSON body an AXIS error answer ({error} with at most one more key)? Pure.
 * @param {any} body
 * @returns {body is {error: unknown}}
 */
export function isErrorBody(body) {
  return !!body && typeof body === "object" && body.error !== undefined && Object.keys(body).length <= 2;
}

/**
 * Does the server of this page run the AXIS extension? (cached per baseUrl)
 * @param {PageConfig | null} cfg
 * @returns {Promise<boolean>}
 */
export function serverHasAxis(cfg) {
  if (!cfg) return Promise.resolve(false);
  if (!healthCache.has(cfg.baseUrl)) {
    const p = fetch(`${cfg.baseUrl}axis/api/health`, {
      headers: authHeaders(cfg),
      credentials: "same-origin",
      cache: "no-store",
    })
      .then((r) => r.ok)
      .catch(() => false);
    healthCache.set(cfg.baseUrl, p);
  }
  return /** @type {Promise<boolean>} */ (healthCache.get(cfg.baseUrl));
}

/** An action's error: the server's or kernel's message; `fallback` when the kernel should be tried. */
export class CallError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, fallback?: boolean}} [opts]
   */
  constructor(message, { status = 0, fallback = false } = {}) {
    super(message);
    this.status = status;
    this.fallback = fallback;
  }
}

/**
 * The message of an error of any kind (an Error's message, else its text).
 * @param {unknown} err
 */
export function errorText(err) {
  return String((err && /** @type {any} */ (err).message) || err);
}

const encoder = new TextEncoder();
let seq = 0;

/**
 * @typedef {{action: string, via: "server" | "kernel", bytes: number, ms: number}} CallStats
 * @typedef {object} Transport
 * @property {(action: string, params?: object) => Promise<any>} call resolves to the
 *   action's result dict or rejects with a CallError whose message is the server's or
 *   kernel's error text
 * @property {() => Promise<"server" | "kernel">} decide which transport calls will use
 * @property {"server" | "kernel" | null} mode
 * @property {{last: CallStats | null, calls: number}} stats the last completed call
 * @property {() => void} dispose
 */

/**
 * The transport of one view (see the top of this file).
 * @param {AnyModel} model
 * @param {{timeoutMs?: number}} [opts]
 * @returns {Transport}
 */
export function createTransport(model, { timeoutMs = 300000 } = {}) {
  /** @type {Map<string, {resolve: (v: {result: any, bytes: number}) => void, reject: (e: Error) => void, timer: ReturnType<typeof setTimeout>}>} */
  const pending = new Map();
  /** @type {"server" | "kernel" | null} */
  let mode = null; // once decided
  /** @type {Promise<"server" | "kernel"> | null} */
  let deciding = null;
  /** @type {{last: CallStats | null, calls: number}} */
  const stats = { last: null, calls: 0 };

  /** @param {any} msg */
  const onMsg = (msg) => {
    if (!msg || msg.kind !== "axis-reply" || !pending.has(msg.id)) return;
    const p = /** @type {NonNullable<ReturnType<typeof pending.get>>} */ (pending.get(msg.id));
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error !== undefined && msg.error !== null) p.reject(new CallError(String(msg.error)));
    else p.resolve({ result: msg.result, bytes: encoder.encode(JSON.stringify(msg)).length });
  };
  model.on("msg:custom", onMsg);

  /** @returns {Promise<"server" | "kernel">} */
  async function decide() {
    if (mode) return mode;
    if (!deciding) {
      deciding = (async () => {
        const cfg = pageConfig();
        const wanted = model.get("transport") === "server";
        const base = model.get("server_base") || "";
        if (wanted && cfg && (!base || samePath(base, cfg.baseUrl)) && (await serverHasAxis(cfg))) {
          return "server";
        }
        return "kernel";
      })();
    }
    mode = await deciding;
    return mode;
  }

  /**
   * @param {string} action
   * @param {object} params
   * @returns {Promise<{result: any, bytes: number}>}
   */
  async function viaHttp(action, params) {
    const cfg = /** @type {PageConfig} */ (pageConfig());
    // Views without a dataset (the runner, the database browser) use views/{view}/...
    const url = actionUrl(cfg.baseUrl, model.get("dataset"), model.get("view"), action);
    let resp;
    try {
      resp = await fetch(url, {
        method: "POST",
        headers: authHeaders(cfg, true),
        credentials: "same-origin",
        cache: "no-store",
        body: JSON.stringify(params || {}),
      });
    } catch (err) {
      throw new CallError(`network error: ${errorText(err)}`, { fallback: true });
    }
    const text = await resp.text();
    /** @type {any} the JSON answer, or null when there is none */
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!resp.ok) {
      const { message, fallback } = httpFailure(resp.status, body);
      throw new CallError(message, { status: resp.status, fallback });
    }
    if (isErrorBody(body)) throw new CallError(String(body.error), { status: resp.status });
    return { result: body, bytes: encoder.encode(text).length };
  }

  /**
   * @param {string} action
   * @param {object} params
   * @returns {Promise<{result: any, bytes: number}>}
   */
  function viaKernel(action, params) {
    const id = `axis-${Date.now().toString(36)}-${++seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new CallError(`the kernel did not answer ${action} within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      model.send({ kind: "axis-call", id, action, params: params || {} });
    });
  }

  /**
   * @param {string} action
   * @param {object} [params]
   */
  async function call(action, params = {}) {
    const t0 = performance.now();
    let via = await decide();
    let out;
    if (via === "server") {
      try {
        out = await viaHttp(action, params);
      } catch (err) {
        if (!(err instanceof CallError) || !err.fallback) throw err;
        console.warn(`AXIS: HTTP transport unavailable (${err.message}); using the kernel.`);
        mode = via = "kernel";
        out = await viaKernel(action, params);
      }
    } else {
      out = await viaKernel(action, params);
    }
    stats.calls += 1;
    stats.last = { action, via, bytes: out.bytes, ms: performance.now() - t0 };
    return out.result;
  }

  return {
    call,
    decide,
    get mode() {
      return mode;
    },
    stats,
    dispose() {
      model.off("msg:custom", onMsg);
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
    },
  };
}
