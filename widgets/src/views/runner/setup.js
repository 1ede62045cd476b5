// The runner's four setup steps (see ../runner.js): the dataset (with a preview), the
// column mapping, the metric catalogue, and the run's name, concurrency and buttons.
import { h, clear } from "../../lib/dom.js";
import { fmtInt } from "../../lib/format.js";
import { select } from "../../lib/controls.js";
import { table } from "../../lib/table.js";
import { ACTIVE, isCompatible, missingRequired, shownMetrics, startBlocked } from "./logic.js";

/** @typedef {import("../runner.js").RunnerContext} RunnerContext */

/** @param {string} n @param {string} title */
const step = (n, title) => h("div", { class: "axis-rn-step" }, h("span", { class: "axis-rn-num" }, n), title);

/**
 * Show `sec` only once a dataset is chosen; returns whether it is shown.
 * @param {RunnerContext} ctx @param {HTMLElement} sec
 */
function shownWithSource(ctx, sec) {
  clear(sec);
  sec.hidden = !ctx.state.source;
  return !sec.hidden;
}

/** @param {RunnerContext} ctx */
export function datasetStep(ctx) {
  const { state, sec } = ctx;
  clear(sec.data);
  const s = state.setup || {};
  /** @type {any[]} */
  const ds = s.datasets || [];
  sec.data.append(step("1", "Dataset"), select({
    testid: "dataset-select", first: ["", ds.length ? "— choose a dataset —" : "no datasets loaded"],
    options: ds.map((d) => [d.name, d.name]), value: state.source,
    onchange: (v) => ctx.loadSetup(v || null),
  }));
  /** @type {any[]} */
  const past = s.results || [];
  if (past.length) {
    sec.data.append(h("span", { class: "axis-rn-card" }, "or ", select({
      testid: "past-run", first: ["", `— open a past run (${past.length}) —`],
      options: past.map((r) => [r.name, `${r.name} (${r.source ?? "?"})`]), value: ctx.state.opened?.dataset || "",
      onchange: (v) => v && ctx.openPast(v),
    })));
  }
  const info = ds.find((d) => d.name === state.source);
  if (!info) return;
  sec.data.append(h("span", { class: "axis-rn-card", "data-testid": "dataset-card" },
    `${fmtInt(info.records ?? info.rows)} rows · ${fmtInt((s.columns || []).length)} columns · ${info.kind}/${info.layout}`));
  const pv = s.preview || { columns: [], rows: [] };
  if (pv.columns.length) {
    sec.data.append(table({
      testid: "preview", cls: "axis-rn-preview", head: pv.columns,
      rows: pv.rows.map((/** @type {unknown[]} */ r) => h("tr", {}, r.map((v) => {
        const t = v === null || v === undefined ? "—" : String(v);
        return h("td", { title: t }, t.length > 60 ? t.slice(0, 57) + "…" : t);
      }))),
    }));
  }
}

/** @param {RunnerContext} ctx */
export function mappingStep(ctx) {
  const { state, sec } = ctx;
  if (!shownWithSource(ctx, sec.map)) return;
  const s = state.setup || {};
  sec.map.append(step("2", "Column mapping"));
  const grid = h("div", { class: "axis-rn-mapping", "data-testid": "mapping" });
  for (const f of s.fields || []) {
    const value = state.mapping[f.field] || "";
    const sel = select({
      cls: `axis-select${value ? " mapped" : ""}`, testid: `map-${f.field}`,
      first: ["", f.field === "dataset_id" ? "(row number)" : "— not mapped —"],
      options: (s.columns || []).map((/** @type {string} */ c) => [c, c]), value,
      onchange: (v) => {
        state.mapping[f.field] = v;
        ctx.redraw();
      },
    });
    sel.dataset.field = f.field;
    grid.append(h("label", { class: `axis-rn-field${value ? " mapped" : ""}`, "data-testid": "field", "data-field": f.field, "data-mapped": value ? "1" : "0" },
      h("span", {}, f.label, f.required ? h("span", { class: "axis-rn-req", title: "required" }, " *") : null),
      sel));
  }
  sec.map.append(grid);
  const missing = missingRequired(state.mapping, ctx.agentOn());
  if (missing.length) {
    sec.map.append(h("div", { class: "axis-rn-warn", "data-testid": "mapping-warning" }, `Map the required field(s): ${missing.join(", ")}.`));
  }
}

