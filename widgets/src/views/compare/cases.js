// The compare view's "Test cases" mode (see ../compare.js): every experiment side by side
// per test case, or one row per case and experiment. Search, quick filters, sort and
// paging run on the server (the `test_cases` action); the CSV is the server's too, of
// every case the filters keep (`test_cases_export`); a case opens in a dialog (`test_case`).
import { h, clear } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtInt, asText, isEmpty } from "../../lib/format.js";
import { segmented, searchBox, refocus, select } from "../../lib/controls.js";
import { overlayBox, dismissable, closeOverlay, placeNear } from "../../lib/overlay.js";
import { testCaseView } from "../../lib/test-case.js";
import { wordDiff, changedShare } from "../../lib/textdiff.js";
import { errorText } from "../../lib/transport.js";
import { QUICK, TEXT_MODES, PAGE_SIZES, caseParams, nextCaseSort, classicRows, summaryText,
  referenceExperiment } from "./cases-logic.js";

/** @typedef {import("../compare.js").CompareContext} CompareContext */

/** @type {Record<string, string>} */
const FIELD_LABELS = {
  expected_output: "Expected output", additional_input: "Additional input", additional_output: "Additional output",
  conversation: "Conversation", retrieved_content: "Retrieved content", acceptance_criteria: "Acceptance criteria",
};

/** A score as a coloured badge. @param {number | null | undefined} v */
const badge = (v) => h("span", { class: "axis-score-badge", style: { color: scoreColor(v), borderColor: scoreColor(v) } }, fmtScore(v));

/**
 * Draw the section, then load its page.
 * @param {CompareContext} ctx
 */
export function casesSection(ctx) {
  const sec = clear(ctx.sections.cases);
  const controls = h("div", { class: "axis-cases-controls", "data-testid": "cases-controls" });
  const summary = h("div", { class: "axis-muted", "data-testid": "cases-summary" }, "Loading…");
  const tableBox = h("div", { class: "axis-scroll axis-cases-box", "data-testid": "cases-box" });
  const pager = h("div", { class: "axis-pager" });
  const dialog = overlayBox("case-dialog");
  dismissable(dialog, ctx.root, () => closeOverlay(dialog));
  sec.append(ctx.head("Test cases"), controls, summary, tableBox, pager, dialog);
  const parts = { controls, summary, tableBox, pager, dialog };
  drawControls(ctx, parts);
  loadCases(ctx, parts);
}

/** @typedef {{controls: HTMLElement, summary: HTMLElement, tableBox: HTMLElement, pager: HTMLElement, dialog: HTMLElement}} Parts */

/**
 * @param {CompareContext} ctx @param {Parts} parts
 * @param {{keepPage?: boolean}} [opts]
 */
function reload(ctx, parts, { keepPage = false } = {}) {
  if (!keepPage) ctx.state.cases.page = 1;
  ctx.saveParams();
  drawControls(ctx, parts);
  loadCases(ctx, parts);
}

/** @param {CompareContext} ctx @param {Parts} parts */
function drawControls(ctx, parts) {
  const cs = ctx.state.cases;
  const data = ctx.state.casesData;
  const metrics = data?.metrics || [];
  const fields = data?.fields || [];
  const box = clear(parts.controls);
  box.append(
    searchBox({ testid: "cases-search", placeholder: "Search id, query or output", value: cs.search,
      onsearch: (v) => { cs.search = v; reload(ctx, parts); refocus(parts.controls, "cases-search"); } }),
    segmented(QUICK, cs.quick, (q) => { cs.quick = q; reload(ctx, parts); }, (q) => `quick-${q}`),
    segmented([["side", "Side by side"], ["classic", "Classic"]], cs.layout, (l) => {
      cs.layout = /** @type {"side" | "classic"} */ (l);
      ctx.saveParams();
      drawControls(ctx, parts);
      drawTable(ctx, parts);
    }, (l) => `layout-${l}`),
    checklist("Metrics", "metric-picker", metrics, cs.metrics, (chosen) => { cs.metrics = chosen; reload(ctx, parts); }),
    checklist("Fields", "field-picker", fields, cs.fields, (chosen) => { cs.fields = chosen; reload(ctx, parts, { keepPage: true }); },
      (f) => FIELD_LABELS[f] || f),
    h("label", { class: "axis-filter" }, "Text ",
      segmented(TEXT_MODES, cs.text, (m) => {
        const refetch = (m === "full") !== (cs.text === "full");
        cs.text = /** @type {"clip" | "wrap" | "full"} */ (m);
        if (refetch) reload(ctx, parts, { keepPage: true });
        else { ctx.saveParams(); drawControls(ctx, parts); drawTable(ctx, parts); }
      }, (m) => `text-${m}`)),
    h("label", { class: "axis-filter" }, "Per page ",
      select({ testid: "cases-page-size", options: PAGE_SIZES.map((n) => [n, String(n)]), value: cs.pageSize,
        onchange: (v) => { cs.pageSize = Number(v); reload(ctx, parts); } })),
    exportButton(ctx));
}

