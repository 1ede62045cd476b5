// The evaluation runner view (anywidget front end).
// Python side: axis_jupyter/views/runner.py (actions setup, start, status, cancel).
//
// Dataset -> column mapping -> metric catalogue -> name/concurrency -> Start; a progress
// bar polls `status` every ~500 ms while the run is queued or running; the result summary
// has "Open scorecard", which asks the Python widget (trait scorecard_request) to show the
// scorecard of the results dataset below the runner.
//
// Calls go through createTransport: HTTP when the store lives in this page's Jupyter
// server, otherwise the kernel.
import "../lib/ui.css";
import "./runner.css";
import { createTransport } from "../lib/transport.js";
import { h, clear, kpiCard, scoreColor, fmtScore, fmtPct, fmtInt } from "../lib/ui.js";

const POLL_MS = 500;
const ACTIVE = new Set(["queued", "running"]);
const FINAL = new Set(["succeeded", "failed", "cancelled"]);

function render({ model, el }) {
  const caller = createTransport(model);
  const state = {
    setup: null,
    source: (model.get("params") || {}).source || model.get("dataset") || null,
    mapping: {},
    selected: new Set(),
    filter: "compatible",
    search: "",
    name: "",
    nameEdited: false,
    concurrency: 8,
    runId: model.get("run_id") || "",
    status: null,
    timer: null,
    busy: false,
    disposed: false,
  };

  const root = h("div", { class: "axis-view axis-runner", "data-testid": "axis-runner" });
  const header = h(
    "div",
    { class: "axis-header" },
    h("span", { class: "axis-title" }, "Evaluation runner"),
    h("span", { class: "axis-muted", "data-testid": "via" }),
  );
  const errorBox = h("div", { class: "axis-error", hidden: true, "data-testid": "error" });
  const dataSec = h("section", { class: "axis-rn-section", "data-testid": "dataset-section" });
  const mapSec = h("section", { class: "axis-rn-section", "data-testid": "mapping-section" });
  const metricSec = h("section", { class: "axis-rn-section", "data-testid": "metrics-section" });
  const runSec = h("section", { class: "axis-rn-section", "data-testid": "run-section" });
  const progSec = h("section", { class: "axis-rn-section", hidden: true, "data-testid": "progress-section" });
  const resultSec = h("section", { class: "axis-rn-section", hidden: true, "data-testid": "results-section" });
  root.append(header, errorBox, dataSec, mapSec, metricSec, runSec, progSec, resultSec);
  el.append(root);

  function showError(err) {
    if (!err) {
      errorBox.hidden = true;
      errorBox.textContent = "";
      return;
    }
    errorBox.hidden = false;
    errorBox.textContent = `AXIS: ${err.message || err}`;
  }

  function noteVia() {
    const last = caller.stats.last;
    if (!last) return;
    root.dataset.transport = last.via;
    header.querySelector("[data-testid=via]").textContent =
      `via ${last.via === "server" ? "Jupyter server (HTTP)" : "kernel"}`;
  }

  // ---------------------------------------------------------------- derived state
  function mappedFields() {
    const m = new Set(Object.entries(state.mapping).filter(([, c]) => c).map(([f]) => f));
    if (state.source) m.add("dataset_id"); // numbered automatically when not mapped
    return m;
  }

  function isCompatible(metric) {
    const mapped = mappedFields();
    return (metric.required_fields || []).every((f) => mapped.has(f));
  }

  function selectedMetrics() {
    const byKey = new Map((state.setup?.metrics || []).map((m) => [m.key, m]));
    return [...state.selected].filter((k) => byKey.has(k) && isCompatible(byKey.get(k))).map((k) => byKey.get(k));
  }

  function missingRequired() {
    return ["query", "actual_output"].filter((f) => !state.mapping[f]);
  }

  // ---------------------------------------------------------------- dataset
  function renderDataset() {
    clear(dataSec);
    const s = state.setup || {};
    const ds = s.datasets || [];
    const select = h(
      "select",
      {
        class: "axis-select",
        "data-testid": "dataset-select",
        onchange: (e) => loadSetup(e.target.value || null),
      },
      h("option", { value: "" }, ds.length ? "— choose a dataset —" : "no datasets loaded"),
      ds.map((d) => h("option", { value: d.name, selected: d.name === state.source }, d.name)),
    );
    dataSec.append(h("div", { class: "axis-rn-step" }, h("span", { class: "axis-rn-num" }, "1"), "Dataset"), select);
    const info = ds.find((d) => d.name === state.source);
    if (info) {
      dataSec.append(
        h(
          "span",
          { class: "axis-rn-card", "data-testid": "dataset-card" },
          `${fmtInt(info.records ?? info.rows)} rows · ${fmtInt((s.columns || []).length)} columns · ${info.kind}/${info.layout}`,
        ),
      );
      const pv = s.preview || { columns: [], rows: [] };
      if (pv.columns.length) {
        dataSec.append(
          h(
            "table",
            { class: "axis-table axis-rn-preview", "data-testid": "preview" },
            h("thead", {}, h("tr", {}, pv.columns.map((c) => h("th", {}, c)))),
            h(
              "tbody",
              {},
              pv.rows.map((r) =>
                h(
                  "tr",
                  {},
                  r.map((v) => {
                    const t = v === null || v === undefined ? "—" : String(v);
                    return h("td", { title: t }, t.length > 60 ? t.slice(0, 57) + "…" : t);
                  }),
                ),
              ),
            ),
          ),
        );
      }
    }
  }

  // ---------------------------------------------------------------- mapping
  function renderMapping() {
    clear(mapSec);
    const s = state.setup || {};
    if (!state.source) {
      mapSec.hidden = true;
      return;
    }
    mapSec.hidden = false;
    mapSec.append(h("div", { class: "axis-rn-step" }, h("span", { class: "axis-rn-num" }, "2"), "Column mapping"));
    const grid = h("div", { class: "axis-rn-mapping", "data-testid": "mapping" });
    for (const f of s.fields || []) {
      const value = state.mapping[f.field] || "";
      const sel = h(
        "select",
        {
          class: `axis-select${value ? " mapped" : ""}`,
          "data-testid": `map-${f.field}`,
          "data-field": f.field,
          onchange: (e) => {
            state.mapping[f.field] = e.target.value;
            renderMapping();
            renderMetrics();
            renderRun();
          },
        },
        h("option", { value: "" }, f.field === "dataset_id" ? "(row number)" : "— not mapped —"),
        (s.columns || []).map((c) => h("option", { value: c, selected: c === value }, c)),
      );
      grid.append(
        h(
          "label",
          { class: `axis-rn-field${value ? " mapped" : ""}`, "data-testid": "field", "data-field": f.field, "data-mapped": value ? "1" : "0" },
          h("span", {}, f.label, f.required ? h("span", { class: "axis-rn-req", title: "required" }, " *") : null),
          sel,
        ),
      );
    }
    mapSec.append(grid);
    const missing = missingRequired();
    if (missing.length) {
      mapSec.append(h("div", { class: "axis-rn-warn", "data-testid": "mapping-warning" }, `Map the required field(s): ${missing.join(", ")}.`));
    }
  }

  // ---------------------------------------------------------------- metrics
  function renderMetrics() {
    clear(metricSec);
    if (!state.source) {
      metricSec.hidden = true;
      return;
    }
    metricSec.hidden = false;
    const all = state.setup?.metrics || [];
    const q = state.search.trim().toLowerCase();
    const shown = all.filter(
      (m) =>
        (state.filter === "all" || isCompatible(m)) &&
        (!q || `${m.key} ${m.name} ${(m.tags || []).join(" ")} ${m.description}`.toLowerCase().includes(q)),
    );
    const compatCount = all.filter(isCompatible).length;
    const pill = (key, label) =>
      h(
        "button",
        {
          class: `axis-btn${state.filter === key ? " active" : ""}`,
          "data-testid": `filter-${key}`,
          onclick: () => {
            state.filter = key;
            renderMetrics();
          },
        },
        label,
      );
    const search = h("input", {
      class: "axis-select axis-rn-search",
      type: "search",
      placeholder: "Search metrics",
      value: state.search,
      "data-testid": "metric-search",
      oninput: (e) => {
        state.search = e.target.value;
        const pos = e.target.selectionStart;
        renderMetrics();
        const again = metricSec.querySelector("[data-testid=metric-search]");
        again.focus();
        try {
          again.setSelectionRange(pos, pos);
        } catch {
          /* type=search may not support it */
        }
      },
    });
    metricSec.append(
      h("div", { class: "axis-rn-step" }, h("span", { class: "axis-rn-num" }, "3"), "Metrics"),
      h(
        "div",
        { class: "axis-rn-toolbar" },
        pill("all", `All (${all.length})`),
        pill("compatible", `Compatible (${compatCount})`),
        search,
        h(
          "button",
          {
            class: "axis-btn",
            "data-testid": "clear-metrics",
            onclick: () => {
              state.selected.clear();
              renderMetrics();
              renderRun();
            },
          },
          "Clear",
        ),
        h("span", { class: "axis-muted", "data-testid": "selected-count" }, `${selectedMetrics().length} selected`),
      ),
    );
    const list = h("div", { class: "axis-rn-metrics", "data-testid": "metric-list" });
    for (const m of shown) {
      const ok = isCompatible(m);
      const on = ok && state.selected.has(m.key);
      const toggle = () => {
        if (!ok) return;
        if (state.selected.has(m.key)) state.selected.delete(m.key);
        else state.selected.add(m.key);
        renderMetrics();
        renderRun();
      };
      const missing = (m.required_fields || []).filter((f) => !mappedFields().has(f));
      list.append(
        h(
          "div",
          {
            class: `axis-rn-metric${on ? " selected" : ""}${ok ? "" : " disabled"}`,
            "data-testid": "metric",
            "data-key": m.key,
            "data-compatible": ok ? "1" : "0",
            "data-selected": on ? "1" : "0",
            title: ok ? m.description : `needs ${missing.join(", ")} mapped`,
            onclick: (e) => {
              if (e.target.tagName !== "INPUT") toggle();
            },
          },
          h(
            "div",
            { class: "axis-rn-metric-head" },
            h("input", { type: "checkbox", checked: on, disabled: !ok, "data-testid": "metric-check", onchange: toggle }),
            h("span", { class: "axis-rn-metric-name" }, m.name),
            h("span", { class: `axis-pill ${m.needs_llm ? "axis-rn-llm" : "axis-rn-heur"}`, "data-testid": "metric-kind" }, m.needs_llm ? "LLM" : "HEURISTIC"),
          ),
          h("div", { class: "axis-rn-metric-key axis-id" }, m.key),
          h(
            "div",
            { class: "axis-rn-metric-req" },
            "needs ",
            (m.required_fields || []).map((f) => h("span", { class: `axis-rn-chip${mappedFields().has(f) ? " ok" : ""}` }, f)),
          ),
        ),
      );
    }
    if (!shown.length) list.append(h("div", { class: "axis-muted" }, "No metric matches."));
    metricSec.append(list);
  }

  // ---------------------------------------------------------------- run config
  function renderRun() {
    clear(runSec);
    if (!state.source) {
      runSec.hidden = true;
      return;
    }
    runSec.hidden = false;
    const chosen = selectedMetrics();
    const nLlm = chosen.filter((m) => m.needs_llm).length;
    const info = (state.setup?.datasets || []).find((d) => d.name === state.source) || {};
    const active = state.status && ACTIVE.has(state.status.state);
    const missing = missingRequired();
    const nameInput = h("input", {
      class: "axis-select",
      "data-testid": "run-name",
      value: state.name,
      oninput: (e) => {
        state.name = e.target.value;
        state.nameEdited = true;
      },
    });
    const concInput = h("input", {
      class: "axis-select axis-rn-conc",
      type: "number",
      min: 1,
      max: 64,
      value: state.concurrency,
      "data-testid": "concurrency",
      oninput: (e) => {
        state.concurrency = Math.max(1, Math.min(64, parseInt(e.target.value, 10) || 8));
      },
    });
    const canStart = !active && !state.busy && chosen.length > 0 && !missing.length;
    runSec.append(
      h("div", { class: "axis-rn-step" }, h("span", { class: "axis-rn-num" }, "4"), "Run"),
      h(
        "div",
        { class: "axis-rn-summary", "data-testid": "config-summary" },
        `${fmtInt(info.records ?? info.rows)} rows · ${chosen.length} metric${chosen.length === 1 ? "" : "s"} ` +
          `(${nLlm} LLM, ${chosen.length - nLlm} heuristic) · ${fmtInt((info.records ?? info.rows ?? 0) * chosen.length)} scores`,
      ),
      h(
        "div",
        { class: "axis-rn-toolbar" },
        h("label", {}, "Name ", nameInput),
        h("label", {}, "Concurrency ", concInput),
        h("button", { class: "axis-btn active", disabled: !canStart, "data-testid": "start", onclick: startRun }, "Start evaluation"),
        h("button", { class: "axis-btn", disabled: !active, "data-testid": "cancel", onclick: cancelRun }, "Cancel"),
      ),
    );
    if (nLlm && state.setup && !state.setup.llm_configured) {
      runSec.append(
        h(
          "div",
          { class: "axis-rn-warn", "data-testid": "llm-warning" },
          "LLM metrics are selected but no ANTHROPIC_API_KEY is set where the run executes; the run will be refused.",
        ),
      );
    }
  }

  // ---------------------------------------------------------------- progress + results
  function renderProgress() {
    const st = state.status;
    clear(progSec);
    if (!st) {
      progSec.hidden = true;
      return;
    }
    progSec.hidden = false;
    const total = st.total || 0;
    const done = st.done || 0;
    const pct = total ? Math.round((100 * done) / total) : st.state === "succeeded" ? 100 : 0;
    const phase = st.state === "queued" || st.stage === "preparing" ? 0 : FINAL.has(st.state) ? 2 : 1;
    const steps = ["Validate", "Evaluate", "Complete"].map((label, i) =>
      h("span", { class: `axis-rn-phase${i < phase ? " past" : i === phase ? " current" : ""}` }, label),
    );
    progSec.append(
      h(
        "div",
        { class: "axis-rn-step" },
        `Run ${st.run_id || ""} → `,
        h("b", { "data-testid": "result-name" }, st.dataset || ""),
        h("span", { class: `axis-rn-state axis-rn-state-${st.state}`, "data-testid": "run-state" }, st.state),
      ),
      h("div", { class: "axis-rn-phases" }, steps),
      h(
        "div",
        {
          class: "axis-rn-bar",
          "data-testid": "progress",
          "data-done": done,
          "data-total": total,
          "data-state": st.state,
        },
        h("div", { class: `axis-rn-fill axis-rn-fill-${st.state}`, style: { width: `${pct}%` } }),
      ),
      h(
        "div",
        { class: "axis-muted", "data-testid": "progress-text" },
        `${fmtInt(done)}/${total ? fmtInt(total) : "?"} (${pct}%)` +
          (st.elapsed !== null && st.elapsed !== undefined ? ` · ${st.elapsed.toFixed(1)} s` : "") +
          (st.stage ? ` · ${st.stage}` : ""),
      ),
    );
    const means = Object.entries(st.means || {});
    if (means.length && !FINAL.has(st.state)) {
      progSec.append(
        h(
          "div",
          { class: "axis-rn-means", "data-testid": "running-means" },
          means.map(([k, v]) => h("span", { class: "axis-rn-chip", style: { color: scoreColor(v) } }, `${k} ${fmtScore(v)}`)),
        ),
      );
    }
    const warnings = Object.entries(st.metric_errors || {});
    if (warnings.length) {
      progSec.append(
        h(
          "div",
          { class: "axis-rn-warn", "data-testid": "warnings" },
          `${fmtInt(st.errors)} score(s) failed: `,
          warnings.map(([k, n]) => `${k} ${fmtInt(n)}${st.first_errors?.[k] ? ` (${st.first_errors[k]})` : ""}`).join("; "),
        ),
      );
    }
    if (st.state === "failed" && st.error) {
      progSec.append(h("div", { class: "axis-error", "data-testid": "run-error" }, st.error));
    }
    const logs = st.log || [];
    if (logs.length) {
      progSec.append(
        h(
          "div",
          { class: "axis-rn-log", "data-testid": "log" },
          logs.slice(-12).map((l) => h("div", { class: `axis-rn-log-${l.level || "info"}` }, l.message)),
        ),
      );
    }
  }

  function renderResults() {
    const st = state.status;
    clear(resultSec);
    if (!st || st.state !== "succeeded") {
      resultSec.hidden = true;
      return;
    }
    resultSec.hidden = false;
    const rows = st.summary || [];
    const n = rows.reduce((a, r) => a + (r.count || 0), 0);
    const avg = n ? rows.reduce((a, r) => a + (r.mean ?? 0) * (r.count || 0), 0) / n : null;
    const pass = n ? rows.reduce((a, r) => a + (r.pass_rate ?? 0) * (r.count || 0), 0) / n : null;
    resultSec.append(
      h("div", { class: "axis-kpis" }, [
        kpiCard({ label: "Rows evaluated", value: st.records, text: fmtInt(st.records), testid: "kpi-rows" }),
        kpiCard({ label: "Metrics", value: rows.length, text: fmtInt(rows.length), testid: "kpi-metrics" }),
        kpiCard({ label: "Avg score", value: avg, text: fmtPct(avg), color: scoreColor(avg), testid: "kpi-avg" }),
        kpiCard({ label: "Pass rate", value: pass, text: fmtPct(pass), color: scoreColor(pass), testid: "kpi-pass" }),
      ]),
      h(
        "table",
        { class: "axis-table axis-rn-results", "data-testid": "summary" },
        h("thead", {}, h("tr", {}, ["Metric", "Count", "Mean", "Min", "Max", "Pass rate", ""].map((c) => h("th", {}, c)))),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr",
              { "data-testid": "summary-row", "data-metric": r.metric_name, "data-mean": r.mean ?? "", "data-pass": r.pass_rate ?? "" },
              h("td", {}, r.metric_name),
              h("td", { class: "axis-num" }, fmtInt(r.count)),
              h("td", { class: "axis-num", style: { color: scoreColor(r.mean) } }, fmtScore(r.mean)),
              h("td", { class: "axis-num" }, fmtScore(r.min)),
              h("td", { class: "axis-num" }, fmtScore(r.max)),
              h("td", { class: "axis-num" }, fmtPct(r.pass_rate)),
              h(
                "td",
                {},
                h(
                  "span",
                  { class: `axis-pill ${(r.pass_rate ?? 0) >= 0.5 ? "axis-rn-pass" : "axis-rn-warnpill"}` },
                  (r.pass_rate ?? 0) >= 0.5 ? "PASS" : "WARN",
                ),
              ),
            ),
          ),
        ),
      ),
      h(
        "div",
        { class: "axis-rn-toolbar" },
        h("button", { class: "axis-btn active", "data-testid": "open-scorecard", onclick: openScorecard }, "Open scorecard"),
        h("button", { class: "axis-btn", "data-testid": "new-run", onclick: newRun }, "New evaluation"),
        st.llm ? h("span", { class: "axis-muted", "data-testid": "llm-usage" }, `LLM: ${fmtInt(st.llm.requests)} requests, ${fmtInt(st.llm.cache_hits)} cached`) : null,
        h("span", { class: "axis-muted", "data-testid": "scorecard-note" }),
      ),
    );
  }

  function renderAll() {
    renderDataset();
    renderMapping();
    renderMetrics();
    renderRun();
    renderProgress();
    renderResults();
  }

  // ---------------------------------------------------------------- actions
  function applySetup(s) {
    state.setup = s;
    state.source = s.source || null;
    const mapping = {};
    for (const f of s.fields || []) mapping[f.field] = (s.mapping || {})[f.field] || "";
    state.mapping = { ...(s.mapping || {}), ...mapping };
    const compat = new Set((s.metrics || []).filter((m) => m.compatible).map((m) => m.key));
    state.selected = new Set([...state.selected].filter((k) => compat.has(k)));
    if (!state.nameEdited) state.name = s.defaults?.name || "";
    state.concurrency = state.concurrency || s.defaults?.concurrency || 8;
    root.dataset.source = state.source || "";
  }

  async function loadSetup(source) {
    showError(null);
    root.classList.add("axis-busy");
    try {
      const s = await caller.call("setup", source ? { source } : {});
      noteVia();
      applySetup(s);
      model.set("params", { ...(model.get("params") || {}), source: state.source });
      model.set("snapshot", s);
      model.save_changes();
      renderAll();
    } catch (err) {
      showError(err);
    } finally {
      root.classList.remove("axis-busy");
    }
  }

  async function startRun() {
    showError(null);
    state.busy = true;
    renderRun();
    try {
      const out = await caller.call("start", {
        source: state.source,
        metrics: selectedMetrics().map((m) => m.key),
        mapping: state.mapping,
        name: state.name || null,
        concurrency: state.concurrency,
      });
      noteVia();
      state.runId = out.run_id;
      state.status = out.status;
      model.set("run_id", out.run_id);
      model.save_changes();
      renderProgress();
      renderResults();
      schedulePoll(0);
    } catch (err) {
      showError(err);
    } finally {
      state.busy = false;
      renderRun();
    }
  }

  async function cancelRun() {
    if (!state.runId) return;
    try {
      state.status = await caller.call("cancel", { run_id: state.runId });
      renderProgress();
      renderRun();
    } catch (err) {
      showError(err);
    }
  }

  function schedulePoll(delay = POLL_MS) {
    clearTimeout(state.timer);
    if (state.disposed) return;
    state.timer = setTimeout(poll, delay);
  }

  async function poll() {
    if (!state.runId || state.disposed) return;
    try {
      const st = await caller.call("status", { run_id: state.runId });
      noteVia();
      state.status = st;
      root.dataset.runState = st.state;
      renderProgress();
      if (FINAL.has(st.state)) {
        renderResults();
        renderRun();
        const snap = { ...(state.setup || {}), last_status: { ...st, log: undefined } };
        model.set("snapshot", snap);
        model.save_changes();
        if (st.state === "succeeded") loadDatasetsQuietly();
        return;
      }
      renderRun();
    } catch (err) {
      showError(err);
      if (/no evaluation run|no job/i.test(String(err.message))) return; // forgotten run
    }
    schedulePoll();
  }

  async function loadDatasetsQuietly() {
    // the results dataset now exists: refresh the picker without losing the selections
    try {
      const s = await caller.call("setup", state.source ? { source: state.source } : {});
      state.setup = { ...state.setup, datasets: s.datasets, runs: s.runs };
      renderDataset();
    } catch {
      /* not essential */
    }
  }

  function openScorecard() {
    const name = state.status?.dataset;
    if (!name) return;
    model.set("scorecard_request", { dataset: name, n: Date.now() });
    model.save_changes();
    const note = resultSec.querySelector("[data-testid=scorecard-note]");
    if (note) note.textContent = `Scorecard of ${name} opened below.`;
  }

  function newRun() {
    state.status = null;
    state.runId = "";
    state.nameEdited = false;
    model.set("run_id", "");
    model.save_changes();
    loadSetup(state.source);
  }

  // ---------------------------------------------------------------- start
  const onRunId = () => {
    const rid = model.get("run_id");
    if (rid && rid !== state.runId) {
      state.runId = rid;
      schedulePoll(0);
    }
  };
  model.on("change:run_id", onRunId);

  const snap = model.get("snapshot");
  if (snap && Object.keys(snap).length && snap.fields) {
    applySetup(snap);
    if (snap.last_status && snap.last_status.run_id === state.runId) state.status = snap.last_status;
    renderAll();
  } else {
    loadSetup(state.source);
  }
  if (state.runId && !(state.status && FINAL.has(state.status.state))) schedulePoll(0);
  caller.decide().then((m) => {
    root.dataset.transport = m;
  });

  return () => {
    state.disposed = true;
    clearTimeout(state.timer);
    model.off("change:run_id", onRunId);
    caller.dispose();
  };
}

export default { render };
