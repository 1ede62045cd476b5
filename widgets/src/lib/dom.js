// Building DOM nodes without a framework: h() for HTML, s() for SVG, clear() to empty a node.
// Every view and component draws with these, so attributes behave the same everywhere:
// on* functions become listeners, `dataset` and object `style` are merged, and
// undefined / null / false attributes and children are left out.

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * @typedef {Record<string, any>} Attrs
 * @typedef {Node | string | number | boolean | null | undefined | any[]} Child (arrays are flattened)
 */

/**
 * h("div", {class: "x", onclick: fn, dataset: {k: v}}, child, "text", ...)
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/**
 * The same as h() for SVG elements.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/**
 * @param {HTMLElement | SVGElement} el
 * @param {Attrs} attrs
 */
function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

/**
 * @param {Element} el
 * @param {Child[]} children
 */
function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/**
 * Remove every child of `el`; returns `el` (so `clear(box).append(...)` reads as one step).
 * @template {Element} E
 * @param {E} el
 * @returns {E}
 */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * fn, called once `ms` after the last of a burst of calls (search boxes, sliders).
 * @template {any[]} A
 * @param {(...args: A) => void} fn
 * @param {number} ms
 * @returns {(...args: A) => void}
 */
export function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

/** The next animation frame (a drawn view is laid out once it resolves). */
export function nextFrame() {
  return new Promise((r) => requestAnimationFrame(() => r(undefined)));
}