/**
 * A drop-down list of checkboxes ("Metrics 3 of 10"); `chosen` null means all.
 * @param {string} label @param {string} testid @param {string[]} items @param {string[] | null} chosen
 * @param {(chosen: string[] | null) => void} onchange @param {(v: string) => string} [name]
 */
function checklist(label, testid, items, chosen, onchange, name = (v) => v) {
  const on = new Set(chosen ?? items);
  const count = chosen === null ? items.length : items.filter((i) => on.has(i)).length;
  const apply = () => onchange(items.every((i) => on.has(i)) ? null : items.filter((i) => on.has(i)));
  return h("details", { class: "axis-picker", "data-testid": testid },
    h("summary", { class: "axis-btn" }, `${label} ${count} of ${items.length}`),
    h("div", { class: "axis-picker-list" },
      h("div", { class: "axis-strip" },
        h("button", { class: "axis-btn", onclick: () => onchange(null) }, "All"),
        h("button", { class: "axis-btn", onclick: () => onchange(label === "Fields" ? [] : items.slice(0, 1)) }, label === "Fields" ? "None" : "First")),
      items.map((i) => h("label", { class: "axis-picker-item" },
        h("input", { type: "checkbox", value: i, checked: on.has(i), "data-testid": `${testid}-item`,
          onchange: (/** @type {any} */ e) => {
            if (e.target.checked) on.add(i);
            else on.delete(i);
            if (label !== "Fields" && !on.size) { on.add(i); e.target.checked = true; return; } // one metric at least
            apply();
          } }), " ", name(i)))));
}

/** @param {CompareContext} ctx */
function exportButton(ctx) {
  return h("button", { class: "axis-btn", "data-testid": "cases-export", title: "Every test case the filters keep, as CSV",
    onclick: async (/** @type {any} */ e) => {
      const b = e.currentTarget;
      b.disabled = true;
      try {
        const cs = ctx.state.cases;
        const out = await ctx.call("test_cases_export", { ...caseParams(cs, ctx.filters(), { paged: false }), layout: cs.layout });
        ctx.download(out.text, out.mime || "text/csv", out.filename || "test_cases.csv");
        ctx.root.dataset.exported = out.filename;
        ctx.root.dataset.exportedRows = String(out.rows);
        ctx.root.dataset.exportedCases = String(out.cases);
      } catch (err) {
        ctx.showError(err);
      } finally {
        b.disabled = false;
      }
    } }, "Export CSV");
}

/** @param {CompareContext} ctx @param {Parts} parts */
async function loadCases(ctx, parts) {
  const st = ctx.state;
  const my = ++st.casesSeq;
  parts.tableBox.classList.add("axis-loading");
  try {
    const d = await ctx.call("test_cases", caseParams(st.cases, ctx.filters()));
    if (my !== st.casesSeq) return;
    st.casesData = d;
    ctx.showError(null);
    drawControls(ctx, parts);
    drawTable(ctx, parts);
    ctx.onCases(d);
  } catch (err) {
    if (my === st.casesSeq) {
      clear(parts.tableBox).append(h("div", { class: "axis-error" }, errorText(err)));
      parts.summary.textContent = "";
    }
  } finally {
    if (my === st.casesSeq) parts.tableBox.classList.remove("axis-loading");
  }
}

