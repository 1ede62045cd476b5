"""Per-source monitoring settings (``monitoring.yaml``) as Ibis expressions.

Alerts, health and the hierarchy judge each source by its own ``good``/``pass`` thresholds
and show the configured visible metrics; rows without a source or component are grouped
under the names below.
"""

from __future__ import annotations

import ibis

from .. import monitoring_config
from .evals import as_list

UNKNOWN_SOURCE = "(unknown)"
DEFAULT_COMPONENT = "(default)"


def resolve(config) -> dict:
    """The monitoring settings: ``config`` merged over ``monitoring.yaml`` and defaults."""
    return monitoring_config.resolve_monitoring(config)


def per_source(t: ibis.Table, cfg: dict, key: str):
    """The source's threshold as an Ibis expression (per-source overrides, else default)."""
    default = cfg["thresholds"]["default"][key]
    per = cfg["thresholds"]["per_source"]
    if not per or "source_name" not in t.columns:
        return ibis.literal(default)
    return ibis.cases(*[(t.source_name == s, v[key]) for s, v in per.items()], else_=default)


def visible(t: ibis.Table, cfg: dict, metrics) -> ibis.Table:
    """Rows of ``metrics`` when given, else of the configured visible metrics (all if none)."""
    metrics = as_list(metrics)
    if metrics:
        return t.filter(t.metric_name.isin(metrics))
    if cfg["visible_metrics"]:
        return t.filter(t.metric_name.isin(cfg["visible_metrics"]))
    return t


def source_name(t: ibis.Table):
    """The row's source, ``(unknown)`` when missing."""
    if "source_name" in t.columns:
        return t.source_name.fill_null(UNKNOWN_SOURCE)
    return ibis.literal(UNKNOWN_SOURCE)


def dims(t: ibis.Table) -> dict:
    """source_name and source_component with their placeholders for missing values."""
    return {
        "source_name": source_name(t),
        "source_component": (t.source_component.fill_null(DEFAULT_COMPONENT)
                             if "source_component" in t.columns else ibis.literal(DEFAULT_COMPONENT)),
    }
