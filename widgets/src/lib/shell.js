// The frame every AXIS view draws in, and what every view does around its calls.
import { h } from "./dom.js";
import { createTransport, errorText } from "./transport.js";
import { applyPalette } from "./theme.js";

/**
 * @typedef {import("./transport.js").AnyModel} AnyModel
 * @typedef {import("./transport.js").Transport} Transport
 * @typedef {import("./transport.js").CallStats} CallStats
 */

/**
 * viewCalls(transport, {root, status, errorBox, note}) -> {call, showError}
 *
 * call(action, params) goes through the transport, counts requests in flight on the root
 * (data-pending, 0 once every part has loaded), records which transport answered and how
 * (data-transport, data-last-bytes, data-last-ms) and writes the one-line status ("via
 * kernel · payload 6.8 KB in 41 ms"; `note(last, result)` may append to it).
 * showError(err) shows or hides the view's error line.
 * @param {Transport} transport
 * @param {{root: HTMLElement, status: HTMLElement, errorBox: HTMLElement,
 *   note?: (last: CallStats, result: any) => string}} parts
 */
export function viewCalls(transport, { root, status, errorBox, note }) {
  let inFlight = 0;

  /** @param {any} out */
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

  /**
   * @param {string} action
   * @param {object} [params]
   * @returns {Promise<any>}
   */
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

  /** @param {unknown} err an error to show, or null to hide the line */
  function showError(err) {
    errorBox.hidden = !err;
    errorBox.textContent = err ? `AXIS: ${errorText(err)}` : "";
  }

  return { call, showError };
}

/**
 * @typedef {object} Shell
 * @property {Transport} transport
 * @property {HTMLElement} root the view's root (class "axis-view {cls}")
 * @property {HTMLElement} errorBox the error line (hidden until an error)
 * @property {HTMLElement} status the one-line status of the last call
 * @property {(action: string, params?: object) => Promise<any>} call an action, noted in the status
 * @property {(err: unknown) => void} showError
 * @property {(action: string, params: object, apply: (result: any) => any) => Promise<void>} refresh
 *   call `action` and apply(result) unless a newer refresh started meanwhile; the root is
 *   busy (class "axis-busy") until the newest one is done; errors go to the error line
 * @property {() => void} announceTransport set data-transport once the transport is known
 * @property {import("./agents.js").Branding} branding theme.yaml palette and agents.yaml registry
 */

/**
 * The root, error line, status line and calls of a view. The view appends its own parts
 * (and the error and status lines where it wants them) to `root`.
 * @param {AnyModel} model
 * @param {HTMLElement} el anywidget's element; the root is appended to it
 * @param {{cls: string, testid: string, attrs?: import("./dom.js").Attrs,
 *   note?: (last: CallStats, result: any) => string}} opts
 * @returns {Shell}
 */
export function createShell(model, el, { cls, testid, attrs = {}, note }) {
  const transport = createTransport(model);
  const root = h("div", { class: `axis-view ${cls}`, "data-testid": testid, ...attrs });
  const errorBox = h("div", { class: "axis-error", hidden: true, "data-testid": "error" });
  const status = h("div", { class: "axis-status", "data-testid": "status" });
  const { call, showError } = viewCalls(transport, { root, status, errorBox, note });
  /** @type {import("./agents.js").Branding} */
  const branding = model.get("branding") || {};
  applyPalette(root, branding.theme);
  el.append(root);

  let seq = 0;
  /** @type {Shell["refresh"]} */
  async function refresh(action, params, apply) {
    const my = ++seq;
    root.classList.add("axis-busy");
    try {
      const out = await call(action, params);
      if (my !== seq) return; // a newer request superseded this one
      showError(null);
      await apply(out);
    } catch (err) {
      if (my === seq) showError(err);
    } finally {
      if (my === seq) root.classList.remove("axis-busy");
    }
  }

  // decide the transport early (a health probe) so the first click is fast
  function announceTransport() {
    transport.decide().then((m) => {
      root.dataset.transport = root.dataset.transport || m;
    });
  }

  return { transport, root, errorBox, status, call, showError, refresh, announceTransport, branding };
}

/**
 * A non-empty snapshot (the payload kept by the Python side), or null.
 * @param {AnyModel} model
 * @returns {Record<string, any> | null}
 */
export function snapshotOf(model) {
  const snap = model.get("snapshot");
  return snap && Object.keys(snap).length ? snap : null;
}

/**
 * Keep `payload` as the model's snapshot (it is saved with the notebook).
 * @param {AnyModel} model
 * @param {object} payload
 */
export function saveSnapshot(model, payload) {
  model.set("snapshot", payload);
  model.save_changes();
}

/**
 * Merge `params` into the model's params (what Python reads as `w.params`).
 * @param {AnyModel} model
 * @param {Record<string, any>} params
 */
export function saveParams(model, params) {
  model.set("params", { ...(model.get("params") || {}), ...params });
  model.save_changes();
}
