"""What a view shows where widgets do not run (nbviewer, GitHub, exported HTML).

Each function turns a view's last payload (the widget's ``snapshot``) into self-contained
HTML; the widget puts it next to its widget view as the ``text/html`` fallback.
"""

from __future__ import annotations

import html
import math

from ..payloads import params


def _fmt(v, pct=False) -> str:
    if v is None:
        return "—"
    if pct:
        return f"{v * 100:.1f}%"
    if isinstance(v, float):
        return f"{v:.3f}"
    return f"{v:,}"


COLOURS = {"good": "#16a34a", "warn": "#d97706", "bad": "#dc2626", "none": "#a8a29e"}


def _spark(hist: list[int], mean) -> str:
    top = max(hist or [0]) or 1
    bars = "".join(
        f"<rect x='{i * 20 + 1}' y='{24 - 22 * c / top:.1f}' width='18' height='{22 * c / top:.1f}' "
        f"fill='#94a3b8'/>" for i, c in enumerate(hist))
    line = "" if mean is None else (f"<line x1='{mean * 100:.1f}' x2='{mean * 100:.1f}' y1='0' y2='24' "
                                    "stroke='#dc2626' stroke-dasharray='2,2'/>")
    return f"<svg width='100' height='24' viewBox='0 0 100 24'>{bars}{line}</svg>"


def scorecard(snap: dict) -> str:
    """A self-contained HTML rendering of a payload (the notebook's text/html fallback)."""
    if not snap:
        return "<div>AXIS scorecard (no data rendered yet)</div>"
    k = snap.get("kpis", {})
    e = html.escape
    cards = [("Overall weighted score", _fmt(k.get("overall_score")), params.band(k.get("overall_score"))),
             ("Score std dev", _fmt(k.get("score_std")), "none"),
             ("Test cases", _fmt(k.get("test_cases")), "none"),
             ("Metrics", _fmt(k.get("metrics")), "none"),
             ("Components", _fmt(k.get("components")), "none")]
    card_html = "".join(
        f"<div style='border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px;min-width:120px'>"
        f"<div style='font-size:11px;color:#6b7280'>{e(t)}</div>"
        f"<div style='font-size:20px;font-weight:600;color:{COLOURS[b] if b != 'none' else '#111827'}'>{e(v)}</div></div>"
        for t, v, b in cards)
    body = []
    for r in snap.get("rows", []):
        rng = ""
        if r.get("count", 0) > 1 and r.get("min") is not None:
            rng = f" <span style='color:#9ca3af'>({r['min']:.2f} - {r['max']:.2f})</span>"
        body.append(
            f"<tr><td style='padding-left:{(r['level'] - 1) * 24 + 4}px'>{e(r['name'])}</td>"
            f"<td>{e(r['type'].upper())}</td>"
            f"<td style='color:{COLOURS[params.band(r['mean'])]}'>{_fmt(r['mean'])}{rng}</td>"
            f"<td>{r['weight']:.2f}</td><td>{_fmt(r['norm_weight'], pct=True)}</td>"
            f"<td>{_fmt(r['pass_rate'], pct=True)}</td><td>{_spark(r['hist'], r['mean'])}</td></tr>")
    sel = (snap.get("experiments") or {}).get("selected")
    title = f"AXIS scorecard — {e(snap.get('dataset', ''))}"
    if sel:
        title += f" — {e(', '.join(sel))}"
    return (
        "<div class='axis-static axis-scorecard' style='font-family:system-ui,sans-serif;font-size:13px'>"
        f"<div style='font-weight:600;margin-bottom:6px'>{title}</div>"
        f"<div style='display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px'>{card_html}</div>"
        "<table style='border-collapse:collapse'><thead><tr><th>Hierarchy</th><th>Type</th><th>Score</th>"
        "<th>Weight</th><th>Norm. weight</th><th>Pass rate</th><th>Distribution</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>")


def deepdive(snap: dict) -> str:
    """KPIs and the per-metric summary."""
    e = html.escape
    if not snap:
        return "<div class='axis-static'>AXIS deep dive</div>"
    k = snap.get("kpis", {})

    def fmt(v, pct=False):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "–"
        return f"{v * 100:.1f}%" if pct else (f"{v:.3f}" if isinstance(v, float) else f"{v:,}")

    rows = "".join(f"<tr><td>{e(str(r['metric_name']))}</td><td>{fmt(r['mean'])}</td><td>{fmt(r['std'])}</td>"
                   f"<td>{fmt(r['pass_rate'], True)}</td><td>{fmt(r['count'])}</td></tr>" for r in snap.get("summary", []))
    return ("<div class='axis-static axis-deepdive' style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<b>AXIS deep dive — {e(str(snap.get('dataset')))}</b><div>Average {fmt(k.get('average_score'))} · "
            f"pass rate {fmt(k.get('pass_rate'), True)} · {fmt(k.get('test_cases'))} test cases · std dev "
            f"{fmt(k.get('std'))}</div><table><tr><th>Metric</th><th>Mean</th><th>Std</th><th>Pass rate</th>"
            f"<th>Count</th></tr>{rows}</table></div>")


