// The monitor's trace panel (see ../monitor.js): one scored record with its input,
// output, explanation, signals, the record's other metrics and its metadata.
import { h, clear } from "../../lib/dom.js";
import { scoreColor, fmtScore, fmtTime, fmtLatency } from "../../lib/format.js";
import { table } from "../../lib/table.js";
import { signalBlocksView } from "../../lib/signals.js";
import { errorText } from "../../lib/transport.js";
import { placeNear } from "../../lib/overlay.js";

/**
 * Open the trace of `row` in `overlay`, level with `anchor` (the clicked button), so a
 * trace opened far down the view shows where the click was, not at the view's top.
 * @param {HTMLElement} overlay
 * @param {(action: string, params?: object) => Promise<any>} call
 * @param {{dataset_id: string, metric_name: string}} row
 * @param {Element} [anchor]
 * @param {string} [unit] the dataset's latency unit
 */
export async function openTrace(overlay, call, row, anchor, unit) {
  overlay.hidden = false;
  const loading = h("div", { class: "axis-panel axis-muted" }, "Loading…");
  clear(overlay).append(loading);
  placeNear(overlay, loading, anchor);
  const close = () => { overlay.hidden = true; };
  /** @type {HTMLElement} */
  let panel;
  try {
    const d = await call("trace", { dataset_id: row.dataset_id, metric: row.metric_name });
    panel = tracePanel({ ...d, latency_unit: unit }, close);
  } catch (err) {
    panel = h("div", { class: "axis-panel" }, h("div", { class: "axis-error" }, errorText(err)), h("button", { class: "axis-btn", onclick: close }, "Close"));
  }
  clear(overlay).append(panel);
  placeNear(overlay, panel, anchor);
}

/**
 * A titled text box.
 * @param {string} title @param {string | null | undefined} text @param {string} [cls]
 */
const box = (title, text, cls) => h("div", { class: `axis-box ${cls || ""}` }, h("div", { class: "axis-subhead" }, title), h("div", { class: "axis-text" }, text ?? "—"));

/** @param {unknown} v */
const valueText = (v) => (typeof v === "object" ? JSON.stringify(v) : String(v));

/**
 * @param {any} d the trace action's result
 * @param {() => void} close
 */
function tracePanel(d, close) {
  const id = d.trace_id ?? d.dataset_id;
  return h("div", { class: "axis-panel", "data-testid": "trace-panel" },
    h("div", { class: "axis-panel-head" },
      h("span", { class: "axis-big", style: { color: scoreColor(d.metric_score) }, "data-testid": "detail-score" }, fmtScore(d.metric_score)),
      h("span", {}, ` ${d.metric_name}`), h("span", { class: "axis-id", "data-testid": "detail-trace" }, `  ${id}`),
      h("button", { class: "axis-btn", onclick: () => navigator.clipboard?.writeText(id) }, "Copy"),
      h("button", { class: "axis-btn", "data-testid": "detail-close", onclick: close, "aria-label": "Close" }, "×")),
    h("div", { class: "axis-row" }, box("Input", d.query), box("LLM Output", d.actual_output)),
    box("Expected Output", d.expected_output),
    box("Explanation", d.explanation, "axis-blue"), d.critique ? box("Critique", d.critique, "axis-amber") : null,
    h("div", { class: "axis-subhead" }, "Signals"), signalBlocksView(d.signals),
    h("div", { class: "axis-subhead" }, "All metrics of this record"),
    table({
      testid: "detail-metrics",
      rows: d.metrics.map((/** @type {any} */ m) => h("tr", {}, h("td", {}, m.metric_name), h("td", {}, m.metric_category ?? ""),
        h("td", { class: "axis-num" }, m.metric_score === null ? (m.explanation ?? "—") : fmtScore(m.metric_score)))),
    }),
    h("div", { class: "axis-kv" }, Object.entries(d.metadata || {}).map(([k, v]) => [h("span", { class: "axis-muted" }, k), h("span", {}, valueText(v))])),
    h("div", { class: "axis-muted" }, `${d.model_name ?? ""} · ${d.environment ?? ""} · latency ${fmtLatency(d.latency, d.latency_unit)} · ${fmtTime(d.timestamp)}`));
}