/** @param {CompareContext} ctx @param {Parts} parts */
function drawTable(ctx, parts) {
  const d = ctx.state.casesData;
  if (!d) return;
  const cs = ctx.state.cases;
  const box = clear(parts.tableBox);
  parts.summary.textContent = summaryText(d);
  Object.assign(parts.summary.dataset, { total: String(d.total), rows: String(d.total_rows), all: String(d.all_cases) });
  Object.assign(box.dataset, { quick: d.quick, layout: cs.layout, page: String(d.page), text: cs.text });
  if (!d.rows.length) {
    box.append(h("div", { class: "axis-empty", "data-testid": "cases-empty" },
      d.all_cases ? "No test case matches these filters." : "No scored test cases."));
  } else {
    box.append(cs.layout === "classic" ? classicTable(ctx, parts, d) : sideTable(ctx, parts, d));
  }
  const pages = Math.max(1, Math.ceil(d.total / cs.pageSize));
  const go = (/** @type {number} */ p) => { cs.page = p; ctx.saveParams(); loadCases(ctx, parts); };
  clear(parts.pager).append(
    h("span", { "data-testid": "cases-range" }, d.total ? `${fmtInt((d.page - 1) * cs.pageSize + 1)}–${fmtInt(Math.min(d.total, d.page * cs.pageSize))} of ${fmtInt(d.total)}` : "0 of 0"),
    h("button", { class: "axis-btn", disabled: d.page <= 1, "data-testid": "cases-prev", onclick: () => go(d.page - 1) }, "‹ Prev"),
    h("span", {}, `${d.page} / ${pages}`),
    h("button", { class: "axis-btn", disabled: d.page >= pages, "data-testid": "cases-next", onclick: () => go(d.page + 1) }, "Next ›"));
}

/**
 * A sortable header cell.
 * @param {CompareContext} ctx @param {Parts} parts @param {string} key @param {import("../../lib/dom.js").Child} label
 * @param {{num?: boolean, style?: Record<string, string>}} [opts]
 */
function sortTh(ctx, parts, key, label, { num = false, style } = {}) {
  const sort = ctx.state.cases.sort;
  const on = sort.key === key;
  return h("th", {
    class: `axis-sortable${num ? " axis-num" : ""}`, "data-testid": `cases-sort-${key}`, "data-sort": on ? (sort.dir > 0 ? "asc" : "desc") : "",
    style, title: "Sort (click again to reverse, a third time to reset)",
    onclick: () => { ctx.state.cases.sort = nextCaseSort(sort, key); reload(ctx, parts); },
  }, label, on ? (sort.dir > 0 ? " ▲" : " ▼") : "");
}

/**
 * The output of one experiment: clipped, wrapped or (full) with its differences from the
 * reference experiment's output highlighted.
 * @param {CompareContext} ctx @param {any} row @param {string} exp @param {string[]} exps
 */
function outputNode(ctx, row, exp, exps) {
  const cs = ctx.state.cases;
  const cell = row.cells[exp];
  const text = cell.output;
  if (text === null || text === undefined) return h("div", { class: "axis-muted" }, "no output");
  const cut = cell.output_length > String(text).length;
  const cls = `axis-out axis-out-${cs.text}`;
  if (cs.text !== "full") return h("div", { class: cls, title: cs.text === "clip" ? String(text) : undefined }, text, cut ? "…" : "");
  const ref = referenceExperiment(row, exps);
  if (!ref || ref === exp) {
    return h("div", { class: cls, "data-testid": "diff-reference" }, h("span", { class: "axis-muted axis-ref-tag" }, "reference "), text, cut ? "…" : "");
  }
  const parts = wordDiff(row.cells[ref].output, text);
  const share = changedShare(parts);
  return h("div", { class: cls, "data-testid": "diff-output", "data-changed": share.toFixed(3) },
    parts.map((p) => (p.type === "same" ? p.text : h(p.type === "add" ? "ins" : "del", { class: `axis-diff-${p.type}` }, p.text))),
    cut ? "…" : "");
}

/** Mini scores of one cell's metrics. @param {any} cell @param {string[]} shown */
function miniScores(cell, shown) {
  return h("div", { class: "axis-mini" }, shown.filter((m) => m in cell.metrics).map((m) =>
    h("span", { class: "axis-mini-score", title: `${m}: ${fmtScore(cell.metrics[m])}` },
      h("span", { class: "axis-muted" }, m), " ", h("b", { style: { color: scoreColor(cell.metrics[m]) } }, fmtScore(cell.metrics[m], 2)))));
}

