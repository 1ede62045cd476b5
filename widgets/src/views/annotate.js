// The annotation view (anywidget front end): label one record at a time, keyboard first.
// Python side: axis_jupyter/payloads/annotate.py (actions payload, page, record, label, undo).
//
// Keys (while the view has focus and no text field does): A accept / R reject (binary) or
// the digits of a 1-5 or custom scale, ←/J previous, →/K/Enter next, U or Ctrl+Z undo (20
// steps), F flag, / to the critique (Escape leaves it and saves). A label moves on to the
// next record; the next record is fetched while the label is being saved. Labels are rows
// of the store (never only in this page): the server's when the page is its Jupyter page,
// else the kernel's. The root carries data-lm-suppress-shortcuts so JupyterLab's own
// command-mode keys (A inserts a cell, ...) stay out of the way while labelling.
import "../lib/ui.css";
import "./annotate.css";
import { h, clear, debounce } from "../lib/dom.js";
import { asText, fmtInt } from "../lib/format.js";
import { createShell, snapshotOf, saveParams, saveSnapshot } from "../lib/shell.js";
import { segmented, tabButtons } from "../lib/controls.js";
import { chunksView, conversationView } from "../lib/test-case.js";
import { errorText } from "../lib/transport.js";
import {
  POSITIVE, PRESETS, keyAction, labelText, modeOf, pageOffset, percentDone, pushUndo, scaleValues, toggleTag,
} from "./annotate/logic.js";

const PAGE = 100;
const FILTERS = /** @type {Array<[string, string]>} */ ([
  ["all", "All"], ["pending", "Pending"], ["labelled", "Done"], ["flagged", "Flagged"], ["disagreements", "Disagreements"],
]);
/**
 * Append the children that are there (null/undefined/false are skipped).
 * @param {HTMLElement} el
 * @param {...(Node | null | undefined | false)} children
 */
function put(el, ...children) {
  for (const c of children) if (c) el.append(c);
}

