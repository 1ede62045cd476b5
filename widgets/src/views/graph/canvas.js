// The knowledge graph drawn on a <canvas> with a d3-force layout (bundled, never a CDN).
// Canvas rather than SVG so thousands of nodes stay smooth: one path per edge type and
// one fill per node type each frame, labels only where they fit (hubs, the selected and
// hovered node, everything when zoomed in), and frames drawn only while something moves.
// Interaction: wheel zooms about the pointer, dragging the background pans, dragging a
// node moves it (pinned while held), a click selects, a double click expands.
import { forceLink, forceManyBody, forceSimulation, forceX, forceY } from "d3-force";
import { centreOn, fit, toWorld, zoomAt } from "./camera.js";
import { TYPE_COLORS, endId, labelled, radius, visible } from "./model.js";

/**
 * @typedef {import("./model.js").GNode} GNode
 * @typedef {import("./model.js").GEdge} GEdge
 * @typedef {import("./camera.js").Camera} Camera
 */

const EDGE_COLOR = "rgba(100, 116, 139, 0.35)";
const EDGE_HI = "rgba(30, 64, 175, 0.85)";

export class GraphCanvas {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{onSelect?: (n: GNode | null) => void, onExpand?: (n: GNode) => void}} [handlers]
   */
  constructor(canvas, { onSelect, onExpand } = {}) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    this.onSelect = onSelect || (() => {});
    this.onExpand = onExpand || (() => {});
    /** @type {{nodes: GNode[], edges: GEdge[]}} */
    this.graph = { nodes: [], edges: [] };
    /** @type {{nodes: GNode[], edges: any[]}} */
    this.shown = { nodes: [], edges: [] };
    this.types = new Set(Object.keys(TYPE_COLORS));
    /** @type {Camera} */
    this.cam = { k: 1, x: 0, y: 0 };
    /** @type {string | null} */
    this.selected = null;
    /** @type {string | null} */
    this.hovered = null;
    /** @type {Set<string>} */
    this.marked = new Set();
    this.frame = 0;
    this.fitted = false;
    this.w = 800;
    this.h = 520;
    this.dpr = 1;
    /** @type {ResizeObserver | undefined} */
    this.resizer = undefined;
    this.sim = forceSimulation([])
      .force("charge", forceManyBody().strength(-60).theta(0.9).distanceMax(500))
      .force("link", forceLink([]).id((/** @type {GNode} */ d) => d.id).distance(34).strength(0.4))
      .force("x", forceX(0).strength(0.02))
      .force("y", forceY(0).strength(0.02))
      .on("tick", () => this.requestDraw());
    // data-settled / data-frames: the layout came to rest, frames drawn (for tests and
    // for anyone profiling a big graph)
    this.sim.on("end", () => {
      this.canvas.dataset.settled = "1";
      if (!this.fitted) this.fitAll();
    });
    this.frames = 0;
    this._wire();
    this.resize();
  }

  // ------------------------------------------------------------------ data
  /**
   * Show these nodes and edges (positions of nodes already shown are kept).
   * @param {{nodes: GNode[], edges: GEdge[]}} g
   * @param {{reheat?: number}} [opts]
   */
  setGraph(g, { reheat = 1 } = {}) {
    this.graph = g;
    this._apply(reheat);
  }

  /** @param {Set<string>} types the node types to draw */
  setTypes(types) {
    this.types = types;
    this._apply(0.3);
  }

  _apply(reheat) {
    const v = visible(this.graph, this.types);
    const links = v.edges.map((e) => ({ source: endId(e.source), target: endId(e.target), type: e.type }));
    const n = v.nodes.length;
    /** @type {any} */ (this.sim.force("charge")).strength(n > 3000 ? -25 : n > 800 ? -45 : -110);
    this.sim.nodes(v.nodes);
    /** @type {any} */ (this.sim.force("link")).links(links);
    this.shown = { nodes: v.nodes, edges: links };
    this.canvas.dataset.nodes = String(n);
    this.canvas.dataset.edges = String(links.length);
    if (reheat > 0) {
      this.canvas.dataset.settled = "0";
      this.sim.alpha(Math.max(this.sim.alpha(), reheat)).restart();
    }
    this.requestDraw();
  }

  /** @param {string} id */
  node(id) {
    return this.graph.nodes.find((n) => n.id === id) || null;
  }

  // ------------------------------------------------------------------ camera
  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = globalThis.devicePixelRatio || 1;
    this.w = Math.max(200, rect.width || this.canvas.clientWidth || 800);
    this.h = Math.max(200, rect.height || this.canvas.clientHeight || 520);
    this.canvas.width = Math.round(this.w * dpr);
    this.canvas.height = Math.round(this.h * dpr);
    this.dpr = dpr;
    if (!this.fitted) this.cam = { k: 1, x: this.w / 2, y: this.h / 2 };
    this.requestDraw();
  }

  fitAll() {
    this.fitted = true;
    this.cam = fit(this.shown.nodes, this.w, this.h);
    this.requestDraw();
  }

  /**
   * Centre the view on node `id`, select it and (optionally) zoom in.
   * @param {string} id
   */
  focus(id) {
    const n = this.node(id);
    if (!n) return false;
    this.fitted = true;
    this.cam = centreOn(this.cam, n.x ?? 0, n.y ?? 0, this.w, this.h, Math.max(this.cam.k, 1.5));
    this.select(n);
    return true;
  }

  /** @param {GNode | null} n */
  select(n) {
    this.selected = n ? n.id : null;
    this.canvas.dataset.selected = this.selected || "";
    this.requestDraw();
  }

  /** @param {Iterable<string>} ids nodes to ring (search matches) */
  mark(ids) {
    this.marked = new Set(ids);
    this.requestDraw();
  }

  // ------------------------------------------------------------------ drawing
  requestDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    const { ctx, cam, dpr } = this;
    this.canvas.dataset.frames = String(++this.frames);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.w, this.h);
    ctx.setTransform(dpr * cam.k, 0, 0, dpr * cam.k, dpr * cam.x, dpr * cam.y);
    const sel = this.selected;
    // edges: one path for all, one for the selected node's
    ctx.lineWidth = 1 / cam.k;
    ctx.strokeStyle = EDGE_COLOR;
    ctx.beginPath();
    const hi = [];
    for (const e of this.shown.edges) {
      const s = e.source, t = e.target;
      if (typeof s !== "object" || typeof t !== "object") continue;
      if (sel && (s.id === sel || t.id === sel)) {
        hi.push(e);
        continue;
      }
      ctx.moveTo(s.x, s.y);
      ctx.lineTo(t.x, t.y);
    }
    ctx.stroke();
    if (hi.length) {
      ctx.strokeStyle = EDGE_HI;
      ctx.lineWidth = 1.6 / cam.k;
      ctx.beginPath();
      for (const e of hi) {
        ctx.moveTo(e.source.x, e.source.y);
        ctx.lineTo(e.target.x, e.target.y);
      }
      ctx.stroke();
    }
    if (cam.k > 0.9 && this.shown.edges.length < 4000) this._arrows();
    // nodes: one fill per type
    /** @type {Record<string, GNode[]>} */
    const byType = {};
    for (const n of this.shown.nodes) (byType[n.type] ||= []).push(n);
    for (const [type, nodes] of Object.entries(byType)) {
      ctx.fillStyle = TYPE_COLORS[type] || "#64748b";
      ctx.beginPath();
      for (const n of nodes) {
        const r = radius(n);
        ctx.moveTo((n.x ?? 0) + r, n.y ?? 0);
        ctx.arc(n.x ?? 0, n.y ?? 0, r, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    // rings: search matches, the selected node
    const ring = (/** @type {GNode} */ n, color, width) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = width / cam.k;
      ctx.beginPath();
      ctx.arc(n.x ?? 0, n.y ?? 0, radius(n) + 3 / cam.k, 0, 2 * Math.PI);
      ctx.stroke();
    };
    for (const n of this.shown.nodes) {
      if (this.marked.has(n.id)) ring(n, "#f59e0b", 2.5);
      if (n.id === sel) ring(n, "#111827", 2.5);
    }
    // labels
    const show = labelled(this.shown.nodes, cam.k, { selected: sel, hovered: this.hovered });
    ctx.font = `${11 / cam.k}px system-ui, sans-serif`;
    ctx.textBaseline = "middle";
    for (const n of this.shown.nodes) {
      if (!show.has(n.id)) continue;
      const text = n.label.length > 40 ? n.label.slice(0, 39) + "…" : n.label;
      const x = (n.x ?? 0) + radius(n) + 3 / cam.k, y = n.y ?? 0;
      ctx.lineWidth = 3 / cam.k;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(text, x, y);
      ctx.fillStyle = "#1f2937";
      ctx.fillText(text, x, y);
    }
  }

  _arrows() {
    const { ctx, cam } = this;
    ctx.fillStyle = "rgba(100, 116, 139, 0.6)";
    ctx.beginPath();
    const size = 5 / cam.k;
    for (const e of this.shown.edges) {
      const s = e.source, t = e.target;
      if (typeof s !== "object" || typeof t !== "object") continue;
      const dx = t.x - s.x, dy = t.y - s.y;
      const len = Math.hypot(dx, dy);
      if (len < 1e-6) continue;
      const ux = dx / len, uy = dy / len;
      const r = radius(t) + 1 / cam.k;
      const tipX = t.x - ux * r, tipY = t.y - uy * r;
      ctx.moveTo(tipX, tipY);
      ctx.lineTo(tipX - ux * size - uy * size * 0.5, tipY - uy * size + ux * size * 0.5);
      ctx.lineTo(tipX - ux * size + uy * size * 0.5, tipY - uy * size - ux * size * 0.5);
      ctx.closePath();
    }
    ctx.fill();
  }

  // ------------------------------------------------------------------ interaction
  /**
   * The node under screen point (sx, sy), if any.
   * @param {number} sx
   * @param {number} sy
   * @returns {GNode | null}
   */
  hit(sx, sy) {
    const [wx, wy] = toWorld(this.cam, sx, sy);
    const n = /** @type {GNode | undefined} */ (this.sim.find(wx, wy, 16 / this.cam.k));
    return n || null;
  }

  _wire() {
    const c = this.canvas;
    /** @type {{mode: "pan" | "node", x: number, y: number, moved: boolean, node?: GNode} | null} */
    let drag = null;
    const pos = (/** @type {MouseEvent} */ e) => {
      const r = c.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [sx, sy] = pos(e);
      this.fitted = true;
      this.cam = zoomAt(this.cam, Math.exp(-e.deltaY * 0.0015), sx, sy);
      c.dataset.zoom = this.cam.k.toFixed(3);
      this.requestDraw();
    }, { passive: false });
    c.addEventListener("pointerdown", (e) => {
      const [sx, sy] = pos(e);
      const n = this.hit(sx, sy);
      c.setPointerCapture?.(e.pointerId);
      drag = { mode: n ? "node" : "pan", x: sx, y: sy, moved: false, node: n || undefined };
      if (n) {
        n.fx = n.x;
        n.fy = n.y;
      }
    });
    c.addEventListener("pointermove", (e) => {
      const [sx, sy] = pos(e);
      if (!drag) {
        const n = this.hit(sx, sy);
        const id = n ? n.id : null;
        if (id !== this.hovered) {
          this.hovered = id;
          c.style.cursor = n ? "pointer" : "grab";
          c.title = n ? `${n.label} (${n.type})` : "";
          this.requestDraw();
        }
        return;
      }
      const dx = sx - drag.x, dy = sy - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (!drag.moved) return;
      this.fitted = true;
      if (drag.mode === "pan") {
        this.cam = { ...this.cam, x: this.cam.x + dx, y: this.cam.y + dy };
        drag.x = sx;
        drag.y = sy;
        c.dataset.panX = this.cam.x.toFixed(1);
        this.requestDraw();
      } else if (drag.node) {
        const [wx, wy] = toWorld(this.cam, sx, sy);
        drag.node.fx = wx;
        drag.node.fy = wy;
        this.canvas.dataset.settled = "0";
        this.sim.alphaTarget(0.2).restart();
      }
    });
    const end = (/** @type {PointerEvent} */ e) => {
      if (!drag) return;
      const d = drag;
      drag = null;
      if (d.node) {
        d.node.fx = null;
        d.node.fy = null;
        this.sim.alphaTarget(0);
      }
      if (!d.moved && e.type === "pointerup") {
        const [sx, sy] = pos(e);
        const n = this.hit(sx, sy);
        this.select(n);
        this.onSelect(n);
      }
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("dblclick", (e) => {
      const [sx, sy] = pos(e);
      const n = this.hit(sx, sy);
      if (n) this.onExpand(n);
    });
    if (typeof ResizeObserver !== "undefined") {
      this.resizer = new ResizeObserver(() => this.resize());
      this.resizer.observe(c);
    }
  }

  dispose() {
    this.sim.stop();
    this.resizer?.disconnect();
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}
