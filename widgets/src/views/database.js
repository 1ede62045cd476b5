// The database view (anywidget front end): sources + sync status, and a PostgreSQL browser.
// Python side: axis_jupyter/views/database.py. All calls go to the kernel, where the
// browser's 15-minute handles live. The password is sent once, in the connect call, and
// is never stored in the model (so it never reaches the saved notebook).
import "../lib/ui.css";
import "./database.css";
import { createTransport } from "../lib/transport.js";
import { h, clear, fmtInt } from "../lib/ui.js";

function table(columns, rows, testid) {
  return h("table", { class: "axis-table", "data-testid": testid },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => {
      const v = r[c];
      return h("td", {}, v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
    })))));
}

function render({ model, el }) {
  const t = createTransport(model);
  const state = { handle: null, table: null };
  const root = h("div", { class: "axis-view axis-database", "data-testid": "axis-database" });
  const err = h("div", { class: "axis-error", hidden: true, "data-testid": "error" });
  const sources = h("div", { class: "axis-db-sources", "data-testid": "sources" });
  const form = h("form", { class: "axis-db-connect", "data-testid": "connect" });
  const browse = h("div", { class: "axis-db-browse", "data-testid": "browse" });
  root.append(h("div", { class: "axis-header" }, h("b", {}, "AXIS · databases")), err, sources, form, browse);
  el.append(root);

  const show = (e) => { err.hidden = !e; err.textContent = e ? `AXIS: ${e.message || e}` : ""; };
  const run = async (action, params) => {
    show(null);
    try { return await t.call(action, params); } catch (e) { show(e); throw e; }
  };

  function renderSources(p) {
    clear(sources);
    const st = p.status || {};
    if (p.config_error) sources.append(h("div", { class: "axis-error" }, p.config_error));
    if (!p.sources.length) { sources.append(h("p", {}, "No sources yet: axis.add_source(...) adds one.")); return; }
    const rows = p.sources.map((s) => ({ ...s, ...(st[s.name] || {}), name: s.name }));
    const tbl = table(["name", "kind", "target", "state", "rows", "last_sync", "sync_type", "watermark", "error"], rows, "sources-table");
    tbl.querySelectorAll("tbody tr").forEach((tr, i) => {
      const name = rows[i].name;
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
    model.set("snapshot", p); model.save_changes();
    renderSources(p);
  }

  // connect form: a configured source, or host/port/db/user/password
  const inp = (name, attrs = {}) => h("input", { name, placeholder: name, ...attrs });
  const fields = { source: inp("source", { placeholder: "configured source (optional)" }), host: inp("host"),
    port: inp("port", { value: "5432", size: 5 }), database: inp("database"), username: inp("username"),
    password: inp("password", { type: "password", autocomplete: "off" }), ssl_mode: inp("ssl_mode", { value: "prefer", size: 8 }) };
  form.append(...Object.values(fields), h("button", { type: "submit" }, "connect"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const params = {};
    for (const [k, f] of Object.entries(fields)) if (f.value) params[k] = f.value;
    fields.password.value = ""; // never kept in the page after use
    const r = await run("connect", params);
    state.handle = r.handle;
    browse.dataset.target = r.target;
    await listTables();
  });

  async function listTables() {
    clear(browse);
    const { tables } = await run("tables", { handle: state.handle });
    const list = h("ul", { class: "axis-db-tables", "data-testid": "tables" }, tables.map((tb) =>
      h("li", {}, h("a", { href: "#", onclick: (e) => { e.preventDefault(); openTable(tb); } },
        `${tb.schema_name}.${tb.name}`), ` ~${fmtInt(tb.row_count_estimate)}`)));
    const q = h("textarea", { rows: 3, cols: 80, placeholder: "SELECT … (read-only preview, 100 rows max)", "data-testid": "query" });
    const out = h("div", { "data-testid": "query-result" });
    const name = h("input", { placeholder: "dataset name for import" });
    const kind = h("input", { placeholder: "kind (auto)", size: 10 });
    browse.append(list, q,
      h("button", { type: "button", onclick: async () => { const r = await run("query", { handle: state.handle, query: q.value, limit: 20 }); clear(out); out.append(table(r.columns, r.data, "preview")); } }, "preview"),
      name, kind,
      h("button", { type: "button", onclick: async () => { const r = await run("import_query", { handle: state.handle, query: q.value, name: name.value, kind: kind.value || "auto" }); clear(out); out.append(h("p", {}, `imported ${fmtInt(r.rows)} rows as ${r.dataset}`)); } }, "import query"),
      out, h("div", { class: "axis-db-table", "data-testid": "table-detail" }));
  }

  async function openTable(tb) {
    const box = browse.querySelector(".axis-db-table");
    clear(box);
    const s = await run("schema", { handle: state.handle, table: tb.name, schema: tb.schema_name });
    box.append(h("h4", {}, `${tb.schema_name}.${tb.name}`),
      table(["name", "data_type", "nullable"], s.columns, "columns"),
      s.sample_rows.length ? table(Object.keys(s.sample_rows[0]), s.sample_rows, "sample") : h("p", {}, "no rows"),
      h("button", { type: "button", onclick: async () => {
        const r = await run("import_table", { handle: state.handle, table: tb.name, schema: tb.schema_name });
        box.append(h("p", {}, `imported ${fmtInt(r.rows)} rows as ${r.dataset}`));
      } }, "import table"));
  }

  const snap = model.get("snapshot");
  if (snap && snap.sources) renderSources(snap);
  refresh().catch(() => {});
  return () => {};
}

export default { render };