/** @param {RunnerContext} ctx */
export function metricsStep(ctx) {
  const { state, sec } = ctx;
  if (!shownWithSource(ctx, sec.metrics)) return;
  /** @type {import("./logic.js").Metric[]} */
  const all = state.setup?.metrics || [];
  const mapped = ctx.mapped();
  const shown = shownMetrics(all, state, mapped);
  const compatCount = all.filter((m) => isCompatible(m, mapped)).length;
  /** @param {string} key @param {string} label */
  const pill = (key, label) => h("button", {
    class: `axis-btn${state.filter === key ? " active" : ""}`, "data-testid": `filter-${key}`,
    onclick: () => {
      state.filter = key;
      metricsStep(ctx);
    },
  }, label);
  const search = h("input", {
    class: "axis-select axis-rn-search", type: "search", placeholder: "Search metrics", value: state.search,
    "data-testid": "metric-search",
    oninput: (/** @type {any} */ e) => {
      state.search = e.target.value;
      const pos = e.target.selectionStart;
      metricsStep(ctx);
      const again = /** @type {HTMLInputElement} */ (sec.metrics.querySelector("[data-testid=metric-search]"));
      again.focus();
      try {
        again.setSelectionRange(pos, pos);
      } catch {
        /* type=search may not support it */
      }
    },
  });
  sec.metrics.append(step("3", "Metrics"), h("div", { class: "axis-rn-toolbar" },
    pill("all", `All (${all.length})`),
    pill("compatible", `Compatible (${compatCount})`),
    search,
    h("button", { class: "axis-btn", "data-testid": "clear-metrics",
      onclick: () => {
        state.selected.clear();
        metricsStep(ctx);
        runStep(ctx);
      } }, "Clear"),
    h("span", { class: "axis-muted", "data-testid": "selected-count" }, `${ctx.chosen().length} selected`)));
  const list = h("div", { class: "axis-rn-metrics", "data-testid": "metric-list" }, shown.map((m) => metricCard(ctx, m, mapped)));
  if (!shown.length) list.append(h("div", { class: "axis-muted" }, "No metric matches."));
  sec.metrics.append(list);
}

/**
 * One metric of the catalogue: click to select it when its fields are mapped.
 * @param {RunnerContext} ctx @param {import("./logic.js").Metric} m @param {Set<string>} mapped
 */
function metricCard(ctx, m, mapped) {
  const { state } = ctx;
  const ok = isCompatible(m, mapped);
  const on = ok && state.selected.has(m.key);
  const toggle = () => {
    if (!ok) return;
    if (state.selected.has(m.key)) state.selected.delete(m.key);
    else state.selected.add(m.key);
    metricsStep(ctx);
    runStep(ctx);
  };
  const required = m.required_fields || [];
  const missing = required.filter((f) => !mapped.has(f));
  return h("div", {
    class: `axis-rn-metric${on ? " selected" : ""}${ok ? "" : " disabled"}`,
    "data-testid": "metric", "data-key": m.key, "data-compatible": ok ? "1" : "0", "data-selected": on ? "1" : "0",
    title: ok ? m.description : `needs ${missing.join(", ")} mapped`,
    onclick: (/** @type {any} */ e) => {
      if (e.target.tagName !== "INPUT") toggle();
    },
  },
  h("div", { class: "axis-rn-metric-head" },
    h("input", { type: "checkbox", checked: on, disabled: !ok, "data-testid": "metric-check", onchange: toggle }),
    h("span", { class: "axis-rn-metric-name" }, m.name),
    h("span", { class: `axis-pill ${m.needs_llm ? "axis-rn-llm" : "axis-rn-heur"}`, "data-testid": "metric-kind" }, m.needs_llm ? "LLM" : "HEURISTIC")),
  h("div", { class: "axis-rn-metric-key axis-id" }, m.key),
  h("div", { class: "axis-rn-metric-req" }, "needs ",
    required.map((f) => h("span", { class: `axis-rn-chip${mapped.has(f) ? " ok" : ""}` }, f))));
}

