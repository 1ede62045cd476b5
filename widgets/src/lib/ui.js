// Shared UI bits for AXIS views: DOM helper, score colours and formats, KPI cards,
// type pills, sparklines (SVG) and a paged table.

const SVG_NS = "http://www.w3.org/2000/svg";

/** h("div", {class: "x", onclick: fn, dataset: {k: v}}, child, "text", ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Same as h for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const COLORS = { good: "#16a34a", warn: "#d97706", bad: "#dc2626", none: "#a8a29e" };

/** "good" (>= 0.7), "warn" (>= 0.5), "bad" (below) or "none" (null). */
export function scoreBand(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "none";
  return v >= 0.7 ? "good" : v >= 0.5 ? "warn" : "bad";
}

export function scoreColor(v) {
  return COLORS[scoreBand(v)];
}

export function fmtScore(v, digits = 3) {
  return v === null || v === undefined ? "—" : Number(v).toFixed(digits);
}

export function fmtPct(v, digits = 1) {
  return v === null || v === undefined ? "—" : `${(v * 100).toFixed(digits)}%`;
}

export function fmtInt(v) {
  return v === null || v === undefined ? "—" : Number(v).toLocaleString("en-US");
}

/** A KPI card; value is the raw number (kept in data-value for tests and tooling). */
export function kpiCard({ label, value, text, sub, color, testid }) {
  return h(
    "div",
    { class: "axis-kpi", "data-testid": testid, "data-value": value ?? "" },
    h("div", { class: "axis-kpi-label" }, label),
    h("div", { class: "axis-kpi-value", style: color ? { color } : undefined }, text),
    sub ? h("div", { class: "axis-kpi-sub" }, sub) : null,
  );
}

export function typePill(type) {
  const t = (type || "metric").toLowerCase();
  return h("span", { class: `axis-pill axis-pill-${t}` }, t.toUpperCase());
}

/** 5-bin (or n-bin) histogram over [0, 1] with a dashed mean line and dot. */
export function sparkline(hist, mean, { width = 100, height = 24 } = {}) {
  const bins = hist || [];
  const top = Math.max(1, ...bins);
  const bw = width / Math.max(1, bins.length);
  const svg = s("svg", {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: "axis-spark",
    "data-bins": bins.join(","),
  });
  const labels = bins.map((c, i) => `${(i / bins.length).toFixed(1)}–${((i + 1) / bins.length).toFixed(1)}: ${c}`);
  svg.append(s("title", {}, `${labels.join("\n")}\nmean: ${fmtScore(mean)}`));
  bins.forEach((c, i) => {
    const bh = ((height - 2) * c) / top;
    svg.append(
      s("rect", {
        x: (i * bw + 1).toFixed(1),
        y: (height - bh).toFixed(1),
        width: Math.max(1, bw - 2).toFixed(1),
        height: bh.toFixed(1),
        fill: scoreColor((i + 0.5) / bins.length),
        "fill-opacity": 0.55,
      }),
    );
  });
  if (mean !== null && mean !== undefined) {
    const x = Math.min(width - 1, Math.max(1, mean * width));
    svg.append(s("line", { x1: x, x2: x, y1: 0, y2: height, stroke: "#dc2626", "stroke-dasharray": "2,2" }));
    svg.append(s("circle", { cx: x, cy: 3, r: 2.5, fill: "#dc2626" }));
  }
  return svg;
}

/**
 * A table with a pager. columns: [{key, label, format?(value,row) -> Node|string, class?}]
 * onPage(page) is called with the new page number; total/page/pageSize are server-side.
 */
export function pagedTable({ columns, rows, total, page, pageSize, onPage, testid, rowAttrs }) {
  const pages = Math.max(1, Math.ceil((total || 0) / pageSize));
  const first = total ? (page - 1) * pageSize + 1 : 0;
  const last = Math.min(total || 0, page * pageSize);
  const table = h(
    "table",
    { class: "axis-table", "data-testid": testid },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.class }, c.label)))),
    h(
      "tbody",
      {},
      rows.map((r) =>
        h(
          "tr",
          rowAttrs ? rowAttrs(r) : {},
          columns.map((c) => h("td", { class: c.class }, c.format ? c.format(r[c.key], r) : r[c.key] ?? "—")),
        ),
      ),
    ),
  );
  const pager = h(
    "div",
    { class: "axis-pager" },
    h("span", { "data-testid": testid ? `${testid}-range` : undefined }, `Showing ${fmtInt(first)}–${fmtInt(last)} of ${fmtInt(total)}`),
    h("button", { class: "axis-btn", disabled: page <= 1, onclick: () => onPage(page - 1), "data-testid": "prev" }, "‹ Prev"),
    h("span", {}, `${page} / ${pages}`),
    h("button", { class: "axis-btn", disabled: page >= pages, onclick: () => onPage(page + 1), "data-testid": "next" }, "Next ›"),
  );
  return h("div", { class: "axis-paged" }, table, pager);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}
