// Markdown for answers and reports, rendered safely.
//
// Model output is untrusted text (it may quote records that hold HTML or script), so it is
// never given to innerHTML. parseMarkdown() turns the text into plain block and inline
// objects (pure, unit-tested), and renderMarkdown() builds DOM nodes from them with h() and
// text nodes only: a "<script>" in the text stays the text "<script>". Supported: headings,
// paragraphs, bullet and numbered lists, fenced code, block quotes, rules, pipe tables,
// **bold**, *italic*, `code` and [links](https://...) (http, https and mailto only).

import { h } from "./dom.js";

/**
 * @typedef {{type: "text", text: string} | {type: "code", text: string}
 *   | {type: "strong" | "em", children: Inline[]} | {type: "link", href: string, children: Inline[]}
 *   | {type: "br"}} Inline
 * @typedef {{type: "heading", level: number, inline: Inline[]} | {type: "para", inline: Inline[]}
 *   | {type: "list", ordered: boolean, start: number, items: Inline[][]}
 *   | {type: "code", lang: string, text: string} | {type: "quote", blocks: Block[]} | {type: "hr"}
 *   | {type: "table", header: Inline[][], rows: Inline[][][]}} Block
 */

const SAFE_LINK = /^(https?:|mailto:)/i;

/**
 * Inline markup of one line or paragraph. Pure.
 * @param {string} text
 * @returns {Inline[]}
 */
export function parseInline(text) {
  /** @type {Inline[]} */
  const out = [];
  let buf = "";
  const flush = () => {
    if (buf) out.push({ type: "text", text: buf });
    buf = "";
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m;
    if (rest[0] === "\\" && rest.length > 1 && /[\\`*_[\]()#>|-]/.test(rest[1])) {
      buf += rest[1];
      i += 2;
    } else if (rest[0] === "`" && (m = rest.match(/^(`+)([\s\S]*?[^`])\1(?!`)/))) {
      flush();
      out.push({ type: "code", text: m[2].trim() ? m[2].replace(/^ (.*) $/, "$1") : m[2] });
      i += m[0].length;
    } else if ((m = rest.match(/^(\*\*|__)(?=\S)([\s\S]*?\S)\1/))) {
      flush();
      out.push({ type: "strong", children: parseInline(m[2]) });
      i += m[0].length;
    } else if ((m = rest.match(/^(\*|_)(?=\S)([\s\S]*?\S)\1(?![*_\w])/)) && !(m[1] === "_" && /\w$/.test(buf))) {
      flush();
      out.push({ type: "em", children: parseInline(m[2]) });
      i += m[0].length;
    } else if ((m = rest.match(/^\[([^\]]+)\]\(([^()\s]+)\)/))) {
      flush();
      if (SAFE_LINK.test(m[2])) out.push({ type: "link", href: m[2], children: parseInline(m[1]) });
      else out.push({ type: "text", text: m[1] }); // javascript:, data:, ... : the label only
      i += m[0].length;
    } else if (rest.startsWith("  \n")) {
      flush();
      out.push({ type: "br" });
      i += 3;
    } else {
      buf += rest[0] === "\n" ? " " : rest[0];
      i += 1;
    }
  }
  flush();
  return out;
}