/** @param {CompareContext} ctx @param {Parts} parts @param {any} d */
function sideTable(ctx, parts, d) {
  const exps = d.experiments;
  const colors = d.colors || {};
  const expanded = ctx.state.casesExpanded;
  const head = h("tr", {}, h("th", {}, ""), sortTh(ctx, parts, "case_id", "Test case"),
    sortTh(ctx, parts, "mean", "Mean", { num: true }), sortTh(ctx, parts, "std", "Std dev", { num: true }),
    exps.map((/** @type {string} */ e) => sortTh(ctx, parts, `score:${e}`, h("span", { class: "axis-exp-name" },
      h("span", { class: "axis-swatch", style: { background: colors[e] } }), e), { style: { borderTop: `3px solid ${colors[e] || "transparent"}` } })),
    h("th", {}, ""));
  const body = h("tbody", {});
  for (const row of d.rows) {
    const open = expanded.has(row.case_id);
    body.append(h("tr", { "data-testid": "case-row", "data-case": row.case_id, "data-mean": row.mean ?? "", "data-std": row.std ?? "",
      class: open ? "axis-row-selected" : undefined },
      h("td", {}, h("button", { class: "axis-btn axis-link", "data-testid": "case-expand", "aria-expanded": open ? "true" : "false",
        title: open ? "Hide the details" : "Show the details", onclick: () => {
          if (open) expanded.delete(row.case_id);
          else expanded.add(row.case_id);
          drawTable(ctx, parts);
        } }, open ? "▾" : "▸")),
      h("td", { class: "axis-case-head" }, h("div", { class: "axis-id" }, row.case_id), h("div", { class: "axis-case-query" }, row.query ?? "")),
      h("td", { class: "axis-num" }, badge(row.mean)),
      h("td", { class: "axis-num", "data-col": "std" }, fmtScore(row.std)),
      exps.map((/** @type {string} */ e) => {
        const cell = row.cells[e];
        if (!cell) return h("td", { class: "axis-cell axis-muted", "data-exp": e }, "not scored");
        return h("td", { class: "axis-cell", "data-exp": e, "data-score": cell.score ?? "" },
          badge(cell.score), outputNode(ctx, row, e, exps), miniScores(cell, d.shown_metrics));
      }),
      h("td", {}, h("button", { class: "axis-btn", "data-testid": "case-open", title: "Open the test case",
        onclick: (/** @type {any} */ ev) => openCase(ctx, parts, row.case_id, ev.currentTarget) }, "Details"))));
    if (open) body.append(h("tr", { class: "axis-case-more", "data-testid": "case-more" },
      h("td", { colspan: 5 + exps.length }, expandedDetail(d, row))));
  }
  return h("table", { class: "axis-table axis-cases", "data-testid": "cases-table", "data-layout": "side" }, h("thead", {}, head), body);
}

/** The detail fields of each experiment and the metric x experiment table. @param {any} d @param {any} row */
function expandedDetail(d, row) {
  const exps = d.experiments.filter((/** @type {string} */ e) => row.cells[e]);
  const metrics = d.shown_metrics.filter((/** @type {string} */ m) => exps.some((/** @type {string} */ e) => m in row.cells[e].metrics));
  const fields = d.shown_fields || [];
  return h("div", { class: "axis-row" },
    fields.length ? h("div", { class: "axis-grow" }, fields.map((/** @type {string} */ f) => {
      const values = exps.map((/** @type {string} */ e) => row.cells[e].fields[f]);
      if (values.every((v) => isEmpty(v))) return null;
      const same = values.every((v) => v === values[0]);
      return h("div", { class: "axis-field" }, h("div", { class: "axis-subhead" }, FIELD_LABELS[f] || f),
        same ? h("div", { class: "axis-text" }, asText(values[0]))
          : exps.map((/** @type {string} */ e, /** @type {number} */ i) => h("div", { class: "axis-text" }, h("b", {}, `${e}: `), asText(values[i]))));
    })) : null,
    h("table", { class: "axis-table axis-grid-small", "data-testid": "case-metric-grid" },
      h("thead", {}, h("tr", {}, h("th", {}, "Metric"), exps.map((/** @type {string} */ e) => h("th", { class: "axis-num" }, e)))),
      h("tbody", {}, metrics.map((/** @type {string} */ m) => h("tr", {}, h("td", {}, m),
        exps.map((/** @type {string} */ e) => h("td", { class: "axis-num", style: { color: scoreColor(row.cells[e].metrics[m]) } }, fmtScore(row.cells[e].metrics[m]))))))));
}