def compare(snap: dict) -> str:
    """The verdict and the per-metric statistics."""
    e = html.escape
    if not snap:
        return "<div class='axis-static'>AXIS compare</div>"
    if snap.get("need_experiments"):
        return f"<div class='axis-static'>AXIS compare: {e(snap.get('message', ''))}</div>"
    v = snap.get("verdict") or {}
    rows = "".join(
        f"<tr><td>{e(str(m['metric_name']))}</td><td>{_f(m['baseline_mean'])}</td><td>{_f(m['challenger_mean'])}</td>"
        f"<td>{_f(m['delta'], '+.3f')}</td><td>{e(str(m['test'] or '–'))}</td><td>{_f(m['p_value'], '.3g')}{e(m['stars'] or '')}</td>"
        f"<td>{_f(m['p_value_adjusted'], '.3g')}</td><td>{_f(m['cohens_d'], '.2f')} {e(str(m['effect_size'] or ''))}</td></tr>"
        for m in snap.get("metrics", []))
    return ("<div class='axis-static axis-compare' style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<b>{e(str(snap.get('challenger')))} vs {e(str(snap.get('baseline')))}</b> — winner: "
            f"{e(str(v.get('winner')))}<table><tr><th>Metric</th><th>Baseline</th><th>Challenger</th><th>Δ</th>"
            f"<th>Test</th><th>p</th><th>p (Holm)</th><th>Cohen's d</th></tr>{rows}</table></div>")


def _f(v, spec=".3f") -> str:
    return "–" if v is None else format(v, spec)


def monitor(snap: dict) -> str:
    """KPI cards, pass rates and alerts."""
    if not snap:
        return "<div>AXIS monitor (no data rendered yet)</div>"
    e = html.escape
    k = snap.get("kpis", {})

    def fmt(v, pct=False):
        return "—" if v is None else (f"{v * 100:.1f}%" if pct else f"{v:,.3f}" if v < 10 else f"{v:,.0f}")

    cards = [("Avg score", fmt(k.get("avg_score"))), ("Pass rate", fmt(k.get("pass_rate"), True)),
             ("P95 latency", fmt(k.get("p95_latency"))), ("Active alerts", str(k.get("alerts", 0)))]
    card_html = "".join(f"<div style='border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px'>"
                        f"<div style='color:#6b7280;font-size:11px'>{e(a)}</div><b>{e(b)}</b></div>" for a, b in cards)
    rates = "".join(f"<tr><td>{e(str(r['metric_name']))}</td><td>{fmt(r['pass_rate'], True)}</td>"
                    f"<td>{fmt(r['avg'])}</td><td>{r['count']:,}</td></tr>" for r in snap.get("pass_rates", []))
    alerts = "".join(f"<li>{e(str(a['severity']))}: {e(str(a['message']))}</li>" for a in snap.get("alerts", [])[:20])
    return ("<div class='axis-static axis-monitor' style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<div style='font-weight:600;margin-bottom:6px'>Monitor — {e(snap.get('dataset', ''))} "
            f"({e(str(snap.get('time')))})</div>"
            f"<div style='display:flex;gap:8px;margin-bottom:8px'>{card_html}</div>"
            "<table><thead><tr><th>Metric</th><th>Pass rate</th><th>Avg</th><th>n</th></tr></thead>"
            f"<tbody>{rates}</tbody></table>"
            f"<ul>{alerts or '<li>All systems nominal</li>'}</ul></div>")


