// The database view (anywidget front end): configured sources with their sync status, and a
// PostgreSQL import wizard in three steps (connect; select a table, map its columns and
// filter its values; preview with a row limit and import), plus read-only SQL.
// Python side: axis_jupyter/payloads/database.py. All calls go to the kernel, where the
// browser's 15-minute handles live. The password is sent once, in the connect call, and is
// never stored in the model (so it never reaches the saved notebook).
import "../lib/ui.css";
import "./database.css";
import { h, clear } from "../lib/dom.js";
import { fmtInt, fmtTime } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { recordsTable, table, cellText } from "../lib/table.js";
import { select, searchBox } from "../lib/controls.js";
import { errorText } from "../lib/transport.js";
import { ROW_LIMITS, SKIP, importParams, stateClass } from "./database/wizard.js";

/** @type {Array<[string, string, boolean]>} key, label, numeric */
const SOURCE_COLUMNS = [["name", "Source", false], ["kind", "Kind", false], ["target", "Target", false],
  ["state", "State", false], ["rows", "Rows", true], ["last_sync", "Last sync", false], ["sync_type", "Type", false],
  ["watermark", "Watermark", false], ["error", "Problem", false]];
const SSL_MODES = ["prefer", "disable", "allow", "require", "verify-ca", "verify-full"];

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const shell = createShell(model, el, { cls: "axis-database", testid: "axis-database" });
  const { root, errorBox: err, showError } = shell;
  const t = shell.transport;
  /** @type {{handle: string | null, target: string, payload: any, table: any, schema: any,
   *   mapping: Record<string, string>, filters: Array<{column: string, values: any[]}>,
   *   distinct: Record<string, any[]>, limit: number, name: string, kind: string, tableSearch: string,
   *   tables: any[]}} */
  const state = { handle: null, target: "", payload: null, table: null, schema: null, mapping: {}, filters: [],
    distinct: {}, limit: 1000, name: "", kind: "auto", tableSearch: "", tables: [] };
  const sources = h("section", { class: "axis-db-section", "data-testid": "sources" });
  const form = h("form", { class: "axis-db-connect", "data-testid": "connect" });
  const browse = h("section", { class: "axis-db-section", "data-testid": "browse", hidden: true });
  const sqlBox = h("section", { class: "axis-db-section", "data-testid": "sql", hidden: true });
  root.append(h("div", { class: "axis-header" }, h("div", { class: "axis-title" }, "Databases"),
    h("span", { class: "axis-muted" }, "PostgreSQL sources, their sync, and imports")),
  err, sources, h("section", { class: "axis-db-section" }, h("div", { class: "axis-subhead" }, h("span", { class: "axis-step" }, "1"), "Connect"), form),
  browse, sqlBox, shell.status);

  /** An action whose error is shown (and rethrown). @param {string} action @param {object} params */
  const run = async (action, params) => {
    showError(null);
    try { return await t.call(action, params); } catch (e) { showError(e); throw e; }
  };

  // ---------------------------------------------------------------- sources and sync
  /** @param {any} p the payload: sources and their sync status */
  function renderSources(p, note = "") {
    state.payload = p;
    clear(sources).append(h("div", { class: "axis-subhead" }, "Sources"));
    const st = p.status || {};
    if (p.config_error) sources.append(h("div", { class: "axis-error" }, p.config_error));
    if (!p.sources.length) {
      sources.append(h("p", { class: "axis-muted" }, "No sources yet: axis.add_source(...) adds one."));
      return;
    }
    const rows = p.sources.map((/** @type {any} */ s) => ({ ...s, ...(st[s.name] || {}), name: s.name }));
    sources.append(h("div", { class: "axis-scroll" }, table({
      testid: "sources-table",
      head: h("thead", {}, h("tr", {}, SOURCE_COLUMNS.map(([k, label, num]) => [h("th", { class: num ? "axis-num" : undefined }, label),
        k === "name" ? h("th", {}, "") : null]))),
      rows: rows.map((/** @type {any} */ r) => h("tr", { "data-source": r.name, "data-state": r.state ?? "" },
        SOURCE_COLUMNS.map(([k, , num]) => [h("td", { class: num ? "axis-num" : undefined, "data-col": k },
          k === "state" ? h("span", { class: `axis-chip ${stateClass(r.state)}`, "data-testid": "sync-state" }, r.state ?? "—")
            : num ? fmtInt(r[k]) : k === "last_sync" ? fmtTime(r[k]) : cellText(r[k])),
        // the buttons beside the name, where they are seen without scrolling
        k === "name" ? h("td", { class: "axis-db-actions" },
          h("button", { type: "button", class: "axis-btn", "data-testid": "sync", onclick: syncSource(r.name, false) }, "Sync"),
          h("button", { type: "button", class: "axis-btn", "data-testid": "sync-full", onclick: syncSource(r.name, true) }, "Full sync")) : null]))),
    })));
    if (note) sources.append(h("div", { class: "axis-muted", "data-testid": "sync-note" }, note));
  }

  /** @param {string} name @param {boolean} full */
  const syncSource = (name, full) => async (/** @type {any} */ e) => {
    const tr = e.currentTarget.closest("tr");
    tr.classList.add("axis-busy");
    tr.querySelectorAll("button").forEach((/** @type {HTMLButtonElement} */ b) => { b.disabled = true; });
    const chip = tr.querySelector("[data-testid=sync-state]");
    if (chip) chip.textContent = "syncing";
    let note = "";
    try {
      const st = await run("sync", { source: name, full });
      note = `${name}: ${st.state ?? "done"}${st.rows !== undefined && st.rows !== null ? ` · ${fmtInt(st.rows)} rows` : ""}` +
        `${st.sync_type ? ` (${st.sync_type})` : ""}`;
    } catch (e2) {
      note = `${name}: ${errorText(e2)}`;
    }
    await refresh(note);
  };

  async function refresh(note = "") {
    const p = await run("payload", {});
    saveSnapshot(model, p);
    renderSources(p, note);
  }

  // ---------------------------------------------------------------- 1. connect
  /** @param {string} name @param {string} label @param {object} [attrs] */
  const field = (name, label, attrs = {}) => {
    const input = /** @type {HTMLInputElement} */ (h("input", { name, id: `axis-db-${name}-${Math.random().toString(36).slice(2, 8)}`, class: "axis-input", ...attrs }));
    return { input, node: h("label", { class: "axis-field", for: input.id }, h("span", { class: "axis-field-label" }, label), input) };
  };
  const fields = {
    source: field("source", "Configured source", { placeholder: "optional: a source's name" }),
    host: field("host", "Host", { placeholder: "db.example.com" }),
    port: field("port", "Port", { value: "5432", inputmode: "numeric", size: 6 }),
    database: field("database", "Database"),
    username: field("username", "User"),
    password: field("password", "Password", { type: "password", autocomplete: "off" }),
  };
  const ssl = /** @type {HTMLSelectElement} */ (select({ testid: "ssl-mode", options: SSL_MODES.map((m) => [m, m]), value: "prefer", onchange: () => {} }));
  ssl.name = "ssl_mode";
  const connected = h("div", { class: "axis-muted", "data-testid": "connected" });
  form.append(h("div", { class: "axis-db-grid" }, Object.values(fields).map((f) => f.node),
    h("label", { class: "axis-field" }, h("span", { class: "axis-field-label" }, "SSL mode"), ssl)),
  h("div", { class: "axis-strip" }, h("button", { type: "submit", class: "axis-btn active" }, "Connect"), connected),
  h("div", { class: "axis-muted axis-db-note" }, "The server connects from where the kernel runs; the password is sent once and never kept."));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    /** @type {Record<string, string | number>} */
    const params = {};
    for (const [k, f] of Object.entries(fields)) if (f.input.value) params[k] = f.input.value;
    if (ssl.value) params.ssl_mode = ssl.value;
    // the action declares port an integer: send the number the field holds ("abc" stays
    // text and gets the action's own "port must be an integer" message)
    if (fields.port.input.value && /^\d+$/.test(fields.port.input.value.trim())) params.port = Number(fields.port.input.value.trim());
    fields.password.input.value = ""; // never kept in the page after use
    clear(connected);
    const r = await run("connect", params);
    state.handle = r.handle;
    state.target = r.target;
    browse.dataset.target = r.target;
    connected.append(`Connected to ${r.target}`, r.version ? ` · ${String(r.version).split(" on ")[0]}` : "");
    await listTables();
  });

  // ---------------------------------------------------------------- 2. select data
  async function listTables() {
    const { tables } = await run("tables", { handle: state.handle });
    state.tables = tables;
    state.table = null;
    browse.hidden = false;
    sqlBox.hidden = false;
    drawBrowse();
    drawSql();
  }

  function drawBrowse() {
    clear(browse).append(h("div", { class: "axis-subhead" }, h("span", { class: "axis-step" }, "2"), "Select data"));
    const q = state.tableSearch.toLowerCase();
    const shown = state.tables.filter((/** @type {any} */ tb) => !q || `${tb.schema_name}.${tb.name}`.toLowerCase().includes(q));
    const list = h("ul", { class: "axis-db-tables", "data-testid": "tables" }, shown.map((/** @type {any} */ tb) =>
      h("li", { class: state.table && state.table.name === tb.name && state.table.schema_name === tb.schema_name ? "active" : "" },
        h("a", { href: "#", onclick: (/** @type {Event} */ e) => { e.preventDefault(); openTable(tb); } }, `${tb.schema_name}.${tb.name}`),
        tb.row_count_estimate > 0 ? h("span", { class: "axis-muted" }, ` ~${fmtInt(tb.row_count_estimate)} rows`) : null)));
    const detail = h("div", { class: "axis-db-table", "data-testid": "table-detail" });
    browse.append(h("div", { class: "axis-db-browse" },
      h("div", { class: "axis-db-list" },
        searchBox({ testid: "table-search", placeholder: `Search ${state.tables.length} tables`, value: state.tableSearch, ms: 150,
          onsearch: (v) => { state.tableSearch = v; drawBrowse(); const s = /** @type {HTMLInputElement} */ (browse.querySelector("[data-testid=table-search]")); s.focus(); s.setSelectionRange(v.length, v.length); } }),
        list),
      detail));
    if (state.table && state.schema) drawTable(detail);
  }

  /** @param {{name: string, schema_name: string}} tb */
  async function openTable(tb) {
    state.table = tb;
    state.schema = null;
    state.mapping = {};
    state.filters = [];
    state.distinct = {};
    state.name = tb.name.replace(/[^A-Za-z0-9_]/g, "_");
    drawBrowse();
    state.schema = await run("schema", { handle: state.handle, table: tb.name, schema: tb.schema_name });
    drawBrowse();
  }

  /** @param {HTMLElement} box */
  function drawTable(box) {
    const tb = state.table, s = state.schema;
    const canon = state.payload?.fields || [];
    box.append(h("h4", {}, `${tb.schema_name}.${tb.name}`));
    // the column mapping: each column imported as is, under a canonical name, or skipped
    box.append(h("div", { class: "axis-subhead" }, "Columns"),
      h("div", { class: "axis-scroll" }, table({
        testid: "columns",
        head: ["name", "data_type", "nullable", "import as"],
        rows: s.columns.map((/** @type {any} */ c) => h("tr", { "data-column": c.name },
          h("td", {}, c.name), h("td", { class: "axis-muted" }, c.data_type), h("td", {}, String(c.nullable)),
          h("td", {}, select({ testid: `map-${c.name}`, aria: `Import ${c.name} as`, value: state.mapping[c.name] || "",
            options: [["", "as is"], [SKIP, "— skip —"], ...canon.filter((/** @type {string} */ f) => f !== c.name).map((/** @type {string} */ f) => [f, f])],
            onchange: (v) => { if (v) state.mapping[c.name] = v; else delete state.mapping[c.name]; } })))),
      })));
    // value filters: rows whose column has one of the chosen values
    const filters = h("div", { class: "axis-db-filters", "data-testid": "filters" });
    const drawFilters = () => {
      clear(filters);
      state.filters.forEach((f, i) => {
        const values = state.distinct[f.column] || [];
        const multi = /** @type {HTMLSelectElement} */ (h("select", { class: "axis-select", multiple: true, size: Math.min(5, Math.max(2, values.length)),
          "data-testid": `filter-values-${i}`, "aria-label": `Values of ${f.column}`,
          onchange: (/** @type {any} */ e) => { f.values = [...e.target.selectedOptions].map((o) => values[Number(o.value)]); } },
        values.map((v, j) => h("option", { value: j, selected: f.values.some((x) => x === v) }, cellText(v)))));
        filters.append(h("div", { class: "axis-db-filter", "data-testid": "filter" },
          select({ testid: `filter-column-${i}`, aria: "Filter column", value: f.column, options: s.columns.map((/** @type {any} */ c) => [c.name, c.name]),
            onchange: async (v) => { f.column = v; f.values = []; await loadDistinct(v); drawFilters(); } }),
          h("span", { class: "axis-muted" }, "is one of"), multi,
          h("button", { type: "button", class: "axis-btn", "data-testid": `filter-remove-${i}`, onclick: () => { state.filters.splice(i, 1); drawFilters(); } }, "Remove")));
      });
      filters.append(h("button", { type: "button", class: "axis-btn", "data-testid": "filter-add", onclick: async () => {
        const col = s.columns[0].name;
        state.filters.push({ column: col, values: [] });
        await loadDistinct(col);
        drawFilters();
      } }, "+ Value filter"));
    };
    drawFilters();
    box.append(h("div", { class: "axis-subhead" }, "Value filters"), filters);
    // 3. import: the row limit, a name and kind, a preview of what will be imported
    const result = h("div", { "data-testid": "import-result" });
    const nameInput = /** @type {HTMLInputElement} */ (h("input", { class: "axis-input", value: state.name, "data-testid": "import-name",
      oninput: (/** @type {any} */ e) => { state.name = e.target.value; } }));
    box.append(h("div", { class: "axis-subhead" }, h("span", { class: "axis-step" }, "3"), "Import"),
      h("div", { class: "axis-db-grid" },
        h("label", { class: "axis-field" }, h("span", { class: "axis-field-label" }, "Row limit"),
          select({ testid: "row-limit", options: ROW_LIMITS.map((n) => [n, fmtInt(n)]), value: state.limit, onchange: (v) => { state.limit = Number(v); } })),
        h("label", { class: "axis-field" }, h("span", { class: "axis-field-label" }, "Dataset name"), nameInput),
        h("label", { class: "axis-field" }, h("span", { class: "axis-field-label" }, "Kind"),
          select({ testid: "import-kind", options: (state.payload?.kinds || ["auto"]).map((/** @type {string} */ k) => [k, k]), value: state.kind, onchange: (v) => { state.kind = v; } }))),
      h("div", { class: "axis-strip" },
        h("button", { type: "button", class: "axis-btn", "data-testid": "wizard-preview", onclick: async () => {
          clear(result);
          try {
            const p = importParams(state, { preview: true });
            const r = await run("preview", p);
            result.append(h("div", { class: "axis-muted" }, `First ${fmtInt(r.row_count)} rows of what will be imported`),
              h("div", { class: "axis-scroll" }, recordsTable(r.columns, r.data, "wizard-preview-table")));
          } catch (e) { result.append(h("div", { class: "axis-error" }, errorText(e))); }
        } }, "Preview rows"),
        h("button", { type: "button", class: "axis-btn active", "data-testid": "wizard-import", onclick: async () => {
          clear(result);
          try {
            const r = await run("import_table", importParams(state));
            result.append(h("div", { class: "axis-ok", "data-testid": "imported", "data-rows": r.rows, "data-dataset": r.dataset },
              `Imported ${fmtInt(r.rows)} rows as ${r.dataset} (${r.kind}, ${r.layout})`));
          } catch (e) { result.append(h("div", { class: "axis-error" }, errorText(e))); }
        } }, "Import")),
      result,
      h("div", { class: "axis-subhead" }, "Sample"),
      s.sample_rows.length ? h("div", { class: "axis-scroll" }, recordsTable(Object.keys(s.sample_rows[0]), s.sample_rows, "sample")) : h("p", {}, "no rows"));
  }

  /** @param {string} column */
  async function loadDistinct(column) {
    if (state.distinct[column]) return;
    const r = await run("distinct", { handle: state.handle, table: state.table.name, schema: state.table.schema_name, column, limit: 200 });
    state.distinct[column] = r.values;
  }

  // ---------------------------------------------------------------- read-only SQL
  function drawSql() {
    const q = /** @type {HTMLTextAreaElement} */ (h("textarea", { id: "axis-db-sql", rows: 3, class: "axis-input axis-db-sql",
      placeholder: "SELECT … (read-only, 100 rows at most)", "data-testid": "query" }));
    const out = h("div", { "data-testid": "query-result" });
    const name = /** @type {HTMLInputElement} */ (h("input", { class: "axis-input", "data-testid": "query-name", placeholder: "dataset name" }));
    /** @param {() => Promise<void>} fn */
    const guarded = (fn) => async () => {
      clear(out); // a refused statement must not leave the previous result on screen
      try { await fn(); } catch (e) { out.append(h("div", { class: "axis-error", "data-testid": "query-error" }, errorText(e))); }
    };
    clear(sqlBox).append(h("div", { class: "axis-subhead" }, "Read-only SQL"),
      h("label", { class: "axis-field axis-field-wide", for: "axis-db-sql" }, h("span", { class: "axis-field-label" }, "Query"), q),
      h("div", { class: "axis-strip" },
        h("button", { type: "button", class: "axis-btn", "data-testid": "run-query", onclick: guarded(async () => {
          const r = await run("query", { handle: state.handle, query: q.value, limit: 20 });
          out.append(h("div", { class: "axis-scroll" }, recordsTable(r.columns, r.data, "preview")));
        }) }, "Run query"),
        h("label", { class: "axis-field-inline" }, "Import as ", name),
        h("button", { type: "button", class: "axis-btn", "data-testid": "import-query", onclick: guarded(async () => {
          const r = await run("import_query", { handle: state.handle, query: q.value, name: name.value, kind: "auto", limit: state.limit });
          out.append(h("div", { class: "axis-ok" }, `Imported ${fmtInt(r.rows)} rows as ${r.dataset}`));
        }) }, "Import query")),
      out);
  }

  const snap = snapshotOf(model);
  if (snap && snap.sources) renderSources(snap);
  refresh().catch(() => {});
  return () => {};
}

export default { render };