/** @param {string} line */
function tableCells(line) {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

const isTableRule = (/** @type {string} */ line) => /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(line);
const LIST_ITEM = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;

/**
 * Blocks of a Markdown text. Pure.
 * @param {string} text
 * @returns {Block[]}
 */
export function parseMarkdown(text) {
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  /** @type {Block[]} */
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (!line.trim()) {
      i += 1;
    } else if ((m = line.match(/^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)/))) {
      const fence = m[1];
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence)) body.push(lines[i++]);
      i += 1; // the closing fence (or the end)
      blocks.push({ type: "code", lang: m[2] || "", text: body.join("\n") });
    } else if ((m = line.match(/^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/))) {
      blocks.push({ type: "heading", level: m[1].length, inline: parseInline(m[2]) });
      i += 1;
    } else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push({ type: "hr" });
      i += 1;
    } else if (/^\s{0,3}>/.test(line)) {
      const body = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) body.push(lines[i++].replace(/^\s{0,3}>\s?/, ""));
      blocks.push({ type: "quote", blocks: parseMarkdown(body.join("\n")) });
    } else if (line.includes("|") && i + 1 < lines.length && isTableRule(lines[i + 1])) {
      const header = tableCells(line).map(parseInline);
      i += 2;
      const rows = [];
      while (i < lines.length && lines[i].includes("|") && lines[i].trim()) {
        rows.push(tableCells(lines[i++]).map(parseInline));
      }
      blocks.push({ type: "table", header, rows });
    } else if ((m = line.match(LIST_ITEM))) {
      const ordered = /\d/.test(m[1]);
      const start = ordered ? parseInt(m[1], 10) : 1;
      /** @type {string[]} */
      const items = [];
      while (i < lines.length) {
        const cur = lines[i];
        const im = cur.match(LIST_ITEM);
        if (im && /\d/.test(im[1]) === ordered) {
          items.push(im[2]);
        } else if (cur.trim() && /^\s{2,}/.test(cur) && items.length) {
          items[items.length - 1] += " " + cur.trim(); // a continuation line
        } else {
          break;
        }
        i += 1;
      }
      blocks.push({ type: "list", ordered, start, items: items.map(parseInline) });
    } else {
      const body = [];
      while (i < lines.length && lines[i].trim() && !startsBlock(lines, i)) body.push(lines[i++]);
      if (!body.length) body.push(lines[i++]);
      blocks.push({ type: "para", inline: parseInline(body.join("\n")) });
    }
  }
  return blocks;
}

/**
 * @param {string[]} lines
 * @param {number} i
 */
function startsBlock(lines, i) {
  const line = lines[i];
  return /^\s{0,3}(#{1,6}\s|>|`{3,}|~{3,})/.test(line) || LIST_ITEM.test(line) ||
    /^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line) ||
    (line.includes("|") && i + 1 < lines.length && isTableRule(lines[i + 1]));
}

/**
 * @param {Inline[]} items
 * @returns {(Node | string)[]}
 */
function inlineNodes(items) {
  return items.map((it) => {
    switch (it.type) {
      case "text": return it.text;
      case "code": return h("code", {}, it.text);
      case "strong": return h("strong", {}, inlineNodes(it.children));
      case "em": return h("em", {}, inlineNodes(it.children));
      case "link": return h("a", { href: it.href, target: "_blank", rel: "noopener noreferrer" }, inlineNodes(it.children));
      case "br": return h("br");
      default: return "";
    }
  });
}

/**
 * @param {Block} b
 * @returns {HTMLElement}
 */
function blockNode(b) {
  switch (b.type) {
    case "heading": return h(`h${Math.min(6, b.level + 2)}`, { class: "axis-md-h" }, inlineNodes(b.inline));
    case "para": return h("p", {}, inlineNodes(b.inline));
    case "list": return h(b.ordered ? "ol" : "ul", b.ordered && b.start !== 1 ? { start: b.start } : {},
      b.items.map((it) => h("li", {}, inlineNodes(it))));
    case "code": return h("pre", { class: "axis-md-code" }, h("code", {}, b.text));
    case "quote": return h("blockquote", {}, b.blocks.map(blockNode));
    case "hr": return h("hr");
    case "table": return h("table", { class: "axis-md-table" },
      h("thead", {}, h("tr", {}, b.header.map((c) => h("th", {}, inlineNodes(c))))),
      h("tbody", {}, b.rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, inlineNodes(c)))))));
    default: return h("div");
  }
}

/**
 * A Markdown text as DOM (text nodes only: no HTML from the text is ever parsed).
 * @param {string} text
 * @returns {HTMLElement}
 */
export function renderMarkdown(text) {
  return h("div", { class: "axis-md" }, parseMarkdown(text).map(blockNode));
}
