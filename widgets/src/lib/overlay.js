// Overlays: a panel over the view (drill-downs, test cases, traces), closed by its ×, a
// click beside the panel or Escape.
import { h, clear } from "./dom.js";

/**
 * An empty, hidden overlay element with `testid`.
 * @param {string} testid
 */
export function overlayBox(testid) {
  return h("div", { class: "axis-overlay", hidden: true, "data-testid": testid });
}

/**
 * Close `overlay` (via `close`) on a click on the overlay itself (beside its panel) and on
 * Escape anywhere in `root`.
 * @param {HTMLElement} overlay
 * @param {HTMLElement} root
 * @param {() => void} close
 */
export function dismissable(overlay, root, close) {
  overlay.addEventListener("click", (e) => {
    if (e.target === overlay) close();
  });
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });
}

/**
 * Hide and empty `overlay`.
 * @param {HTMLElement} overlay
 */
export function closeOverlay(overlay) {
  overlay.hidden = true;
  clear(overlay);
}
