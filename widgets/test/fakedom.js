// A very small stand-in for the browser DOM, enough for lib/dom.js's h(): elements with
// attributes, dataset, style, listeners and children, and text nodes. Lets node --test
// check what a renderer builds (its tags, attributes and text) without a browser.

class FakeNode {
  /** @type {FakeNode[]} */ childNodes = [];
  /** @type {FakeNode | null} */ parentNode = null;
  get firstChild() { return this.childNodes[0] || null; }
  /** @param {FakeNode} c */
  removeChild(c) { this.childNodes = this.childNodes.filter((x) => x !== c); c.parentNode = null; return c; }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(""); }
}

class FakeText extends FakeNode {
  /** @param {string} text */
  constructor(text) { super(); this.text = text; }
  get textContent() { return this.text; }
}

class FakeElement extends FakeNode {
  /** @param {string} tag */
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    /** @type {Record<string, string>} */ this.attributes = {};
    /** @type {Record<string, string>} */ this.dataset = {};
    /** @type {Record<string, string>} */ this.style = {};
    /** @type {Record<string, Function[]>} */ this.listeners = {};
  }
  /** @param {string} k @param {string} v */
  setAttribute(k, v) { this.attributes[k] = v; }
  /** @param {string} k */
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  /** @param {string} type @param {Function} fn */
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  /** @param {...FakeNode} nodes */
  append(...nodes) { for (const n of nodes) { n.parentNode = this; this.childNodes.push(n); } }
  get className() { return this.attributes.class || ""; }
  /** Every descendant element matching `pred`, depth first. @param {(e: FakeElement) => boolean} pred @returns {FakeElement[]} */
  findAll(pred) {
    /** @type {FakeElement[]} */
    const out = [];
    for (const c of this.childNodes) {
      if (c instanceof FakeElement) {
        if (pred(c)) out.push(c);
        out.push(...c.findAll(pred));
      }
    }
    return out;
  }
}

/** Installs the fake `document` and `Node` as globals (once per test process). */
export function installFakeDom() {
  const g = /** @type {any} */ (globalThis);
  g.Node = FakeNode;
  g.document = {
    /** @param {string} tag */ createElement: (tag) => new FakeElement(tag),
    /** @param {string} _ns @param {string} tag */ createElementNS: (_ns, tag) => new FakeElement(tag),
    /** @param {string} text */ createTextNode: (text) => new FakeText(text),
  };
}

export { FakeElement };