def _num(v, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def production(snap: dict) -> str:
    """KPI cards and the quality scorecard."""
    if not snap:
        return "<div>AXIS production overview (no data rendered yet)</div>"
    e = html.escape
    parts = ["<div class='axis-static axis-production' style='font-family:system-ui,sans-serif;font-size:13px'>",
             "<div style='font-weight:600'>Production overview</div>"]
    k = snap.get("kpi")
    if k:
        for c in k["categories"]:
            cards = "".join(f"<span style='margin-right:12px'>{e(str(x['display_name']))}: "
                            f"<b>{_num(x['card_value'], ',.3g')}</b> ({e(str(x['trend_direction']))})</span>"
                            for x in c["kpis"])
            parts.append(f"<div><i>{e(str(c['display_name']))}</i>: {cards}</div>")
    qd = snap.get("quality")
    if qd:
        s = qd["summary"]
        parts.append(f"<div>Alerts: {qd['alerts']['count']} · metrics {s['total_metrics']} · "
                     f"avg {_num(s['avg_score'], '.3f')} · freshness {e(s['freshness']['text'])}</div>")
        pad = {"source": 0, "component": 12, "metric": 24}
        rows = "".join(
            f"<tr><td style='padding-left:{pad[r['level']]}px'>{e(str(r['name']))}</td>"
            f"<td>{_num(r['score'], '.3f')}</td><td>{_num(r['delta'], '+.3f') if r['delta'] is not None else ''}</td>"
            f"<td>{e(str(r['health']))}</td><td>{r['records']:,}</td></tr>" for r in qd["hierarchy"])
        parts.append("<table><thead><tr><th>Hierarchy</th><th>Score</th><th>Δ</th><th>Health</th><th>Records</th>"
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    sig = snap.get("signals")
    if sig:
        cards = "".join(f"<span style='margin-right:12px'>{e(str(k['label']))}: <b>"
                        f"{_num(k['value'], '.1%') if k.get('format') == 'percent' else _num(k['value'], ',.4g')}</b></span>"
                        for k in sig.get("cards", []))
        parts.append(f"<div><i>Human signals</i> ({sig.get('total', 0):,} cases): {cards}</div>")
    parts.append("</div>")
    return "".join(parts)


def runner(snap: dict) -> str:
    """The chosen dataset and the summary of the last run."""
    e = html.escape
    st = snap.get("last_status") or {}
    rows = "".join(
        f"<tr><td>{e(str(r.get('metric_name')))}</td><td>{_fmt(r.get('mean'))}</td>"
        f"<td>{_fmt(r.get('pass_rate'), pct=True)}</td></tr>" for r in st.get("summary") or [])
    head = f"AXIS runner — {e(str(snap.get('source') or 'no dataset selected'))}"
    if st:
        head += f" — run {e(str(st.get('run_id')))}: {e(str(st.get('state')))} → {e(str(st.get('dataset')))}"
    table = f"<table><tr><th>metric</th><th>mean</th><th>pass rate</th></tr>{rows}</table>" if rows else ""
    return f"<div class='axis-static axis-runner'><b>{head}</b>{table}</div>"


def database(snap: dict) -> str:
    """The configured sources and their sync state."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(str(s.get('name')))}</td><td>{e(str(s.get('kind')))}</td>"
        f"<td>{e(str(s.get('target')))}</td>"
        f"<td>{e(str((snap.get('status') or {}).get(s.get('name'), {}).get('state', '')))}</td></tr>"
        for s in snap.get("sources", []))
    return ("<div class='axis-static'><b>AXIS database</b><table><tr><th>source</th><th>kind</th>"
            f"<th>target</th><th>state</th></tr>{rows}</table></div>")


def signals(snap: dict) -> str:
    """The KPI strip and the first page of cases."""
    if not snap:
        return "<div>AXIS human signals (no data rendered yet)</div>"
    e = html.escape

    def value(k):
        v = k.get("value")
        if v is None:
            return "—"
        return f"{v:.1%}" if k.get("format") == "percent" else format(v, ",.4g")

    cards = "".join(f"<span style='margin-right:12px'>{e(str(k.get('label')))}: <b>{value(k)}</b></span>"
                    for k in snap.get("kpis", []))
    table = snap.get("table") or {}
    cols = [c for c in table.get("columns", []) if c["key"] in (table.get("defaults") or [])]
    head = "".join(f"<th>{e(str(c['label']))}</th>" for c in cols)
    rows = "".join("<tr>" + "".join(f"<td>{e('' if r.get(c['key']) is None else str(r.get(c['key'])))}</td>"
                                    for c in cols) + "</tr>" for r in table.get("rows", []))
    return ("<div class='axis-static axis-signals' style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<div style='font-weight:600'>Human signals — {e(str(snap.get('dataset', '')))} "
            f"({snap.get('total', 0):,} cases)</div><div>{cards}</div>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


def memory(snap: dict) -> str:
    """The rules dashboard's summary: counts, rules by action, the conflicts."""
    e = html.escape
    sm = snap.get("summary") or {}
    counts = " · ".join(f"{label} {_fmt(sm.get(k))}" for label, k in (
        ("rules", "rules_count"), ("risk factors", "risk_factors_count"), ("mitigants", "mitigants_count"),
        ("hard stops", "hard_stops_count")))
    rows = "".join(f"<tr><td><span style='color:{e(str(a.get('color')))}'>■</span> {e(str(a.get('action')))}</td>"
                   f"<td>{_fmt(a.get('count'))}</td></tr>" for a in snap.get("by_action") or [])
    conflicts = snap.get("conflicts_count") or 0
    warn = f"<div style='color:#92400e'>⚠ {conflicts} conflicts</div>" if conflicts else ""
    return (f"<div class='axis-static axis-memory'><b>AXIS decision memory — {e(str(snap.get('dataset', '')))}"
            f"</b><div>{counts}</div>{warn}<table><tr><th>action</th><th>rules</th></tr>{rows}</table></div>")


def graph(snap: dict) -> str:
    """The knowledge graph's counts per node type and relation."""
    e = html.escape
    sm = snap.get("summary") or {}
    nodes = " · ".join(f"{e(str(k))} {_fmt(v)}" for k, v in (sm.get("nodes_by_type") or {}).items())
    edges = " · ".join(f"{e(str(k))} {_fmt(v)}" for k, v in (sm.get("edges_by_relation") or {}).items())
    return (f"<div class='axis-static axis-graph'><b>AXIS knowledge graph — {e(str(snap.get('dataset', '')))}"
            f"</b><div>nodes: {nodes}</div><div>edges: {edges}</div></div>")


RENDERERS = {"scorecard": scorecard, "deepdive": deepdive, "compare": compare, "monitor": monitor,
             "production": production, "signals": signals, "runner": runner, "database": database,
             "memory": memory, "graph": graph}
