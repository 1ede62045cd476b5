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
const healthCache = new Map(); // baseUrl -> Promise<boolean>

/** The Jupyter page config ({baseUrl, token}) or null when this is not a Jupyter page. */
export function pageConfig(doc = globalThis.document) {
  const node = doc && doc.getElementById(CONFIG_ID);
  if (!node) return null;
  try {
    const data = JSON.parse(node.textContent || "{}");
    let baseUrl = data.baseUrl || "/";
    if (!baseUrl.endsWith("/")) baseUrl += "/";
    return { baseUrl, token: data.token || "" };
  } catch {
    return null;
  }
}

function cookie(name) {
  const m = (globalThis.document?.cookie || "").match(
    new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"),
  );
  return m ? decodeURIComponent(m[1]) : null;
}

/** Headers JupyterLab itself would send (token and XSRF). */
export function authHeaders(cfg, json = false) {
  const h = {};
  if (cfg && cfg.token) h.Authorization = `token ${cfg.token}`;
  const xsrf = cookie("_xsrf");
  if (xsrf) h["X-XSRFToken"] = xsrf;
  if (json) h["Content-Type"] = "application/json";
  return h;
}

function samePath(a, b) {
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

/** Does the server of this page run the AXIS extension? (cached per baseUrl) */
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
  return healthCache.get(cfg.baseUrl);
}

class CallError extends Error {
  constructor(message, { status = 0, fallback = false } = {}) {
    super(message);
    this.status = status;
    this.fallback = fallback;
  }
}

const encoder = new TextEncoder();
let seq = 0;

/**
 * createTransport(model) -> {call, mode, stats, dispose}
 *   call(action, params) resolves to the action's result dict or rejects with an Error
 *   whose message is the server's / kernel's error text.
 *   stats.last = {action, via, bytes, ms} for the last completed call.
 */
export function createTransport(model, { timeoutMs = 300000 } = {}) {
  const pending = new Map();
  let mode = null; // "server" | "kernel" once decided
  let deciding = null;
  const stats = { last: null, calls: 0 };

  const onMsg = (msg) => {
    if (!msg || msg.kind !== "axis-reply" || !pending.has(msg.id)) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error !== undefined && msg.error !== null) p.reject(new CallError(String(msg.error)));
    else p.resolve({ result: msg.result, bytes: encoder.encode(JSON.stringify(msg)).length });
  };
  model.on("msg:custom", onMsg);

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

  async function viaHttp(action, params) {
    const cfg = pageConfig();
    const enc = encodeURIComponent;
    // Views without a dataset (the runner, the database browser) use views/{view}/...
    const dataset = model.get("dataset");
    const scope = dataset ? `datasets/${enc(dataset)}/` : "";
    const url = `${cfg.baseUrl}axis/api/${scope}views/${enc(model.get("view"))}/${enc(action)}`;
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
      throw new CallError(`network error: ${err.message || err}`, { fallback: true });
    }
    const text = await resp.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!resp.ok) {
      const msg = (body && (body.error || body.message || body.reason)) || `HTTP ${resp.status}`;
      const fallback = [401, 403, 404, 405].includes(resp.status) && !(body && body.error);
      throw new CallError(msg, { status: resp.status, fallback });
    }
    if (body && typeof body === "object" && body.error !== undefined && Object.keys(body).length <= 2) {
      throw new CallError(String(body.error), { status: resp.status });
    }
    return { result: body, bytes: encoder.encode(text).length };
  }

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

  async function call(action, params = {}) {
    const t0 = performance.now();
    let via = await decide();
    let out;
    if (via === "server") {
      try {
        out = await viaHttp(action, params);
      } catch (err) {
        if (!err.fallback) throw err;
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

/**
 * viewCalls(transport, {root, status, errorBox, note}) -> {call, showError}
 *
 * What every view does around its calls: call(action, params) goes through the transport,
 * counts requests in flight on the root (data-pending, 0 once every part has loaded),
 * records which transport answered and how (data-transport, data-last-bytes, data-last-ms)
 * and writes the one-line status ("via kernel · payload 6.8 KB in 41 ms"; ``note(last,
 * result)`` may append to it). showError(err) shows or hides the view's error line.
 */
export function viewCalls(transport, { root, status, errorBox, note }) {
  let inFlight = 0;

  function noteStats(out) {
    const last = transport.stats.last;
    if (!last) return;
    root.dataset.transport = last.via;
    root.dataset.lastBytes = String(last.bytes);
    root.dataset.lastMs = last.ms.toFixed(1);
    status.textContent =
      `via ${last.via === "server" ? "Jupyter server (HTTP)" : "kernel"} · ${last.action} ` +
      `${(last.bytes / 1024).toFixed(1)} KB in ${last.ms.toFixed(0)} ms` + (note ? note(last, out) : "");
  }

  async function call(action, params) {
    root.dataset.pending = String(++inFlight);
    try {
      const out = await transport.call(action, params);
      noteStats(out);
      return out;
    } finally {
      root.dataset.pending = String(--inFlight);
    }
  }

  function showError(err) {
    errorBox.hidden = !err;
    errorBox.textContent = err ? `AXIS: ${err.message || err}` : "";
  }

  return { call, showError };
}
