"""One visual language for every view: a fixed colour per experiment and per comparison
role, and the score bands.

Colours are named here, in the engine, so a payload can hand the same map to its charts
(``notebook/charts.py``) and to its front end (tables, chips): an experiment keeps its
colour in every chart of every view, whatever subset a chart shows. The band colours match
``widgets/src/lib/format.js``.
"""

from __future__ import annotations

# Distinct hues, none of them the band colours' green / amber / red, so an experiment is
# never read as "good" or "bad".
EXPERIMENT_PALETTE = ("#2563eb", "#db2777", "#0d9488", "#7c3aed", "#ea580c", "#0891b2",
                      "#a16207", "#4f46e5", "#be185d", "#475569")
#: head-to-head roles (and "tie", grey): the same in the win donut, the win bars and the tags
ROLE_COLORS = {"baseline": "#2563eb", "challenger": "#db2777", "tie": "#a8a29e"}
BAND_COLORS = {"good": "#16a34a", "warn": "#d97706", "bad": "#dc2626", "none": "#a8a29e"}


def experiment_colors(experiments) -> dict[str, str]:
    """{experiment: colour} for every experiment of a dataset, by its sorted position, so
    that a colour depends only on the dataset's experiments, not on a view's selection."""
    names = sorted(dict.fromkeys(str(e) for e in experiments if e is not None))
    return {e: EXPERIMENT_PALETTE[i % len(EXPERIMENT_PALETTE)] for i, e in enumerate(names)}


def dataset_colors(info: dict, also=()) -> dict[str, str]:
    """The experiment colours of a dataset (its metadata lists its experiments), plus any
    names in ``also`` it does not list."""
    names = list((info.get("filter_values") or {}).get("evaluation_name") or [])
    return experiment_colors([*names, *[a for a in also if a not in names]])


def color_scale(colors: dict[str, str], shown=None) -> dict:
    """A Vega-Lite scale {domain, range} from ``colors`` restricted to ``shown`` (in order)."""
    names = [str(s) for s in shown] if shown is not None else list(colors)
    names = [n for n in dict.fromkeys(names) if n in colors]
    return {"domain": names, "range": [colors[n] for n in names]}
