// Evaluation signals (the named values a metric reports next to its score), as the
// scorecard's tree panel, the deep dive's test case and the monitor's trace show them.
// The grouping and ordering rules are pure functions (unit tested).
import { h } from "./dom.js";
import { asText, scoreColor } from "./format.js";

/**
 * Signal groups in the deep dive's order: "overall" first, then statement_N by N, then
 * the rest by name.
 * @param {string[]} groups
 */
export function orderSignalGroups(groups) {
  /** @param {string} g @returns {[number, number, string]} */
  const rank = (g) => {
    if (g === "overall") return [0, 0, g];
    const m = g.match(/^statement_(\d+)/);
    return m ? [1, Number(m[1]), g] : [2, 0, g];
  };
  return [...groups].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
  });
}

/**
 * The signals of one group as a list of items: a list as it is, an object of name ->
 * value as {name, value} items, anything else as one item.
 * @param {unknown} raw
 * @returns {any[]}
 */
export function signalItems(raw) {
  if (Array.isArray(raw)) return raw;
  if (raw && typeof raw === "object" && !("name" in raw)) {
    return Object.entries(raw).map(([name, value]) => ({ name, value }));
  }
  return [raw];
}

/**
 * "pass" / "fail" from a group's "verdict" item (yes/true/pass/1 or no/false/fail/0),
 * else "".
 * @param {any[]} items
 */
export function verdictTint(items) {
  const verdict = items.find((it) => it && it.name === "verdict");
  if (!verdict) return "";
  const v = String(verdict.value);
  return /^(yes|true|pass|1)$/i.test(v) ? "pass" : /^(no|false|fail|0)$/i.test(v) ? "fail" : "";
}

/**
 * A signal's value as text: booleans as Yes/No, objects (and null) as JSON, undefined as "—".
 * @param {unknown} v
 */
export function signalValueText(v) {
  return typeof v === "boolean" ? (v ? "Yes" : "No") : typeof v === "object" ? JSON.stringify(v) : String(v ?? "—");
}

/**
 * The deep dive's signals: groups in orderSignalGroups order, tinted by their verdict;
 * items with a description, reason or statement unfold to show it.
 * @param {unknown} signals a list (the "overall" group) or an object of group -> signals
 */
export function signalGroupsView(signals) {
  const wrap = h("div", { class: "axis-signals", "data-testid": "signals" }, h("b", {}, "Signals"));
  if (typeof signals !== "object" || signals === null) {
    wrap.append(h("div", { class: "axis-text" }, String(signals)));
    return wrap;
  }
  /** @type {Record<string, unknown>} */
  const groups = Array.isArray(signals) ? { overall: signals } : /** @type {Record<string, unknown>} */ (signals);
  for (const g of orderSignalGroups(Object.keys(groups))) {
    const items = signalItems(groups[g]);
    const grp = h("div", { class: `axis-signal-group ${verdictTint(items)}`, "data-group": g },
      h("div", { class: "axis-muted axis-group-head" }, `${g.toUpperCase()} (${items.length} signal${items.length === 1 ? "" : "s"})`));
    for (const it of items) {
      if (it && typeof it === "object" && "name" in it) {
        const v = signalValueText(it.value);
        const more = [it.description, it.reason, it.statement].filter(Boolean);
        const row = h("div", { class: "axis-signal", "data-name": it.name },
          h("span", {}, it.headline || it.headline_display ? "★ " : "", it.name),
          h("span", {}, it.score !== undefined && it.score !== null ? h("span", { class: "axis-dot", style: { background: scoreColor(it.score) } }) : null, v));
        grp.append(more.length ? h("details", {}, h("summary", {}, row), h("div", { class: "axis-text axis-muted" }, more.join("\n"))) : row);
      } else grp.append(h("div", { class: "axis-signal axis-text" }, asText(it)));
    }
    wrap.append(grp);
  }
  return wrap;
}

/**
 * The scorecard's signals: "overall" first, then groups in natural order; one line per
 * signal.
 * @param {unknown} signals
 */
export function signalListView(signals) {
  const wrap = h("div", { class: "axis-signals" }, h("b", {}, "Signals"));
  if (typeof signals !== "object" || signals === null) {
    wrap.append(h("div", {}, String(signals)));
    return wrap;
  }
  /** @type {Record<string, unknown>} */
  const groups = Array.isArray(signals) ? { overall: signals } : /** @type {Record<string, unknown>} */ (signals);
  const order = Object.keys(groups).sort((a, b) => (a === "overall" ? -1 : b === "overall" ? 1 : a.localeCompare(b, undefined, { numeric: true })));
  for (const g of order) {
    const raw = groups[g];
    const items = Array.isArray(raw) ? raw : [raw];
    wrap.append(h("div", { class: "axis-muted" }, `${g.toUpperCase()} (${items.length})`));
    for (const it of items) {
      if (it && typeof it === "object" && "name" in it) {
        const v = typeof it.value === "boolean" ? (it.value ? "Yes" : "No") : JSON.stringify(it.value);
        wrap.append(h("div", { class: "axis-signal" }, h("span", {}, it.name), h("span", {}, v)));
      } else wrap.append(h("div", { class: "axis-signal" }, JSON.stringify(it)));
    }
  }
  return wrap;
}

/**
 * The monitor's signals, grouped by the server: [{group, items: [{name, value}]}]; a
 * group with a verdict item shows ✓ (YES / true) or ✗.
 * @param {Array<{group: string, items?: Array<{name: string, value: unknown}>}> | null | undefined} groups
 */
export function signalBlocksView(groups) {
  if (!groups || !groups.length) return h("div", { class: "axis-muted" }, "No signals");
  return h("div", { class: "axis-signals" }, groups.map((g) => {
    const verdict = (g.items || []).find((i) => i.name === "verdict");
    const ok = verdict && (verdict.value === "YES" || verdict.value === true);
    return h("div", { class: "axis-signal-group" },
      h("div", { class: "axis-subhead" }, g.group, verdict ? h("span", { class: ok ? "axis-high" : "axis-low" }, ok ? " ✓" : " ✗") : null),
      h("div", { class: "axis-kv" }, (g.items || []).map((i) => [h("span", { class: "axis-muted" }, i.name),
        h("span", {}, typeof i.value === "object" ? JSON.stringify(i.value) : String(i.value))])));
  }));
}
