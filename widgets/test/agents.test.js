// The agent registry in tables: lib/agents.js's sourceCell (what a source column draws)
// and agentFor (the payload's agents first, then the widget's branding, then the name).
import test from "node:test";
import assert from "node:assert/strict";
import { installFakeDom } from "./fakedom.js";
import { agentFor, sourceCell } from "../src/lib/agents.js";

installFakeDom();

const AVATAR = "data:image/png;base64,iVBORw0KGgo=";
const agents = { atlas: { label: "Atlas Support", role: "Support agent", avatar: AVATAR, description: "Answers billing questions." } };
const branding = { agents: [{ name: "nova", label: "Nova", role: "Router", avatar: null }] };

test("agentFor: the payload's entry, then the branding, then the bare name", () => {
  assert.equal(agentFor("atlas", agents, branding).label, "Atlas Support");
  assert.equal(agentFor("atlas", agents, branding).avatar, AVATAR);
  assert.equal(agentFor("nova", agents, branding).label, "Nova");
  assert.deepEqual(agentFor("orion", agents, branding), { name: "orion", label: "orion", role: "", avatar: null });
  assert.equal(agentFor("toString", {}, null).label, "toString");  // no prototype keys taken for agents
});

test("sourceCell draws the avatar image and the label of a registered source", () => {
  const cell = /** @type {any} */ (sourceCell("atlas", agents, branding));
  assert.equal(cell.tagName, "SPAN");
  assert.equal(cell.getAttribute("data-source"), "atlas");
  assert.equal(cell.getAttribute("data-testid"), "agent");
  assert.equal(cell.getAttribute("title"), "Answers billing questions.");
  const img = cell.findAll((/** @type {any} */ e) => e.tagName === "IMG");
  assert.equal(img.length, 1);
  assert.equal(img[0].getAttribute("src"), AVATAR);
  assert.equal(img[0].getAttribute("alt"), "");  // the label beside it is the text
  assert.equal(cell.textContent, "Atlas Support");  // no role in a table cell
});

test("sourceCell without an avatar shows initials; an unknown source its name; none nothing", () => {
  const nova = /** @type {any} */ (sourceCell("nova", agents, branding));
  assert.equal(nova.findAll((/** @type {any} */ e) => e.tagName === "IMG").length, 0);
  const initials = nova.findAll((/** @type {any} */ e) => e.className.includes("axis-avatar-initials"));
  assert.equal(initials[0].textContent, "NO");
  assert.equal(nova.textContent, "NONova");
  const plain = /** @type {any} */ (sourceCell("orion_bot", {}, null));
  assert.equal(plain.textContent, "OBorion_bot");
  assert.equal(sourceCell(null, agents, branding), "");
  assert.equal(sourceCell("", agents, branding), "");
});