const MODES = /** @type {Array<[string, string]>} */ ([["binary", "Accept / Reject"], ["1-5", "1–5"], ["custom", "Custom"]]);

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const p0 = model.get("params") || {};
  const state = {
    status: p0.status || "all",
    search: p0.search || "",
    modeName: p0.mode || "binary",
    min: p0.min ?? 0,
    max: p0.max ?? 10,
    preset: "quality",
    /** @type {any} */ record: null,
    /** @type {any} */ counts: { total: 0, labelled: 0, pending: 0, flagged: 0, matching: 0 },
    /** @type {any[]} */ page: [],
    pageOffset: 0,
    annotator: "",
    runId: p0.run_id || null,
    /** @type {{revision: number, record_id: string}[]} */ undo: [],
    /** @type {Map<string, Promise<any>>} */ prefetch: new Map(),
    note: "",
    savedCritique: "",
  };
  const mode = () => modeOf({ mode: state.modeName, min: state.min, max: state.max });

  const shell = createShell(model, el, {
    cls: "axis-annotate", testid: "axis-annotate",
    attrs: { tabindex: "0", "data-lm-suppress-shortcuts": "true" },
  });
  const { root, call, showError } = shell;
  const header = h("div", { class: "axis-header" });
  const card = h("div", { class: "axis-an-card", "data-testid": "record-card" });
  const side = h("aside", { class: "axis-an-side", "data-testid": "progress" });
  const noteLine = h("div", { class: "axis-muted axis-an-note", "data-testid": "note" });
  root.append(header, shell.errorBox, h("div", { class: "axis-an-grid" }, card, side), noteLine, shell.status);

  const filterParams = () => ({ status: state.status, ...(state.search ? { search: state.search } : {}),
    ...(state.runId ? { run_id: state.runId } : {}) });
  const cacheKey = (/** @type {string} */ id) => `${state.status}|${state.search}|${state.runId}|after|${id}`;

  // ---------------------------------------------------------------- drawing
  function drawHeader() {
    const m = mode();
    clear(header).append(
      h("span", { class: "axis-title" }, `Annotate · ${model.get("dataset") || ""}`),
      h("span", { class: "axis-muted", "data-testid": "annotator" }, state.annotator ? `as ${state.annotator}` : ""),
      h("span", { class: "axis-an-modes" },
        segmented(MODES, state.modeName, (id) => { state.modeName = id; saveParams(model, { mode: id }); drawHeader(); drawCard(); }, (id) => `mode-${id}`),
        m.kind === "scale" && state.modeName === "custom" ? [
          h("input", { class: "axis-input axis-an-range", type: "number", value: state.min, "data-testid": "range-min", "aria-label": "Minimum",
            onchange: (/** @type {Event} */ e) => { state.min = Number(/** @type {HTMLInputElement} */ (e.target).value); saveParams(model, { min: state.min }); drawCard(); } }),
          h("span", { class: "axis-muted" }, "to"),
          h("input", { class: "axis-input axis-an-range", type: "number", value: state.max, "data-testid": "range-max", "aria-label": "Maximum",
            onchange: (/** @type {Event} */ e) => { state.max = Number(/** @type {HTMLInputElement} */ (e.target).value); saveParams(model, { max: state.max }); drawCard(); } }),
        ] : null));
  }

  /** @param {string} title @param {import("../lib/dom.js").Child} body @param {string} testid @param {string} [cls] */
  const panel = (title, body, testid, cls = "") =>
    h("div", { class: `axis-an-panel ${cls}`, "data-testid": testid }, h("div", { class: "axis-an-panel-title" }, title), body);

  function mine() {
    return state.record ? state.record.mine || null : null;
  }

  function drawCard() {
    clear(card);
    const rec = state.record;
    root.dataset.record = rec ? rec.record_id : "";
    if (!rec) {
      card.append(h("div", { class: "axis-muted axis-an-empty", "data-testid": "empty" },
        state.counts.matching === 0 ? "No records in this list." : "Loading…"));
      return;
    }
    const f = rec.fields || {};
    const label = mine();
    const flagged = !!(label && label.flagged);
    put(card,
      h("div", { class: "axis-an-nav" },
        h("button", { class: "axis-btn", "data-testid": "prev", title: "Previous (←)", onclick: () => go("prev") }, "‹"),
        h("span", { "data-testid": "position" }, `Record ${fmtInt(rec.position + 1)} of ${fmtInt(state.counts.matching)}`),
        h("span", { class: "axis-an-chip axis-id", "data-testid": "record-id" }, rec.record_id),
        h("button", { class: `axis-btn ${flagged ? "active" : ""}`, "data-testid": "flag", title: "Flag (F)", onclick: () => flag() }, flagged ? "⚑ Flagged" : "⚐ Flag"),
        state.undo.length ? h("button", { class: "axis-btn", "data-testid": "undo", title: "Undo (U)", onclick: () => undo() }, `↶ Undo (${state.undo.length})`) : null,
        h("button", { class: "axis-btn", "data-testid": "next", title: "Next (→)", onclick: () => go("next") }, "›")),
      f.query !== undefined ? panel("User query", h("div", { class: "axis-text" }, asText(f.query)), "query", "axis-an-query") : null,
      f.actual_output !== undefined ? panel("AI response · to evaluate", h("div", { class: "axis-text" }, asText(f.actual_output)), "response", "axis-an-response") : null,
      f.expected_output ? panel("Expected", h("div", { class: "axis-text" }, asText(f.expected_output)), "expected") : null,
      f.retrieved_content ? panel("Retrieved context", chunksView(f.retrieved_content), "context") : null,
      f.conversation ? panel("Conversation", conversationView(f.conversation), "conversation") : null,
      scoreRow(label),
      tagRow(label),
      critiqueBox(label),
      othersLine(rec));
  }

  /** @param {any} label */
  function scoreRow(label) {
    const m = mode();
    if (m.kind === "binary") {
      const j = label ? label.judgment : null;
      return h("div", { class: "axis-an-score", "data-testid": "score" },
        h("button", { class: `axis-an-big accept ${j === 1 ? "active" : ""}`, "data-testid": "accept", onclick: () => judge(1) }, "✓ Accept", h("kbd", {}, "A")),
        h("button", { class: `axis-an-big reject ${j === 0 ? "active" : ""}`, "data-testid": "reject", onclick: () => judge(0) }, "✗ Reject", h("kbd", {}, "R")));
    }
    const s = label ? label.score : null;
    return h("div", { class: "axis-an-score", "data-testid": "score" }, scaleValues(m).map((v) =>
      h("button", { class: `axis-an-num ${s === v ? "active" : ""}`, "data-testid": `score-${v}`, onclick: () => score(v) }, String(v))));
  }

  /** @param {any} label */
  function tagRow(label) {
    const tags = (label && label.tags) || [];
    const presetTags = PRESETS[state.preset] || [];
    const all = [...presetTags, ...tags.filter((/** @type {string} */ t) => !presetTags.includes(t))];
    const input = /** @type {HTMLInputElement} */ (h("input", { class: "axis-input axis-an-tag-input", placeholder: "+ tag", "data-testid": "tag-input",
      onkeydown: (/** @type {KeyboardEvent} */ e) => {
        if (e.key === "Enter" && input.value.trim()) { e.preventDefault(); setTags(toggleTag(tags, input.value)); }
      } }));
    return h("div", { class: "axis-an-tags", "data-testid": "tags" },
      h("select", { class: "axis-select", "data-testid": "preset", "aria-label": "Tag preset",
        onchange: (/** @type {Event} */ e) => { state.preset = /** @type {HTMLSelectElement} */ (e.target).value; drawCard(); } },
      Object.keys(PRESETS).map((k) => h("option", { value: k, selected: k === state.preset }, k))),
      all.map((t) => h("button", {
        class: `axis-an-pill ${POSITIVE.has(t) ? "pos" : "neg"} ${tags.includes(t) ? "on" : ""}`,
        "data-testid": `tag-${t}`, onclick: () => setTags(toggleTag(tags, t)),
      }, t)),
      input);
  }

  /** @param {any} label */
  function critiqueBox(label) {
    state.savedCritique = (label && label.critique) || "";
    const box = /** @type {HTMLTextAreaElement} */ (h("textarea", {
      class: "axis-an-critique", "data-testid": "critique", rows: "3", placeholder: "Critique / notes (press / to write, Escape to leave)",
      onblur: () => saveCritique(),
    }));
    box.value = state.savedCritique;
    return box;
  }

  /** @param {any} rec */
  function othersLine(rec) {
    const others = (rec.annotations || []).filter((/** @type {any} */ a) => a.annotator !== state.annotator);
    if (!others.length) return null;
    return h("div", { class: "axis-muted axis-an-others", "data-testid": "others" },
      "Also labelled: ", others.map((/** @type {any} */ a) => `${a.annotator} (${labelText(a) || "no label"})`).join(" · "));
  }

  function drawSide() {
    const c = state.counts;
    const pct = percentDone(c.labelled, c.total);
    const list = h("div", { class: "axis-an-list", "data-testid": "record-list" }, state.page.map((r) => h("button", {
      class: `axis-an-item ${state.record && r.record_id === state.record.record_id ? "current" : ""}`,
      "data-testid": `item-${r.record_id}`, "data-status": r.status,
      onclick: () => openRecord({ record_id: r.record_id }),
    }, h("span", { class: `axis-an-dot ${r.status} ${r.flagged ? "flagged" : ""}` }), h("span", { class: "axis-id" }, r.record_id),
    h("span", { class: "axis-muted axis-an-preview" }, r.preview || ""))));
    const more = c.matching - (state.pageOffset + state.page.length);
    put(clear(side),
      h("div", { class: "axis-an-pct", "data-testid": "percent", "data-value": pct }, `${pct}%`),
      h("div", { class: "axis-an-bar" }, h("div", { style: { width: `${pct}%` } })),
      h("div", { class: "axis-an-stats" },
        stat("Done", c.labelled, "progress-done"), stat("Pending", c.pending, "progress-pending"),
        stat("Flagged", c.flagged, "progress-flagged"), stat("Total", c.total, "progress-total")),
      h("div", { class: "axis-an-filters" }, tabButtons(FILTERS, state.status, (id) => setFilter(id), { prefix: "filter" })),
      h("input", { class: "axis-input", type: "search", placeholder: "Search id, query, output", value: state.search, "data-testid": "search",
        oninput: debounce((/** @type {Event} */ e) => { state.search = /** @type {HTMLInputElement} */ (e.target).value; setFilter(state.status); }, 300) }),
      list,
      more > 0 ? h("div", { class: "axis-muted" }, `+${fmtInt(more)} more`) : null,
      h("details", { class: "axis-an-keys" }, h("summary", {}, "Keyboard"),
        h("div", { class: "axis-muted" }, "A accept · R reject · 1–5 score · ←/→ move · U undo · F flag · / critique · Esc leave")));
  }

  /** @param {string} label @param {number} value @param {string} testid */
  const stat = (label, value, testid) => h("div", { class: "axis-an-stat", "data-testid": testid, "data-value": value },
    h("b", {}, fmtInt(value)), h("span", { class: "axis-muted" }, label));

  function note(text) {
    state.note = text;
    noteLine.textContent = text;
  }

  // ---------------------------------------------------------------- data
  /** @param {any} p the payload action's result */
  function applyPayload(p) {
    state.annotator = p.annotator || state.annotator;
    state.counts = { ...state.counts, ...p.counts };
    state.page = (p.page && p.page.records) || [];
    state.pageOffset = (p.page && p.page.offset) || 0;
    state.record = p.record || null;
    if (p.run_id) state.runId = p.run_id;
    drawHeader();
    drawCard();
    drawSide();
    prefetchNext();
  }

  /** @param {any} counts */
  function applyCounts(counts) {
    if (counts) state.counts = { ...state.counts, ...counts };
  }

  const reloadPage = debounce(() => {
    const offset = state.record ? pageOffset(state.record.position, PAGE) : state.pageOffset;
    call("page", { ...filterParams(), offset, limit: PAGE }).then((p) => {
      state.page = p.records || [];
      state.pageOffset = p.offset || 0;
      applyCounts(p);
      drawSide();
    }).catch(showError);
  }, 250);

  function prefetchNext() {
    const rec = state.record;
    if (!rec) return;
    const key = cacheKey(rec.record_id);
    if (!state.prefetch.has(key)) {
      const p = call("record", { ...filterParams(), after: rec.record_id });
      p.catch(() => {}); // an end of the list is answered when it is used
      state.prefetch.set(key, p);
    }
  }

  /** @param {any} rec */
  function show(rec) {
    state.record = rec;
    drawCard();
    drawSide();
    prefetchNext();
    if (state.record && (state.record.position < state.pageOffset || state.record.position >= state.pageOffset + PAGE)) reloadPage();
  }

  /** @param {Record<string, any>} where */
  async function openRecord(where) {
    await saveCritique();
    try {
      show(await call("record", { ...filterParams(), ...where }));
      showError(null);
    } catch (err) {
      endOrError(err);
    }
  }

  /** @param {unknown} err */
  function endOrError(err) {
    const text = errorText(err);
    if (/no record (after|before|at position)/.test(text)) note(/after/.test(text) ? "That was the last record of this list." : "That is the first record of this list.");
    else showError(err);
  }

  /** @param {"next" | "prev"} dir */
  async function go(dir) {
    const rec = state.record;
    if (!rec) return;
    await saveCritique();
    note("");
    const cached = dir === "next" ? state.prefetch.get(cacheKey(rec.record_id)) : null;
    try {
      const next = await (cached || call("record", { ...filterParams(), [dir === "next" ? "after" : "before"]: rec.record_id }));
      show(next);
      showError(null);
    } catch (err) {
      state.prefetch.delete(cacheKey(rec.record_id));
      endOrError(err);
    }
  }

  /**
   * Save fields of the current record's label; with `advance`, move on while it saves.
   * @param {Record<string, any>} fields
   * @param {boolean} [advance]
   */
  async function save(fields, advance = false) {
    const rec = state.record;
    if (!rec) return;
    const key = cacheKey(rec.record_id);
    // A label changes what "pending"/"labelled"/"flagged" hold after this record: only the
    // list's order is stable, so the prefetched next record stays valid.
    const saving = call("label", { record_id: rec.record_id, ...fields });
    const next = advance ? (state.prefetch.get(key) || call("record", { ...filterParams(), after: rec.record_id })) : null;
    if (next) next.catch(() => {});
    try {
      const out = await saving;
      applyCounts(out.counts);
      if (out.label && out.label.changed) state.undo = pushUndo(state.undo, { revision: out.label.revision, record_id: rec.record_id });
      root.dataset.savedRevision = String(out.label ? out.label.revision : "");
      rec.mine = out.label;
      showError(null);
    } catch (err) {
      showError(err);
      return;
    }
    state.prefetch.clear(); // statuses changed: later prefetches ask again
    if (next) {
      try {
        show(await next);
      } catch (err) {
        drawCard();
        drawSide();
        endOrError(err);
      }
    } else {
      drawCard();
      drawSide();
    }
    reloadPage();
  }

  /** @param {number} v */
  const judge = (v) => save({ judgment: v }, true);
  /** @param {number} v */
  const score = (v) => save({ score: v }, true);
  const flag = () => save({ flagged: !(mine() && mine().flagged) });
  /** @param {string[]} tags */
  const setTags = (tags) => save({ tags });

  async function saveCritique() {
    const box = /** @type {HTMLTextAreaElement | null} */ (card.querySelector("[data-testid=critique]"));
    if (!box || !state.record) return;
    const text = box.value;
    if (text === state.savedCritique) return;
    state.savedCritique = text;
    await save({ critique: text });
  }

  async function undo() {
    const last = state.undo[state.undo.length - 1];
    if (!last) return;
    state.undo = state.undo.slice(0, -1);
    try {
      const out = await call("undo", { revision: last.revision });
      applyCounts(out.counts);
      root.dataset.savedRevision = String(out.label.revision);
      state.prefetch.clear();
      note(`Undone: ${last.record_id} is ${labelText(out.label) || "unlabelled"} again.`);
      try {
        show(await call("record", { ...filterParams(), record_id: last.record_id }));
      } catch {
        drawCard();
        drawSide();
      }
      showError(null);
      reloadPage();
    } catch (err) {
      showError(err);
      drawCard();
    }
  }

  /** @param {string} status */
  async function setFilter(status) {
    await saveCritique();
    state.status = status;
    state.prefetch.clear();
    saveParams(model, { status });
    note("");
    await shell.refresh("payload", { ...filterParams(), position: 0 }, (p) => {
      applyPayload(p);
      saveSnapshot(model, p);
    });
  }

  // ---------------------------------------------------------------- keys
  root.addEventListener("keydown", (ev) => {
    const target = /** @type {HTMLElement} */ (ev.target);
    const typing = target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && (/** @type {HTMLInputElement} */ (target)).type !== "button") || target.tagName === "SELECT";
    const act = keyAction(ev, mode(), typing);
    if (!act) return;
    ev.preventDefault();
    ev.stopPropagation();
    switch (act.action) {
      case "leave": target.blur(); root.focus(); break;
      case "judge": judge(/** @type {number} */ (act.value)); break;
      case "score": score(/** @type {number} */ (act.value)); break;
      case "next": go("next"); break;
      case "prev": go("prev"); break;
      case "undo": undo(); break;
      case "flag": flag(); break;
      case "critique": /** @type {HTMLElement | null} */ (card.querySelector("[data-testid=critique]"))?.focus(); break;
    }
  });
  // a click on the card (not on a control) gives the keys back to the view
  root.addEventListener("click", (ev) => {
    const t = /** @type {HTMLElement} */ (ev.target);
    if (!["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(t.tagName)) root.focus();
  });

  const snap = snapshotOf(model);
  drawHeader();
  if (snap) applyPayload(snap);
  else {
    drawCard();
    drawSide();
    shell.refresh("payload", { ...filterParams(), position: p0.position || 0 }, (p) => { applyPayload(p); saveSnapshot(model, p); });
  }
  shell.announceTransport();
  return () => shell.transport.dispose();
}

export default { render };
