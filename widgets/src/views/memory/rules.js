// The Rules tab: a filter bar (one dropdown per filter role, Clear), a search box, a
// sortable table of 15 rules a page with action badges and status dots, a row's details
// and decision path on click, and the rule editor (add, edit, delete).
import { h, clear } from "../../lib/dom.js";
import { labelledSelect, optionsOf, searchBox } from "../../lib/controls.js";
import { fmtInt } from "../../lib/format.js";
import { nextSort, sortArrow } from "../../lib/table.js";
import { decisionPath } from "./path.js";

const STATUS_COLORS = { ingested: "#16a34a", pending: "#a8a29e", failed: "#dc2626" };
/** The editor's fields: [role column, label, kind]. */
export const EDITOR_FIELDS = [
  ["rule_name", "Rule name", "text"], ["action", "Action", "text"], ["risk_factor", "Risk factor", "text"],
  ["risk_category", "Category", "text"], ["product_type", "Product", "text"],
  ["threshold_type", "Threshold type", "text"], ["threshold", "Threshold", "text"],
  ["mitigants", "Mitigants (comma-separated)", "list"], ["ingestion_status", "Status", "text"],
  ["outcome_description", "Description", "area"],
];

/**
 * The fields of an edited rule to send: text trimmed, lists split on commas; on an update
 * only what changed (`before` given).
 * @param {Record<string, string>} values form values by column
 * @param {Record<string, any> | null} [before] the rule before the edit
 */
export function editedFields(values, before = null) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const [col, , kind] of EDITOR_FIELDS) {
    const raw = (values[col] ?? "").trim();
    const value = kind === "list" ? raw.split(",").map((x) => x.trim()).filter(Boolean) : raw;
    if (!before) {
      if (kind === "list" ? value.length : value) out[col] = value;
      continue;
    }
    const old = before[col];
    const same = kind === "list" ? JSON.stringify(old || []) === JSON.stringify(value) : (old ?? "") === value;
    if (!same) out[col] = value;
  }
  return out;
}

