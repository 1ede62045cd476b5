// The data manager (anywidget front end). Python side: axis_jupyter/payloads/datasets.py.
// Every dataset of the store (kind, layout, rows, records, time range, size), each with
// "Open" (any view of its kind, shown below the widget by the kernel) and "Delete" (after
// a confirmation); an upload zone (drop or pick a file): the file is staged, its first
// rows previewed with the role of each column and the mapping, which the user may change,
// and only "Load" loads it (a server job whose progress the view follows); "Attach a table"
// opens the attach form (datasets/attach.js): a table that stays in its engine.
import "../lib/ui.css";
import "./datasets.css";
import { h, clear } from "../lib/dom.js";
import { fmtInt } from "../lib/format.js";
import { createShell, snapshotOf, saveSnapshot } from "../lib/shell.js";
import { errorText } from "../lib/transport.js";
import { table } from "../lib/table.js";
import { base64Of, commitOnServer, fmtBytes, nameFromFile, shareOf, uploadToServer } from "./datasets/upload.js";
import { attachForm, attachOnServer } from "./datasets/attach.js";

const KINDS = ["auto", "evals", "monitoring", "signals", "annotations", "kpi", "rules"];

/** @param {{model: import("../lib/shell.js").AnyModel, el: HTMLElement}} args */
function render({ model, el }) {
  const shell = createShell(model, el, { cls: "axis-datasets", testid: "axis-datasets" });
  const { root, call } = shell;
  const state = {
    /** @type {any} */ payload: null,
    /** @type {any} */ preview: null,
    /** @type {Record<string, string>} */ mapping: {},
    kind: "auto",
    name: "",
    /** @type {string | null} */ confirm: null,
    opened: 0,
  };
  const head = h("div", { class: "axis-header" });
  const zone = h("div", { class: "axis-ds-zone", "data-testid": "dropzone" });
  const progress = h("div", { class: "axis-ds-progress", "data-testid": "upload-progress", hidden: true });
  const previewBox = h("div", { class: "axis-ds-preview", "data-testid": "preview", hidden: true });
  const list = h("div", { class: "axis-ds-list" });
  const attach = attachForm({
    sources: () => (state.payload && state.payload.sources) || [],
    submit: async (body) => {
      const via = await shell.transport.decide();
      const out = via === "server" ? await attachOnServer(body) : await call("attach", body);
      return out.dataset;
    },
    done: () => { refresh(); },
  });
  root.append(head, shell.errorBox, zone, attach.node, progress, previewBox, list, shell.status);

  // ------------------------------------------------------------------ the list
  function show(/** @type {any} */ p) {
    state.payload = p;
    clear(head).append(h("div", { class: "axis-title" }, "Datasets ",
      h("span", { class: "axis-muted" }, `${p.datasets.length} in ${p.store || "the store"}`)),
    h("button", { class: "axis-btn", "data-testid": "attach-open", onclick: () => attach.toggle() }, "Attach a table…"));
    const rows = p.datasets.map((/** @type {any} */ d) => datasetRow(d));
    clear(list).append(p.datasets.length
      ? table({ testid: "datasets", head: headRow(), rows })
      : h("div", { class: "axis-empty", "data-testid": "empty" }, "No datasets yet: drop a file above."));
    root.dataset.count = String(p.datasets.length);
  }

  const headRow = () => h("thead", {}, h("tr", {}, ["Name", "Kind", "Layout", "Rows", "Records", "Time range", "Size", ""]
    .map((c, i) => h("th", { class: i >= 3 && i <= 4 || i === 6 ? "axis-num" : "" }, c))));

  /** @param {any} d */
  function datasetRow(d) {
    const tr = d.time_range && d.time_range[0] ? `${String(d.time_range[0]).slice(0, 10)} – ${String(d.time_range[1] || "").slice(0, 10)}` : "";
    const actions = h("td", { class: "axis-ds-actions" });
    if (state.confirm === d.name) {
      actions.append(h("span", { class: "axis-ds-confirm" }, `Delete ${d.name}? `),
        h("button", { class: "axis-btn axis-danger", "data-testid": "confirm-delete", onclick: () => remove(d.name) }, "Delete"),
        h("button", { class: "axis-btn", "data-testid": "cancel-delete", onclick: () => { state.confirm = null; show(state.payload); } }, "Cancel"));
    } else {
      if (d.views.length) {
        actions.append(h("select", { class: "axis-select", "data-testid": "open", "aria-label": `Open ${d.name} in a view`,
          onchange: (/** @type {Event} */ e) => {
            const sel = /** @type {HTMLSelectElement} */ (e.target);
            if (sel.value) open(sel.value, d.name);
            sel.value = "";
          } }, h("option", { value: "" }, "Open…"), d.views.map((/** @type {string} */ v) => h("option", { value: v }, v))));
      }
      actions.append(h("button", { class: "axis-btn", "data-testid": "delete", onclick: () => { state.confirm = d.name; show(state.payload); } }, "Delete"));
    }
    return h("tr", { "data-testid": "dataset-row", "data-name": d.name, "data-rows": d.rows, "data-kind": d.kind },
      h("td", { class: "axis-id" }, d.name, String(d.source || "").startsWith("attached:")
        ? h("div", { class: "axis-muted", "data-testid": "attached-source" }, d.source) : null),
      h("td", {}, d.kind), h("td", {}, d.layout || ""),
      h("td", { class: "axis-num" }, fmtInt(d.rows)), h("td", { class: "axis-num" }, fmtInt(d.records)),
      h("td", {}, tr), h("td", { class: "axis-num", "data-value": d.size_bytes ?? "" }, d.size_bytes === null ? "in memory" : fmtBytes(d.size_bytes)),
      actions);
  }

  /** @param {string} view @param {string} dataset */
  function open(view, dataset) {
    state.opened += 1;
    model.set("open_request", { view, dataset, n: state.opened });
    model.save_changes();
    root.dataset.opened = `${view}:${dataset}`;
  }

  /** @param {string} name */
  async function remove(name) {
    state.confirm = null;
    try {
      await call("delete", { name });
      await refresh();
    } catch (err) {
      shell.showError(err);
    }
  }

  const refresh = () => shell.refresh("payload", {}, (p) => {
    show(p);
    saveSnapshot(model, p);
  });

  // ------------------------------------------------------------------ upload
  const input = /** @type {HTMLInputElement} */ (h("input", { type: "file", accept: ".csv,.tsv,.txt,.parquet,.pq,.jsonl,.ndjson,.json", "data-testid": "file-input", hidden: true,
    onchange: () => { const f = input.files && input.files[0]; if (f) upload(f); input.value = ""; } }));
  zone.append(input,
    h("div", { class: "axis-ds-zone-text" }, "Drop a CSV, Parquet or JSON-lines file here, or ",
      h("button", { class: "axis-btn", "data-testid": "pick-file", onclick: () => input.click() }, "choose a file"),
      h("div", { class: "axis-muted" }, "You see its first rows and the role of each column before anything is loaded.")));
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("axis-ds-over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("axis-ds-over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("axis-ds-over");
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) upload(f);
  });

  /** @param {string} text @param {number | null} share 0..1, or null while the server works */
  function setProgress(text, share) {
    progress.hidden = false;
    const bar = h("div", { class: "axis-ds-bar" }, h("div", { class: "axis-ds-fill", style: { width: `${Math.round((share ?? 1) * 100)}%` } }));
    if (share === null) bar.classList.add("axis-ds-working");
    clear(progress).append(bar, h("span", { class: "axis-ds-stage", "data-testid": "upload-stage" }, text));
    if (share !== null) {
      progress.dataset.value = share.toFixed(3);
      const seen = Number(progress.dataset.steps || 0) + 1;
      progress.dataset.steps = String(seen);
    }
  }

  /** @param {File} file */
  async function upload(file) {
    shell.showError(null);
    progress.dataset.steps = "0";
    root.dataset.upload = "sending";
    try {
      const via = await shell.transport.decide();
      let staged;
      if (via === "server") {
        staged = await uploadToServer(file, (loaded, total) =>
          setProgress(`Uploading ${file.name}: ${fmtBytes(loaded)} of ${fmtBytes(total)}`, shareOf(loaded, total)));
      } else {
        const limit = state.payload?.kernel_upload_limit || 0;
        if (file.size > limit) {
          throw new Error(`${file.name} is ${fmtBytes(file.size)}: without the Jupyter server extension files up to ${fmtBytes(limit)} go through the kernel; load bigger ones with %axis load PATH.`);
        }
        setProgress(`Sending ${file.name} through the kernel`, 0);
        staged = await call("stage", { filename: file.name, data: await base64Of(file) });
        setProgress(`Sent ${file.name}`, 1);
        staged.preview = await call("preview", { upload: staged.upload });
      }
      state.mapping = {};
      state.kind = "auto";
      state.name = nameFromFile(file.name);
      showPreview(staged.preview);
      root.dataset.upload = "staged";
    } catch (err) {
      root.dataset.upload = "failed";
      setProgress(`Upload failed: ${errorText(err)}`, 0);
      shell.showError(err);
    }
  }

  async function repreview() {
    try {
      showPreview(await call("preview", { upload: state.preview.upload, mapping: state.mapping, kind: state.kind }));
    } catch (err) {
      shell.showError(err);
    }
  }

  /** @param {any} p */
  function showPreview(p) {
    state.preview = p;
    previewBox.hidden = false;
    const canon = ["", ...p.canonical_columns];
    const verdict = p.error
      ? h("div", { class: "axis-error", "data-testid": "preview-error" }, p.error)
      : h("div", { class: "axis-ds-detected", "data-testid": "detected" }, "Detected: ", h("b", {}, p.kind), " · ", p.layout);
    const colRows = p.columns.map((/** @type {any} */ c) => h("tr", { "data-testid": "column", "data-name": c.name, "data-role": c.role, "data-canonical": c.canonical },
      h("td", { class: "axis-id" }, c.name), h("td", { class: "axis-muted" }, c.type), h("td", {}, c.role),
      h("td", {}, h("select", { class: "axis-select", "data-testid": `map-${c.name}`, "aria-label": `Column ${c.name} becomes`,
        onchange: (/** @type {Event} */ e) => {
          const v = /** @type {HTMLSelectElement} */ (e.target).value;
          if (v) state.mapping[c.name] = v;
          else delete state.mapping[c.name];
          repreview();
        } }, canon.map((v) => h("option", { value: v, selected: (state.mapping[c.name] || "") === v }, v || `as detected (${c.canonical})`))))));
    const sample = h("div", { class: "axis-ds-sample" }, table({ testid: "preview-rows", head: p.columns.map((/** @type {any} */ c) => c.canonical),
      rows: p.rows.slice(0, 10).map((/** @type {any[]} */ r) => h("tr", {}, r.map((v) => h("td", { class: "axis-wrap" }, v === null ? "" : String(v))))) }));
    const nameInput = h("input", { class: "axis-input", "data-testid": "upload-name", value: state.name, "aria-label": "Dataset name",
      oninput: (/** @type {Event} */ e) => { state.name = /** @type {HTMLInputElement} */ (e.target).value; } });
    const kindSel = h("select", { class: "axis-select", "data-testid": "upload-kind", "aria-label": "Kind",
      onchange: (/** @type {Event} */ e) => { state.kind = /** @type {HTMLSelectElement} */ (e.target).value; repreview(); } },
    KINDS.map((k) => h("option", { value: k, selected: k === state.kind }, k)));
    clear(previewBox).append(
      h("div", { class: "axis-subhead" }, `${p.filename} · ${fmtBytes(p.bytes)}`),
      verdict,
      h("div", { class: "axis-ds-form" }, h("label", { class: "axis-filter" }, "Name ", nameInput), h("label", { class: "axis-filter" }, "Kind ", kindSel),
        h("button", { class: "axis-btn active", "data-testid": "commit", disabled: !!p.error, onclick: commit }, "Load"),
        h("button", { class: "axis-btn", "data-testid": "discard", onclick: discard }, "Discard")),
      table({ testid: "preview-columns", head: ["Column", "Type", "Role", "Becomes"], rows: colRows }),
      sample);
  }

  async function commit() {
    const p = state.preview;
    const body = { name: state.name || undefined, kind: state.kind, mapping: state.mapping };
    root.dataset.upload = "loading";
    try {
      const via = await shell.transport.decide();
      if (via === "server") {
        await commitOnServer(p.upload, body, (stage) => setProgress(`Loading ${p.filename}: ${stage}`, null));
      } else {
        setProgress(`Loading ${p.filename}`, null);
        await call("commit", { upload: p.upload, ...body });
      }
      setProgress(`Loaded ${p.filename} as ${state.name}`, 1);
      root.dataset.upload = "done";
      previewBox.hidden = true;
      state.preview = null;
      await refresh();
    } catch (err) {
      // the staged file stays: change the mapping and load again
      root.dataset.upload = "failed";
      setProgress(`Not loaded: ${errorText(err)}`, 0);
      shell.showError(err);
    }
  }

  async function discard() {
    try {
      await call("discard", { upload: state.preview.upload });
    } catch { /* already gone */ }
    previewBox.hidden = true;
    progress.hidden = true;
    state.preview = null;
  }

  const snap = snapshotOf(model);
  if (snap) show(snap);
  refresh();
  shell.announceTransport();
  return () => shell.transport.dispose();
}

export default { render };
