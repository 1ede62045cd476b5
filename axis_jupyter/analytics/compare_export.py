"""A comparison as text: CSV, JSON or Markdown, and its one-line verdict."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd


def _clean(v: Any):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe list of row dicts (NaN/inf -> None, numpy scalars -> Python)."""
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def export_csv(result: pd.DataFrame) -> str:
    """The per-metric comparison as CSV text."""
    return result.to_csv(index=False)


def export_json(result: pd.DataFrame, wins: pd.DataFrame | None = None, **meta) -> str:
    """The full comparison as JSON: {meta, metrics: [...], win_loss: [...]}."""
    doc = {"meta": {k: _clean(v) for k, v in meta.items()}, "metrics": records(result)}
    if wins is not None:
        doc["win_loss"] = records(wins)
    return json.dumps(doc, indent=2, default=str)


def _fmt(v, spec: str = ".3f") -> str:
    v = _clean(v)
    if v is None:
        return "–"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def verdict(result: pd.DataFrame) -> dict:
    """Head-to-head summary: winner (challenger | baseline | tie, by significant metric wins),
    mean pct change, metrics won by the challenger, significant wins/losses."""
    ok = result[result["delta"].notna()]
    sig = ok[ok["significant"]]
    up, down = int((sig["delta"] > 0).sum()), int((sig["delta"] < 0).sum())
    winner = "challenger" if up > down else "baseline" if down > up else "tie"
    pct = ok["pct_change"].dropna()
    return {"winner": winner, "mean_pct_change": float(pct.mean()) if len(pct) else None,
            "metrics_won": int((ok["delta"] > 0).sum()), "metrics": int(len(ok)),
            "significant_wins": up, "significant_losses": down}


def export_markdown(result: pd.DataFrame, wins: pd.DataFrame | None = None) -> str:
    """A shareable Markdown summary: verdict, per-metric table and win/loss counts."""
    if result.empty:
        return "# Comparison\n\nNo metrics to compare.\n"
    b, c = result["baseline"].iloc[0], result["challenger"].iloc[0]
    v = verdict(result)
    name = {"challenger": c, "baseline": b, "tie": "tie"}[v["winner"]]
    pct = "–" if v["mean_pct_change"] is None else f"{v['mean_pct_change'] * 100:+.1f} %"
    lines = [f"# {c} vs {b}", "",
             f"- **Winner:** {name} ({v['significant_wins']} significant wins, "
             f"{v['significant_losses']} significant losses after Holm's correction)",
             f"- **Overall change:** {pct} (mean of per-metric % change)",
             f"- **Metrics won:** {v['metrics_won']}/{v['metrics']}", "",
             "| Metric | Baseline | Challenger | Δ | Δ % | Test | p | p (Holm) | Cohen's d | 95% CI | n pairs |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|"]
    for r in result.to_dict("records"):
        pc = "–" if _clean(r["pct_change"]) is None else f"{r['pct_change'] * 100:+.1f} %"
        d = "–" if _clean(r["cohens_d"]) is None else f"{r['cohens_d']:.2f} ({r['effect_size']})"
        ci = "–" if _clean(r["ci_low"]) is None else f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
        p = "–" if _clean(r["p_value"]) is None else f"{r['p_value']:.3g}{r['stars']}"
        lines.append(f"| {r['metric_name']} | {_fmt(r['baseline_mean'])} | {_fmt(r['challenger_mean'])} | "
                     f"{_fmt(r['delta'], '+.3f')} | {pc} | {r['test'] or '–'} | {p} | "
                     f"{_fmt(r['p_value_adjusted'], '.3g')} | {d} | {ci} | {r['n_pairs']} |")
    notes = [f"- {r['metric_name']}: {r['note']}" for r in result.to_dict("records") if r.get("note")]
    if notes:
        lines += ["", "Notes:", *notes]
    if wins is not None and not wins.empty and "metric_name" not in wins.columns:
        lines += ["", "## Win/loss per test case", "", "| Outcome | Cases | Share |", "|---|---:|---:|"]
        for r in wins.to_dict("records"):
            label = r["experiment"] or "tie"
            lines.append(f"| {label} | {r['cases']} | {_fmt(r['share'] * 100 if _clean(r['share']) is not None else None, '.1f')} % |")
    return "\n".join(lines) + "\n"
