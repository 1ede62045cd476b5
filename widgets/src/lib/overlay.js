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

/**
 * Where a panel opened from a click should start inside its overlay: level with the
 * clicked element (so it opens beside the row, not at the top of a long widget), moved up
 * as far as needed to end inside the overlay, never above its top. Pure: unit tested.
 * @param {number} anchorTop the clicked element's top (viewport px)
 * @param {number} overlayTop the overlay's top (viewport px)
 * @param {number} overlayHeight
 * @param {number} panelHeight
 * @param {number} [margin] space kept above and below, px
 */
export function panelTop(anchorTop, overlayTop, overlayHeight, panelHeight, margin = 12) {
  const wanted = anchorTop - overlayTop - margin;
  const lowest = overlayHeight - panelHeight - margin;
  return Math.max(0, Math.min(wanted, lowest));
}

/**
 * Move `panel` (inside the shown `overlay`) level with `anchor` and scroll it into view.
 * The overlay covers the whole view, so without this a panel opened from a row far down
 * a long widget appeared at the widget's top, off-screen from the click.
 * @param {HTMLElement} overlay
 * @param {HTMLElement} panel
 * @param {Element | null | undefined} anchor
 */
export function placeNear(overlay, panel, anchor) {
  overlay.style.paddingTop = "0";
  if (anchor && anchor.isConnected) {
    const o = overlay.getBoundingClientRect();
    const a = anchor.getBoundingClientRect();
    panel.style.marginTop = `${panelTop(a.top, o.top, overlay.clientHeight, panel.offsetHeight)}px`;
  }
  panel.scrollIntoView({ block: "nearest" });
}
