// The other tabs of the rules dashboard: decision quality (aligned / divergent / partial
// columns and the soft thresholds), hard stops (cards, 10 a page) and batches (a card per
// batch with a stacked status bar and its risk categories).
import { h, clear } from "../../lib/dom.js";
import { fmtInt, fmtPct, fmtTime } from "../../lib/format.js";
import { table } from "../../lib/table.js";
import { badge, pageButtons } from "./rules.js";

/** @param {any} ctx */
export function qualityTab(ctx) {
  const box = h("div", { class: "axis-mem-quality", "data-testid": "quality-tab" });
  ctx.refresh("quality", { filters: ctx.filters() }, (/** @type {any} */ q) => {
    const col = (/** @type {string} */ key, /** @type {string} */ title, /** @type {string} */ icon) => {
      const g = q.groups[key];
      return h("div", { class: `axis-mem-qcol axis-mem-q-${key}`, "data-testid": `quality-${key}` },
        h("div", { class: "axis-mem-card-title" }, `${icon} ${title} (${fmtInt(g.count)})`),
        h("div", { class: "axis-mem-qlist" }, g.rows.map((/** @type {any} */ r) => h("div", { class: "axis-mem-qitem" },
          h("b", {}, r.rule_name), h("div", { class: "axis-muted" }, `${r.risk_factor ?? "—"} · `, badge(r.action, ctx.colors))))));
    };
    clear(box).append(h("div", { class: "axis-mem-qcols" }, col("aligned", "Aligned", "✓"), col("divergent", "Divergent", "⚠"),
      col("partial", "Partial", "−")),
    h("div", { class: "axis-mem-card-title" }, `Soft thresholds (${fmtInt(q.soft_count)})`),
    table({ testid: "soft-thresholds", head: ["Rule", "Risk factor", "Threshold", "Action"],
      rows: q.soft_thresholds.map((/** @type {any} */ r) => h("tr", {}, h("td", {}, r.rule_name), h("td", {}, r.risk_factor ?? "—"),
        h("td", {}, r.threshold ?? "—"), h("td", {}, badge(r.action, ctx.colors)))) }));
  });
  return box;
}

/** @param {any} ctx */
export function hardStopsTab(ctx) {
  const box = h("div", { class: "axis-mem-stops", "data-testid": "hard-stops-tab" });
  let page = 1;
  const load = () => ctx.refresh("hard_stops", { filters: ctx.filters(), page, page_size: 10 }, (/** @type {any} */ d) => {
    const pages = Math.max(1, Math.ceil(d.total / d.page_size));
    clear(box).append(
      h("div", { class: "axis-mem-card-title", "data-testid": "hard-stops-count" },
        `${fmtInt(d.total)} hard stop rules — unmitigated ${ctx.payload.config.hard_stop_action}s`),
      h("div", { class: "axis-mem-stop-grid" }, d.rows.map((/** @type {any} */ r) => h("div", { class: "axis-mem-stop", "data-testid": "hard-stop" },
        h("div", { class: "axis-mem-stop-title" }, r.rule_name),
        h("div", { class: "axis-muted" }, [r.risk_factor, r.risk_category, r.product_type].filter(Boolean).join(" / ")),
        r.outcome_description ? h("div", { class: "axis-mem-clamp" }, r.outcome_description) : null,
        h("div", {}, r.threshold ? h("span", { class: "axis-pill" }, `${r.threshold_type || "threshold"}: ${r.threshold}`) : null,
          r.compound_trigger ? h("span", { class: "axis-pill" }, r.compound_trigger) : null)))),
      h("div", { class: "axis-pager" }, pageButtons(page, pages, (p) => { page = p; load(); })));
  });
  load();
  return box;
}

/** @param {any} ctx */
export function batchesTab(ctx) {
  const box = h("div", { class: "axis-mem-batches", "data-testid": "batches-tab" });
  const colors = { ingested: "#16a34a", pending: "#a8a29e", failed: "#dc2626" };
  ctx.refresh("batches", { filters: ctx.filters() }, (/** @type {any} */ d) => {
    clear(box).append(h("div", { class: "axis-mem-batch-grid" }, d.batches.map((/** @type {any} */ b) => {
      const total = b.rules_count || 1;
      const ok = (b.status_counts.ingested || 0) / total;
      return h("div", { class: "axis-mem-batch", "data-testid": "batch", "data-batch": b.batch_id },
        h("div", { class: "axis-mem-stop-title", title: b.batch_id }, b.batch_id.length > 18 ? b.batch_id.slice(0, 17) + "…" : b.batch_id),
        h("div", { class: "axis-muted" }, `${fmtTime(b.created_at)} · ${fmtInt(b.rules_count)} rules · ${fmtPct(ok)} ingested`),
        h("div", { class: "axis-mem-stack" }, Object.entries(b.status_counts).map(([k, n]) =>
          h("span", { title: `${k}: ${n}`, style: { width: `${(100 * Number(n)) / total}%`, background: colors[k] || "#64748b" } }))),
        h("div", { class: "axis-muted" }, Object.entries(b.status_counts).map(([k, n]) => `${k} ${n}`).join(" · ")),
        h("div", {}, (b.categories || []).map((/** @type {string} */ c) => h("span", { class: "axis-pill" }, c))));
    })));
  });
  return box;
}
