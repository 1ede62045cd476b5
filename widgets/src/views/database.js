// The database view (anywidget front end): sources + sync status, and a PostgreSQL browser.
// Python side: axis_jupyter/payloads/database.py. All calls go to the kernel, where the
// browser's 15-minute handles live. The password is sent once, in the connect call, and
// is never stored in the model (so it never reaches the saved notebook).
import "../lib/ui.css";
import "./database.css";
import { h, clear } from "../lib/dom.js";
import { fmtInt } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { recordsTable } from "../lib/table.js";

const SOURCE_COLUMNS = ["name", "kind", "target", "state", "rows", "last_sync", "sync_type", "watermark", "error"];

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const shell = createShell(model, el, { cls: "axis-database", testid: "axis-database" });
  const { root, errorBox: err, showError } = shell;
  const t = shell.transport;
  /** @type {{handle: string | null}} */
  const state = { handle: null };
  const sources = h("div", { class: "axis-db-sources", "data-testid": "sources" });
  const form = h("form", { class: "axis-db-connect", "data-testid": "connect" });
  const browse = h("div", { class: "axis-db-browse", "data-testid": "browse" });
  root.append(h("div", { class: "axis-header" }, h("b", {}, "AXIS · databases")), err, sources, form, browse);

  /** An action whose error is shown (and rethrown). @param {string} action @param {object} params */
  const run = async (action, params) => {
    showError(null);
    try { return await t.call(action, params); } catch (e) { showError(e); throw e; }
  };

  /** @param {any} p the payload: sources and their sync status */
  function renderSources(p) {
    clear(sources);
    const st = p.status || {};
    if (p.config_error) sources.append(h("div", { class: "axis-error" }, p.config_error));
    if (!p.sources.length) { sources.append(h("p", {}, "No sources yet: axis.add_source(...) adds one.")); return; }
    const rows = p.sources.map((/** @type {any} */ s) => ({ ...s, ...(st[s.name] || {}), name: s.name }));
    const tbl = recordsTable(SOURCE_COLUMNS, rows, "sources-table");
    tbl.querySelectorAll("tbody tr").forEach((tr, i) => {
      const name = rows[i].name;
      /** @param {boolean} full */
      const go = (full) => async () => {
        tr.classList.add("axis-busy");
        try { await run("sync", { source: name, full }); } finally { refresh(); }
      };
      tr.append(h("td", {}, h("button", { type: "button", onclick: go(false) }, "sync"),
        h("button", { type: "button", onclick: go(true) }, "full")));
    });
    sources.append(tbl);
  }

  async function refresh() {
    const p = await run("payload", {});
    saveSnapshot(model, p);
    renderSources(p);
  }

  // connect form: a configured source, or host/port/db/user/password
  /** @param {string} name @param {object} [attrs] */
  const inp = (name, attrs = {}) => /** @type {HTMLInputElement} */ (h("input", { name, placeholder: name, ...attrs }));
  const fields = { source: inp("source", { placeholder: "configured source (optional)" }), host: inp("host"),
    port: inp("port", { value: "5432", size: 5, inputmode: "numeric" }), database: inp("database"), username: inp("username"),
    password: inp("password", { type: "password", autocomplete: "off" }), ssl_mode: inp("ssl_mode", { value: "prefer", size: 8 }) };
  form.append(...Object.values(fields), h("button", { type: "submit" }, "connect"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    /** @type {Record<string, string | number>} */
    const params = {};
    for (const [k, f] of Object.entries(fields)) if (f.value) params[k] = f.value;
    // the action declares port an integer: send the number the field holds ("abc" stays
    // text and gets the action's own "port must be an integer" message)
    if (fields.port.value && /^\d+$/.test(fields.port.value.trim())) params.port = Number(fields.port.value.trim());
    fields.password.value = ""; // never kept in the page after use
    const r = await run("connect", params);
    state.handle = r.handle;
    browse.dataset.target = r.target;
    await listTables();
  });

  async function listTables() {
    clear(browse);
    const { tables } = await run("tables", { handle: state.handle });
    const list = h("ul", { class: "axis-db-tables", "data-testid": "tables" }, tables.map((/** @type {any} */ tb) =>
      h("li", {}, h("a", { href: "#", onclick: (/** @type {Event} */ e) => { e.preventDefault(); openTable(tb); } },
        `${tb.schema_name}.${tb.name}`), ` ~${fmtInt(tb.row_count_estimate)}`)));
    const q = /** @type {HTMLTextAreaElement} */ (h("textarea", { rows: 3, cols: 80, placeholder: "SELECT … (read-only preview, 100 rows max)", "data-testid": "query" }));
    const out = h("div", { "data-testid": "query-result" });
    const name = /** @type {HTMLInputElement} */ (h("input", { placeholder: "dataset name for import" }));
    const kind = /** @type {HTMLInputElement} */ (h("input", { placeholder: "kind (auto)", size: 10 }));
    browse.append(list, q,
      h("button", { type: "button", onclick: async () => { const r = await run("query", { handle: state.handle, query: q.value, limit: 20 }); clear(out); out.append(recordsTable(r.columns, r.data, "preview")); } }, "preview"),
      name, kind,
      h("button", { type: "button", onclick: async () => { const r = await run("import_query", { handle: state.handle, query: q.value, name: name.value, kind: kind.value || "auto" }); clear(out); out.append(h("p", {}, `imported ${fmtInt(r.rows)} rows as ${r.dataset}`)); } }, "import query"),
      out, h("div", { class: "axis-db-table", "data-testid": "table-detail" }));
  }

  /** @param {{name: string, schema_name: string}} tb */
  async function openTable(tb) {
    const box = /** @type {HTMLElement} */ (browse.querySelector(".axis-db-table"));
    clear(box);
    const s = await run("schema", { handle: state.handle, table: tb.name, schema: tb.schema_name });
    box.append(h("h4", {}, `${tb.schema_name}.${tb.name}`),
      recordsTable(["name", "data_type", "nullable"], s.columns, "columns"),
      s.sample_rows.length ? recordsTable(Object.keys(s.sample_rows[0]), s.sample_rows, "sample") : h("p", {}, "no rows"),
      h("button", { type: "button", onclick: async () => {
        const r = await run("import_table", { handle: state.handle, table: tb.name, schema: tb.schema_name });
        box.append(h("p", {}, `imported ${fmtInt(r.rows)} rows as ${r.dataset}`));
      } }, "import table"));
  }

  const snap = snapshotOf(model);
  if (snap && snap.sources) renderSources(snap);
  refresh().catch(() => {});
  return () => {};
}

export default { render };