/** @param {any} ctx the view's context (call, state, refreshAll, colors) */
export function rulesTab(ctx) {
  const box = h("div", { class: "axis-mem-rules", "data-testid": "rules-tab" });
  const st = ctx.state;
  st.rules ||= { page: 1, sort: { key: "id", dir: 1 }, search: "", filters: {}, open: null, editing: null };
  const r = st.rules;

  const filterBar = () => {
    const opts = ctx.payload.options || {};
    const labels = ctx.payload.config.labels || {};
    const roleCols = ctx.payload.config.role_columns || {};
    const selects = (ctx.payload.config.filter_roles || []).map((/** @type {string} */ role) => {
      const col = roleCols[role];
      return labelledSelect({ label: `${labels[role] || role} `, testid: `filter-${col}`, aria: labels[role] || role,
        options: optionsOf(opts[col] || []), value: r.filters[col] || "", first: ["", "All"],
        onchange: (v) => { if (v) r.filters[col] = v; else delete r.filters[col]; r.page = 1; load(); } });
    });
    return h("div", { class: "axis-mem-filters" }, selects,
      h("button", { class: "axis-btn", "data-testid": "clear-filters", onclick: () => { r.filters = {}; r.search = ""; r.page = 1; draw(null); load(); } }, "Clear"),
      searchBox({ testid: "rule-search", placeholder: "search rules", value: r.search,
        onsearch: (v) => { r.search = v; r.page = 1; load(); } }),
      h("button", { class: "axis-btn", "data-testid": "add-rule", onclick: () => { r.editing = { rule: null }; draw(last); } }, "+ Add new rule"));
  };

  /** @type {any} */
  let last = null;
  const tableBox = h("div");
  const head = [["rule_name", "Rule name"], ["action", "Action"], ["risk_factor", "Risk factor"], ["risk_category", "Category"],
    ["product_type", "Product"], ["mitigants", "Mitigants"], ["ingestion_status", "Status"]];

  async function load() {
    const params = { page: r.page, page_size: 15, sort_by: r.sort.key, descending: r.sort.dir < 0,
      search: r.search || null, filters: Object.keys(r.filters).length ? r.filters : null };
    await ctx.refresh("rules", params, (/** @type {any} */ out) => draw(out));
  }

  /** @param {any} out */
  function draw(out) {
    if (out) last = out;
    const data = last || { rows: [], total: 0, page: 1, page_size: 15 };
    clear(tableBox);
    if (r.editing) tableBox.append(editor(r.editing.rule));
    const rows = [];
    for (const row of data.rows) {
      const open = r.open === row.id;
      rows.push(h("tr", { class: `axis-mem-row ${open ? "open" : ""}`, "data-rule-id": row.id, "data-testid": "rule-row",
        onclick: () => { r.open = open ? null : row.id; draw(null); } },
      h("td", {}, row.rule_name), h("td", {}, badge(row.action, ctx.colors)), h("td", {}, row.risk_factor ?? "—"),
      h("td", {}, row.risk_category ?? "—"), h("td", {}, row.product_type ?? "—"),
      h("td", { class: "axis-wrap" }, (row.mitigants || []).join(", ") || "—"),
      h("td", {}, h("span", { class: "axis-mem-dot", style: { background: STATUS_COLORS[row.ingestion_status] || "#64748b" } }), row.ingestion_status ?? ""),
      h("td", { class: "axis-num" },
        h("button", { class: "axis-btn", title: "edit", "data-testid": "edit-rule", onclick: (/** @type {Event} */ e) => { e.stopPropagation(); r.editing = { rule: row }; draw(null); } }, "✎"),
        h("button", { class: "axis-btn", title: "delete", "data-testid": "delete-rule", onclick: (/** @type {Event} */ e) => { e.stopPropagation(); remove(row); } }, "✕"))));
      if (open) rows.push(h("tr", { class: "axis-mem-detail" }, h("td", { colspan: 8 }, detail(row))));
    }
    const pages = Math.max(1, Math.ceil(data.total / data.page_size));
    tableBox.append(h("table", { class: "axis-table", "data-testid": "rules-table" },
      h("thead", {}, h("tr", {}, head.map(([k, label]) => h("th", { class: "axis-sortable",
        onclick: () => { r.sort = nextSort(r.sort, k, 1); load(); } }, label + sortArrow(r.sort, k))), h("th", {}))),
      h("tbody", {}, rows)),
    h("div", { class: "axis-pager" }, h("span", { "data-testid": "rules-total" }, `${fmtInt(data.total)} rules`),
      pageButtons(r.page, pages, (p) => { r.page = p; load(); })));
  }

  /** @param {any} row */
  function detail(row) {
    const box = h("div", { class: "axis-mem-detail-box" },
      h("div", { class: "axis-mem-kv" },
        kv("Risk factor", row.risk_factor), kv("Confidence", row.confidence), kv("Quality", row.decision_quality),
        kv("Compound trigger", row.compound_trigger), kv("Batch", row.batch_id), kv("Source", row.source)),
      row.outcome_description ? h("p", {}, row.outcome_description) : null);
    const pathBox = h("div", {}, h("span", { class: "axis-muted" }, "loading the decision path…"));
    box.append(pathBox);
    ctx.call("trace", { rule_id: row.id }).then((/** @type {any} */ t) => clear(pathBox).append(decisionPath(t.trace)))
      .catch((/** @type {any} */ e) => ctx.showError(e));
    return box;
  }

  /** @param {any} rule the rule edited, or null for a new one */
  function editor(rule) {
    /** @type {Record<string, HTMLInputElement | HTMLTextAreaElement>} */
    const inputs = {};
    const fields = EDITOR_FIELDS.map(([col, label, kind]) => {
      const value = rule ? (kind === "list" ? (rule[col] || []).join(", ") : rule[col] ?? "") : "";
      const inp = /** @type {HTMLInputElement} */ (kind === "area"
        ? h("textarea", { name: col, rows: 2, "data-testid": `field-${col}` }, String(value))
        : h("input", { name: col, value: String(value), "data-testid": `field-${col}` }));
      inputs[col] = inp;
      return h("label", { class: "axis-mem-field" }, h("span", {}, label), inp);
    });
    const idInput = /** @type {HTMLInputElement} */ (h("input", { name: "id", placeholder: "made up if empty", "data-testid": "field-id" }));
    const save = async () => {
      const values = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.value]));
      const fieldsOut = editedFields(values, rule);
      try {
        if (rule) await ctx.call("update", { rule_id: rule.id, fields: fieldsOut });
        else await ctx.call("create", { fields: idInput.value.trim() ? { ...fieldsOut, id: idInput.value.trim() } : fieldsOut });
        ctx.showError(null);
        r.editing = null;
        await ctx.refreshAll();
      } catch (e) {
        ctx.showError(e);
      }
    };
    return h("div", { class: "axis-mem-editor", "data-testid": "rule-editor" },
      h("div", { class: "axis-mem-card-title" }, rule ? `Edit rule ${rule.id}` : "New rule"),
      rule ? null : h("label", { class: "axis-mem-field" }, h("span", {}, "Id"), idInput),
      fields,
      h("div", {}, h("button", { class: "axis-btn active", "data-testid": "save-rule", onclick: save }, "Save"),
        h("button", { class: "axis-btn", "data-testid": "cancel-rule", onclick: () => { r.editing = null; draw(null); } }, "Cancel")));
  }

  /** @param {any} row */
  async function remove(row) {
    if (typeof confirm === "function" && !confirm(`Delete rule ${row.id} (${row.rule_name})?`)) return;
    try {
      await ctx.call("delete", { rule_id: row.id });
      ctx.showError(null);
      await ctx.refreshAll();
    } catch (e) {
      ctx.showError(e);
    }
  }

  box.append(filterBar(), tableBox);
  load();
  return box;
}

/** @param {string} label @param {any} v */
const kv = (label, v) => h("div", {}, h("span", { class: "axis-muted" }, `${label}: `), v ?? "—");

/**
 * An action as a coloured badge.
 * @param {string | null} action
 * @param {Record<string, string>} colors action -> colour
 */
export function badge(action, colors) {
  if (!action) return "—";
  return h("span", { class: "axis-mem-badge", style: { background: colors[action] || "#64748b" } }, action);
}

/**
 * Pill pagination: first, the pages around the current one, last.
 * @param {number} page @param {number} pages @param {(p: number) => void} go
 */
export function pageButtons(page, pages, go) {
  const nums = [...new Set([1, page - 1, page, page + 1, pages])].filter((p) => p >= 1 && p <= pages).sort((a, b) => a - b);
  return h("span", { class: "axis-mem-pages" }, nums.map((p) => h("button", {
    class: `axis-btn ${p === page ? "active" : ""}`, "data-testid": `page-${p}`, onclick: () => go(p) }, String(p))));
}