/** @param {CompareContext} ctx @param {Parts} parts @param {any} d */
function classicTable(ctx, parts, d) {
  const exps = d.experiments;
  const colors = d.colors || {};
  const shown = d.shown_metrics;
  const head = h("tr", {}, sortTh(ctx, parts, "case_id", "Test case"), h("th", {}, "Experiment"), h("th", {}, "Query"), h("th", {}, "Response"),
    shown.map((/** @type {string} */ m) => sortTh(ctx, parts, `metric:${m}`, m, { num: true })),
    sortTh(ctx, parts, "mean", "Overall", { num: true }), h("th", {}, ""));
  const body = h("tbody", {}, classicRows(d.rows, exps).map(({ row, exp, cell, first }) => h("tr", {
    "data-testid": "classic-row", "data-case": row.case_id, "data-exp": exp, class: first ? "axis-case-first" : "" },
  h("td", { class: "axis-id" }, first ? row.case_id : ""),
  h("td", {}, h("span", { class: "axis-exp-name" }, h("span", { class: "axis-swatch", style: { background: colors[exp] } }), exp)),
  h("td", { class: "axis-case-query" }, first ? row.query ?? "" : ""),
  h("td", { class: "axis-resp-cell" }, outputNode(ctx, row, exp, exps)),
  shown.map((/** @type {string} */ m) => h("td", { class: "axis-num", style: { color: scoreColor(cell.metrics[m]) } }, fmtScore(cell.metrics[m]))),
  h("td", { class: "axis-num" }, badge(cell.score)),
  h("td", {}, h("button", { class: "axis-btn", "data-testid": "case-open", onclick: (/** @type {any} */ ev) => openCase(ctx, parts, row.case_id, ev.currentTarget) }, "Details")))));
  return h("table", { class: "axis-table axis-cases", "data-testid": "cases-table", "data-layout": "classic" }, h("thead", {}, head), body);
}

/**
 * The case dialog: the experiments' scores, the metric x experiment grid and every field
 * of the case per experiment; it opens beside the clicked row.
 * @param {CompareContext} ctx @param {Parts} parts @param {string} caseId @param {Element} anchor
 */
async function openCase(ctx, parts, caseId, anchor) {
  const dialog = parts.dialog;
  dialog.hidden = false;
  const panel = h("div", { class: "axis-panel", "data-testid": "case-panel", "data-case": caseId }, h("div", { class: "axis-muted" }, "Loading…"));
  clear(dialog).append(panel);
  placeNear(dialog, panel, anchor);
  try {
    const d = await ctx.call("test_case", { case_id: caseId, filters: ctx.filters(), metrics: ctx.state.cases.metrics || undefined });
    const colors = ctx.state.casesData?.colors || {};
    const exps = d.order.filter((/** @type {string} */ e) => d.scores[e] !== undefined);
    clear(panel).append(
      h("div", { class: "axis-panel-head" }, h("span", { class: "axis-title" }, "Test case ", h("span", { class: "axis-id" }, caseId)),
        h("button", { class: "axis-btn", "data-testid": "case-close", onclick: () => closeOverlay(dialog) }, "✕")),
      h("div", { class: "axis-strip" }, exps.map((/** @type {string} */ e) => h("span", { class: "axis-exp-name", "data-testid": "case-score", "data-exp": e, "data-value": d.scores[e] },
        h("span", { class: "axis-swatch", style: { background: colors[e] } }), `${e} `, badge(d.scores[e])))),
      h("div", { class: "axis-scroll" }, h("table", { class: "axis-table axis-grid-small", "data-testid": "case-grid" },
        h("thead", {}, h("tr", {}, h("th", {}, "Metric"), exps.map((/** @type {string} */ e) => h("th", { class: "axis-num" }, e)))),
        h("tbody", {}, d.grid.map((/** @type {any} */ g) => h("tr", { "data-metric": g.metric_name }, h("td", {}, g.metric_name),
          exps.map((/** @type {string} */ e) => h("td", { class: "axis-num", style: { color: scoreColor(g[e]) } }, fmtScore(g[e])))))))));
    const fields = h("div", { class: "axis-case-fields" });
    panel.append(fields);
    testCaseView(fields, d);
    placeNear(dialog, panel, anchor);
  } catch (err) {
    clear(panel).append(h("div", { class: "axis-error" }, errorText(err)),
      h("button", { class: "axis-btn", onclick: () => closeOverlay(dialog) }, "Close"));
  }
}