/** @param {RunnerContext} ctx */
export function runStep(ctx) {
  const { state, sec } = ctx;
  if (!shownWithSource(ctx, sec.run)) return;
  const chosen = ctx.chosen();
  const nLlm = chosen.filter((m) => m.needs_llm).length;
  const info = (state.setup?.datasets || []).find((/** @type {any} */ d) => d.name === state.source) || {};
  const active = state.status && ACTIVE.has(state.status.state);
  const nameInput = h("input", {
    class: "axis-select", "data-testid": "run-name", value: state.name,
    oninput: (/** @type {any} */ e) => {
      state.name = e.target.value;
      state.nameEdited = true;
    },
  });
  const concInput = h("input", {
    class: "axis-select axis-rn-conc", type: "number", min: 1, max: 64, value: state.concurrency, "data-testid": "concurrency",
    oninput: (/** @type {any} */ e) => {
      state.concurrency = Math.max(1, Math.min(64, parseInt(e.target.value, 10) || 8));
    },
  });
  const providers = state.setup?.providers || {};
  const judge = state.setup?.judge || {};
  const provider = state.judgeProvider || state.setup?.default_provider || "anthropic";
  const llmKey = { anthropic: "ANTHROPIC_API_KEY", openai: "OPENAI_API_KEY", azure: "AZURE_OPENAI_API_KEY" }[provider] || "an API key";
  const llmConfigured = state.setup?.providers ? !!providers[provider] : !!state.setup?.llm_configured;
  const blockedNow = () => startBlocked({ active: !!active, busy: state.busy, chosen, mapping: state.mapping,
    llmConfigured, llmKey, agent: ctx.agentOn(), values: state.params });
  const blocked = blockedNow();
  const rows = info.records ?? info.rows;
  // the settings some selected metrics need (the custom binary judge's instruction)
  const settings = chosen.filter((m) => (/** @type {any} */ (m).params || []).length).map((m) => {
    const mm = /** @type {any} */ (m);
    return h("div", { class: "axis-rn-param", "data-testid": `params-${m.key}` }, mm.params.map((/** @type {any} */ p) => {
      // the label wraps its field (no id: two runners may be on one page)
      const area = /** @type {HTMLTextAreaElement} */ (h("textarea", { class: "axis-select axis-rn-textarea", rows: 3, placeholder: p.placeholder || "",
        "data-testid": `param-${m.key}-${p.name}`, "aria-required": p.required ? "true" : undefined,
        oninput: (/** @type {any} */ e) => {
          (state.params[m.key] ||= {})[p.name] = e.target.value;
          const again = blockedNow();
          const btn = /** @type {HTMLButtonElement | null} */ (sec.run.querySelector("[data-testid=start]"));
          if (btn) btn.disabled = !!again;
          const why = sec.run.querySelector("[data-testid=start-blocked]");
          if (why) why.textContent = again || "";
        } }));
      area.value = state.params[m.key]?.[p.name] || "";
      return h("label", { class: "axis-rn-field-block" },
        h("span", {}, `${m.name}: ${p.label}`, p.required ? h("span", { class: "axis-rn-req", title: "required" }, " *") : null), area);
    }));
  });
  sec.run.append(step("4", "Run"), ...settings,
    h("div", { class: "axis-rn-summary", "data-testid": "config-summary" },
      `${fmtInt(rows)} rows · ${chosen.length} metric${chosen.length === 1 ? "" : "s"} ` +
        `(${nLlm} LLM, ${chosen.length - nLlm} heuristic) · ${fmtInt((rows ?? 0) * chosen.length)} scores`),
    h("div", { class: "axis-rn-toolbar" },
      h("label", {}, "Name ", nameInput),
      h("label", {}, "Concurrency ", concInput),
      nLlm ? h("label", {}, "Judge ", select({
        testid: "judge-provider", value: state.judgeProvider, first: ["", `${judge.provider || "default"}`],
        options: Object.keys(providers).map((p) => [p, `${p}${providers[p] ? "" : " (no key)"}`]),
        onchange: (v) => {
          state.judgeProvider = v;
          runStep(ctx);
        },
      })) : null,
      nLlm ? h("input", {
        class: "axis-select", "data-testid": "judge-model", value: state.judgeModel, placeholder: judge.model || "model",
        oninput: (/** @type {any} */ e) => {
          state.judgeModel = e.target.value;
        },
      }) : null,
      h("button", { class: "axis-btn active", disabled: !!blocked, "data-testid": "start", onclick: ctx.startRun,
        title: blocked || "Start the run" }, "Start evaluation"),
      h("button", { class: "axis-btn", disabled: !active, "data-testid": "cancel", onclick: ctx.cancelRun }, "Cancel"),
      h("span", { class: "axis-muted", "data-testid": "start-blocked" }, active || state.busy ? "" : blocked || "")));
  if (nLlm && state.setup && !llmConfigured) {
    sec.run.append(h("div", { class: "axis-rn-warn", "data-testid": "llm-warning" },
      `LLM metrics are selected but no ${llmKey} is set where the run executes, so Start is off: deselect them, pick another judge or set the key.`));
  }
  // a refusal is shown here, beside the button that asked, not at the top of the view
  if (state.startError) sec.run.append(h("div", { class: "axis-error", "data-testid": "run-error" }, state.startError));
}
