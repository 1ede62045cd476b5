// The dashboard's KPI strip (see ../signals.js): one card per KPI of the display config,
// rates with a weekly sparkline; a click on a card with a sparkline opens its weekly trend
// below the strip (✕ closes it).
import { h, clear } from "../../lib/dom.js";
import { fmtInt, trendClass } from "../../lib/format.js";
import { lineSpark } from "../../lib/spark.js";
import { fmtKpi, sparkDirection } from "./logic.js";

/** @type {Record<string, string>} */
const ARROWS = { up: "▲", down: "▼", flat: "▬" };
/** @type {Record<string, string>} */
const ICONS = { "shield-check": "◈", "alert-triangle": "⚠", "check-circle": "✔", "rotate-ccw": "↺", target: "◎",
  clock: "◷", "dollar-sign": "$", "bar-chart-3": "▥", percent: "%", activity: "∿", hash: "#",
  "message-square": "✉", database: "▤" };

/**
 * The strip of KPI cards.
 * @param {any[]} kpis the payload's kpis
 * @param {{selected: string | null, onpick: (key: string) => void}} opts
 */
export function kpiStrip(kpis, { selected, onpick }) {
  return h("div", { class: "axis-kpis axis-hs-kpis", "data-testid": "hs-kpis" }, kpis.map((k) => {
    const spark = k.sparkline && k.sparkline.length ? k.sparkline : null;
    const dir = sparkDirection(k.sparkline);
    const card = h("div", {
      class: `axis-kpi ${k.highlight ? "axis-hs-highlight" : ""} ${selected === k.key ? "selected" : ""} ${spark ? "axis-hs-clickable" : ""}`,
      "data-testid": `kpi-${k.key}`, "data-value": k.value ?? "", "data-present": k.present ?? "",
      title: k.kind === "rate" ? `${fmtInt(k.true_count)} of ${fmtInt(k.total)} cases` : undefined,
      onclick: spark ? () => onpick(k.key) : undefined,
    },
    h("div", { class: "axis-kpi-label" }, h("span", { class: "axis-hs-icon" }, ICONS[k.icon] || "•"), ` ${k.label}`),
    h("div", { class: "axis-kpi-value" }, fmtKpi(k.value, k.format)),
    h("div", { class: "axis-kpi-sub" },
      spark ? h("span", { class: trendClass(dir, k.polarity) }, `${ARROWS[dir]} `) : null,
      k.kind === "aggregate" ? `${fmtInt(k.total)} cases` : `${fmtInt(k.present)} of ${fmtInt(k.total)} with it`));
    if (spark) card.append(lineSpark(spark));
    return card;
  }));
}

/**
 * Show a KPI's weekly trend chart in `box` with a close button.
 * @param {HTMLElement} box
 * @param {any} result the kpi_trend action's result ({label, chart})
 * @param {() => void} close
 * @param {(el: HTMLElement, spec: any) => Promise<void>} draw
 */
export async function showKpiTrend(box, result, close, draw) {
  clear(box);
  const c = h("div", { class: "axis-chart", "data-testid": "kpi-trend-chart" });
  box.append(h("div", { class: "axis-hs-trend-head" }, h("b", {}, `${result.label} by week`),
    h("button", { class: "axis-btn", "data-testid": "kpi-trend-close", onclick: close }, "✕")), c);
  box.hidden = false;
  await draw(c, result.chart);
}

/**
 * The production overview's Human Signals section body: the first KPI cards of a signals
 * dataset (value, polarity-coloured arrow, sparkline, label, cases, a "Human Signals" tag),
 * or an empty state.
 * @param {any} sec the production payload's signals section ({dataset, total, cards})
 */
export function productionSignalCards(sec) {
  if (!sec.total) {
    return h("div", { class: "axis-empty", "data-testid": "signals-empty" },
      `No Human Signals Data · %axis show signals ${sec.dataset}`);
  }
  return h("div", { class: "axis-kpis axis-hs-kpis", "data-testid": "signal-cards" }, sec.cards.map((/** @type {any} */ k) => {
    const dir = sparkDirection(k.sparkline);
    const card = h("div", { class: "axis-kpi", "data-testid": `signal-${k.key}`, "data-value": k.value ?? "" },
      h("div", { class: "axis-kpi-label" }, k.label),
      h("div", { class: "axis-kpi-value" }, fmtKpi(k.value, k.format)),
      h("div", { class: "axis-kpi-sub" }, k.sparkline && k.sparkline.length ? h("span", { class: trendClass(dir, k.polarity) }, `${ARROWS[dir]} `) : null,
        `${fmtInt(k.total)} cases · `, h("span", { class: "axis-pill" }, "Human Signals")));
    if (k.sparkline && k.sparkline.length) card.append(lineSpark(k.sparkline));
    return card;
  }));
}
