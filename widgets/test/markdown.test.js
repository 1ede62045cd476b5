import { test } from "node:test";
import assert from "node:assert/strict";
import { parseInline, parseMarkdown } from "../src/lib/markdown.js";

test("inline: bold, italic, code, safe links only", () => {
  assert.deepEqual(parseInline("**candidate** is *best*: `0.82`"), [
    { type: "strong", children: [{ type: "text", text: "candidate" }] },
    { type: "text", text: " is " },
    { type: "em", children: [{ type: "text", text: "best" }] },
    { type: "text", text: ": " },
    { type: "code", text: "0.82" },
  ]);
  assert.deepEqual(parseInline("[docs](https://example.com/x)"), [
    { type: "link", href: "https://example.com/x", children: [{ type: "text", text: "docs" }] }]);
  // a script URL is never a link: its label stays as text
  assert.deepEqual(parseInline("[click](javascript:alert)"), [{ type: "text", text: "click" }]);
  assert.ok(!JSON.stringify(parseInline("[click](javascript:alert(1))")).includes("\"link\""));
  assert.ok(!JSON.stringify(parseInline("[x](data:text/html;base64,PHNjcmlwdD4=)")).includes("\"link\""));
  assert.equal(parseInline("snake_case_name stays")[0].text, "snake_case_name stays");
});

test("HTML in the text stays text", () => {
  const blocks = parseMarkdown('<script>alert("x")</script>\n\n<img src=x onerror=alert(1)>');
  assert.deepEqual(blocks.map((b) => b.type), ["para", "para"]);
  assert.equal(blocks[0].inline[0].text, '<script>alert("x")</script>');
  assert.equal(blocks[1].inline[0].text, "<img src=x onerror=alert(1)>");
});

test("blocks: headings, lists, code, quotes, tables", () => {
  const md = [
    "## Overall Health", "Mostly **fine**.", "", "1. first", "2. second", "", "- a", "- b",
    "", "```sql", "SELECT 1", "```", "> quoted", "", "| metric | mean |", "|---|---:|",
    "| tone | 0.86 |", "| faithfulness | 0.78 |", "", "---",
  ].join("\n");
  const blocks = parseMarkdown(md);
  assert.deepEqual(blocks.map((b) => b.type),
    ["heading", "para", "list", "list", "code", "quote", "table", "hr"]);
  assert.equal(blocks[0].level, 2);
  assert.equal(blocks[2].ordered, true);
  assert.equal(blocks[2].items.length, 2);
  assert.equal(blocks[3].ordered, false);
  assert.equal(blocks[4].lang, "sql");
  assert.equal(blocks[4].text, "SELECT 1");
  assert.equal(blocks[6].rows.length, 2);
  assert.equal(blocks[6].header[1][0].text, "mean");
  assert.equal(blocks[6].rows[0][1][0].text, "0.86");
});

test("an unclosed fence keeps the rest as code", () => {
  const blocks = parseMarkdown("text\n```\n<b>not bold</b>");
  assert.equal(blocks[1].type, "code");
  assert.equal(blocks[1].text, "<b>not bold</b>");
});
