"""Monitoring and KPI settings: ``monitoring.yaml`` and ``kpi.yaml`` in the config folder.

Both files follow the reference's ``monitoring_db.yaml`` / ``kpi_db.yaml`` keys (reference
§4.6). The top-level key may be ``monitoring`` (or ``monitoring_db``) and ``kpi`` (or
``kpi_db``); a file without it is read as the section itself. Connection keys (``url``,
``host``, queries, ...) are accepted and ignored here: data sources and sync live in the
sources config. Every value is validated and an error names the key, e.g.
``monitoring.yaml: anomaly_detection.z_score.threshold must be a positive number, got 'x'``.

monitoring.yaml::

    monitoring:
      visible_metrics: []                  # empty = all metrics
      thresholds:
        default: {good: 0.7, pass: 0.5}
        per_source: {Atlas: {good: 0.8, pass: 0.6}}
      anomaly_detection:
        enabled: true                      # the reference defaults to false; see below
        min_data_points: 5                 # >= 3
        z_score: {enabled: true, threshold: 2.0, severity: warning, lookback_window: 20, metrics: []}
        moving_average: {enabled: true, window_size: 5, deviation_threshold: 0.15, severity: warning, metrics: []}
        rate_of_change: {enabled: true, threshold: 0.3, severity: error, metrics: []}
      threshold_alerts:                    # AXIS addition: the reference hard-codes these
        pass_rate_min: 0.7                 # pass rate below -> error
        error_rate_max: 0.05               # share of has_errors above -> error
        latency_p95_max: 1000              # p95 latency (dataset's unit, ms by default) above -> warning

Differences from the reference, on purpose: anomaly detection is on by default (the engine
computes alerts for ``%axis status`` and the API, not only a browser page), and the
threshold-alert limits the reference hard-codes are settable under ``threshold_alerts``.

kpi.yaml::

    kpi:
      visible_kpis: []
      visible_kpis_per_source: {Atlas: [resolution_rate, csat]}
      card_display_value: latest           # latest | avg_7d | avg_30d
      trend_lines: [daily, avg_7d, avg_30d]
      kpi_overrides:
        tickets_handled: {display_name: Tickets, unit: count, polarity: higher_better,
                          card_display_value: latest, trend_lines: [daily, avg_7d]}
      display_per_source:
        Atlas: {card_display_value: avg_7d, trend_lines: [daily], kpi_overrides: {...}}
      categories: {quality: {display_name: Quality, icon: ShieldCheck}}
      composition_charts:
        - title: Resolution mix
          kpis: [{kpi_name: self_serve_rate, label: Self-serve, color: "#10B981"}]
          show_remainder: true
          remainder_label: Other
          remainder_color: "#6B7280"
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

from .config import GOOD_THRESHOLD, PASS_THRESHOLD, config_dir
from .errors import ConfigError

MONITORING_FILE = "monitoring.yaml"
KPI_FILE = "kpi.yaml"

SEVERITIES = ("warning", "error")
CARD_VALUES = ("latest", "avg_7d", "avg_30d")
TREND_LINES = ("daily", "avg_7d", "avg_30d")
UNITS = ("percent", "seconds", "count", "score")
POLARITIES = ("higher_better", "lower_better")

# Reference connection/sync keys: accepted, not used by the analytics.
CONNECTION_KEYS = {
    "enabled", "auto_load", "auto_connect", "url", "host", "port", "database", "username",
    "password", "ssl_mode", "db_type", "dataset_query", "results_query", "query", "query_timeout",
    "row_limit", "columns", "partition_column", "refresh_interval_minutes", "incremental_column",
    "tables", "filters", "schema", "table",
}

MONITORING_DEFAULTS: dict[str, Any] = {
    "visible_metrics": [],
    "thresholds": {"default": {"good": GOOD_THRESHOLD, "pass": PASS_THRESHOLD}, "per_source": {}},
    "anomaly_detection": {
        "enabled": True,
        "min_data_points": 5,
        "z_score": {"enabled": True, "threshold": 2.0, "severity": "warning", "lookback_window": 20,
                    "metrics": []},
        "moving_average": {"enabled": True, "window_size": 5, "deviation_threshold": 0.15,
                           "severity": "warning", "metrics": []},
        "rate_of_change": {"enabled": True, "threshold": 0.3, "severity": "error", "metrics": []},
    },
    "threshold_alerts": {"pass_rate_min": 0.7, "error_rate_max": 0.05, "latency_p95_max": 1000.0},
}

KPI_DEFAULTS: dict[str, Any] = {
    "visible_kpis": [],
    "visible_kpis_per_source": {},
    "card_display_value": "latest",
    "trend_lines": list(TREND_LINES),
    "kpi_overrides": {},
    "display_per_source": {},
    "categories": {},
    "composition_charts": [],
}


# ----------------------------------------------------------------------------- helpers
class _V:
    """Validation helpers that raise ConfigError naming ``file: dotted.key``."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, key: str, msg: str):
        raise ConfigError(f"{self.file}: {key} {msg}")

    def mapping(self, value, key):
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, f"must be a mapping, got {type(value).__name__} {value!r}")
        return value

    def keys(self, d: dict, key: str, allowed, extra_ok=()):
        for k in d:
            if k not in allowed and k not in extra_ok:
                where = f"{key}.{k}" if key else str(k)
                self.fail(where, f"is not a known key (known: {', '.join(sorted(allowed))})")

    def boolean(self, value, key):
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, got {value!r}")
        return value

    def number(self, value, key, *, lo=None, hi=None, positive=False):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(key, f"must be a number, got {value!r}")
        value = float(value)
        if positive and value <= 0:
            self.fail(key, f"must be a positive number, got {value!r}")
        if lo is not None and value < lo:
            self.fail(key, f"must be >= {lo}, got {value!r}")
        if hi is not None and value > hi:
            self.fail(key, f"must be <= {hi}, got {value!r}")
        return value

    def integer(self, value, key, *, lo=None):
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be a whole number, got {value!r}")
        if lo is not None and value < lo:
            self.fail(key, f"must be >= {lo}, got {value!r}")
        return int(value)

    def choice(self, value, key, options):
        if value not in options:
            self.fail(key, f"must be one of {', '.join(options)}, got {value!r}")
        return value

    def strings(self, value, key):
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(key, f"must be a list of names, got {value!r}")
        return list(value)

    def text(self, value, key):
        if not isinstance(value, str):
            self.fail(key, f"must be text, got {value!r}")
        return value


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("per_source",):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _section(raw: Any, names: tuple[str, ...], file: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: the file must hold a mapping (e.g. '{names[0]}:' followed by keys).")
    for n in names:
        if n in raw:
            if len(raw) > 1:
                extra = [k for k in raw if k != n]
                raise ConfigError(f"{file}: {extra[0]} is not a known top-level key (expected only '{n}').")
            return raw[n] or {}
    return raw


# ----------------------------------------------------------------------------- monitoring
def validate_monitoring(cfg: dict | None, file: str = MONITORING_FILE) -> dict:
    """Merge ``cfg`` over the defaults and validate it; returns the full settings."""
    v = _V(file)
    cfg = v.mapping(cfg, "monitoring")
    v.keys(cfg, "", set(MONITORING_DEFAULTS), CONNECTION_KEYS)
    out = _merge(MONITORING_DEFAULTS, {k: val for k, val in cfg.items() if k in MONITORING_DEFAULTS})
    out["visible_metrics"] = v.strings(out["visible_metrics"], "visible_metrics")

    th = v.mapping(out["thresholds"], "thresholds")
    v.keys(th, "thresholds", {"default", "per_source"})

    def pair(d, key, fallback):
        d = v.mapping(d, key)
        v.keys(d, key, {"good", "pass"})
        good = v.number(d.get("good", fallback["good"]), f"{key}.good", lo=0, hi=1)
        pas = v.number(d.get("pass", fallback["pass"]), f"{key}.pass", lo=0, hi=1)
        if pas > good:
            v.fail(f"{key}.pass", f"({pas}) must not be above {key}.good ({good})")
        return {"good": good, "pass": pas}

    default = pair(th.get("default"), "thresholds.default", MONITORING_DEFAULTS["thresholds"]["default"])
    per = v.mapping(th.get("per_source"), "thresholds.per_source")
    out["thresholds"] = {"default": default,
                         "per_source": {str(s): pair(p, f"thresholds.per_source.{s}", default)
                                        for s, p in per.items()}}

    ad = v.mapping(out["anomaly_detection"], "anomaly_detection")
    v.keys(ad, "anomaly_detection", set(MONITORING_DEFAULTS["anomaly_detection"]))
    v.boolean(ad["enabled"], "anomaly_detection.enabled")
    ad["min_data_points"] = v.integer(ad["min_data_points"], "anomaly_detection.min_data_points", lo=3)
    for det, spec in (("z_score", {"enabled", "threshold", "severity", "lookback_window", "metrics"}),
                      ("moving_average", {"enabled", "window_size", "deviation_threshold", "severity", "metrics"}),
                      ("rate_of_change", {"enabled", "threshold", "severity", "metrics"})):
        key = f"anomaly_detection.{det}"
        d = v.mapping(ad[det], key)
        v.keys(d, key, spec)
        v.boolean(d["enabled"], f"{key}.enabled")
        v.choice(d["severity"], f"{key}.severity", SEVERITIES)
        d["metrics"] = v.strings(d["metrics"], f"{key}.metrics")
        if "threshold" in spec:
            d["threshold"] = v.number(d["threshold"], f"{key}.threshold", positive=True)
        if det == "z_score":
            d["lookback_window"] = v.integer(d["lookback_window"], f"{key}.lookback_window", lo=0)
        if det == "moving_average":
            d["window_size"] = v.integer(d["window_size"], f"{key}.window_size", lo=2)
            d["deviation_threshold"] = v.number(d["deviation_threshold"], f"{key}.deviation_threshold",
                                                positive=True)
        ad[det] = d
    out["anomaly_detection"] = ad

    ta = v.mapping(out["threshold_alerts"], "threshold_alerts")
    v.keys(ta, "threshold_alerts", set(MONITORING_DEFAULTS["threshold_alerts"]))
    ta["pass_rate_min"] = v.number(ta["pass_rate_min"], "threshold_alerts.pass_rate_min", lo=0, hi=1)
    ta["error_rate_max"] = v.number(ta["error_rate_max"], "threshold_alerts.error_rate_max", lo=0, hi=1)
    ta["latency_p95_max"] = v.number(ta["latency_p95_max"], "threshold_alerts.latency_p95_max", positive=True)
    out["threshold_alerts"] = ta
    return out


def source_thresholds(cfg: dict, source: str | None) -> dict:
    """``{good, pass}`` for a source (per-source override, else the default)."""
    th = cfg["thresholds"]
    return dict(th["per_source"].get(str(source), th["default"])) if source is not None else dict(th["default"])


# ----------------------------------------------------------------------------- KPI
def validate_kpi(cfg: dict | None, file: str = KPI_FILE) -> dict:
    v = _V(file)
    cfg = v.mapping(cfg, "kpi")
    v.keys(cfg, "", set(KPI_DEFAULTS), CONNECTION_KEYS)
    out = _merge(KPI_DEFAULTS, {k: val for k, val in cfg.items() if k in KPI_DEFAULTS})
    out["visible_kpis"] = v.strings(out["visible_kpis"], "visible_kpis")
    vps = v.mapping(out["visible_kpis_per_source"], "visible_kpis_per_source")
    out["visible_kpis_per_source"] = {str(s): v.strings(k, f"visible_kpis_per_source.{s}")
                                      for s, k in vps.items()}
    v.choice(out["card_display_value"], "card_display_value", CARD_VALUES)
    out["trend_lines"] = _trend_lines(v, out["trend_lines"], "trend_lines")
    out["kpi_overrides"] = _overrides(v, out["kpi_overrides"], "kpi_overrides")
    dps = v.mapping(out["display_per_source"], "display_per_source")
    per = {}
    for src, d in dps.items():
        key = f"display_per_source.{src}"
        d = v.mapping(d, key)
        v.keys(d, key, {"card_display_value", "trend_lines", "kpi_overrides"})
        e = {}
        if "card_display_value" in d:
            e["card_display_value"] = v.choice(d["card_display_value"], f"{key}.card_display_value", CARD_VALUES)
        if "trend_lines" in d:
            e["trend_lines"] = _trend_lines(v, d["trend_lines"], f"{key}.trend_lines")
        e["kpi_overrides"] = _overrides(v, d.get("kpi_overrides"), f"{key}.kpi_overrides")
        per[str(src)] = e
    out["display_per_source"] = per
    cats = v.mapping(out["categories"], "categories")
    out["categories"] = {}
    for slug, c in cats.items():
        key = f"categories.{slug}"
        c = v.mapping(c, key)
        v.keys(c, key, {"display_name", "icon"})
        out["categories"][str(slug)] = {
            "display_name": v.text(c.get("display_name", _title(str(slug))), f"{key}.display_name"),
            "icon": v.text(c.get("icon", "BarChart3"), f"{key}.icon")}
    charts = out["composition_charts"] or []
    if not isinstance(charts, list):
        v.fail("composition_charts", f"must be a list, got {charts!r}")
    out["composition_charts"] = []
    for i, ch in enumerate(charts):
        key = f"composition_charts[{i}]"
        ch = v.mapping(ch, key)
        v.keys(ch, key, {"title", "kpis", "show_remainder", "remainder_label", "remainder_color"})
        if "title" not in ch:
            v.fail(f"{key}.title", "is required")
        kpis = ch.get("kpis") or []
        if not isinstance(kpis, list) or not kpis:
            v.fail(f"{key}.kpis", f"must be a non-empty list, got {kpis!r}")
        items = []
        for j, k in enumerate(kpis):
            kk = f"{key}.kpis[{j}]"
            k = v.mapping(k, kk)
            v.keys(k, kk, {"kpi_name", "label", "color"})
            if not k.get("kpi_name"):
                v.fail(f"{kk}.kpi_name", "is required")
            items.append({"kpi_name": v.text(k["kpi_name"], f"{kk}.kpi_name"),
                          "label": v.text(k.get("label", _title(k["kpi_name"])), f"{kk}.label"),
                          "color": v.text(k.get("color", "#6B7280"), f"{kk}.color")})
        out["composition_charts"].append({
            "title": v.text(ch["title"], f"{key}.title"), "kpis": items,
            "show_remainder": v.boolean(ch.get("show_remainder", False), f"{key}.show_remainder"),
            "remainder_label": v.text(ch.get("remainder_label", "Other"), f"{key}.remainder_label"),
            "remainder_color": v.text(ch.get("remainder_color", "#6B7280"), f"{key}.remainder_color")})
    return out


def _trend_lines(v: _V, value, key):
    lines = v.strings(value, key)
    for i, line in enumerate(lines):
        v.choice(line, f"{key}[{i}]", TREND_LINES)
    return lines


def _overrides(v: _V, value, key) -> dict:
    d = v.mapping(value, key)
    out = {}
    for kpi, o in d.items():
        kk = f"{key}.{kpi}"
        o = v.mapping(o, kk)
        v.keys(o, kk, {"display_name", "unit", "polarity", "card_display_value", "trend_lines"})
        e = {}
        if "display_name" in o:
            e["display_name"] = v.text(o["display_name"], f"{kk}.display_name")
        if "unit" in o:
            e["unit"] = v.choice(o["unit"], f"{kk}.unit", UNITS)
        if "polarity" in o:
            e["polarity"] = v.choice(o["polarity"], f"{kk}.polarity", POLARITIES)
        if "card_display_value" in o:
            e["card_display_value"] = v.choice(o["card_display_value"], f"{kk}.card_display_value", CARD_VALUES)
        if "trend_lines" in o:
            e["trend_lines"] = _trend_lines(v, o["trend_lines"], f"{kk}.trend_lines")
        out[str(kpi)] = e
    return out


def _title(name: str) -> str:
    return str(name).replace("_", " ").title()


# What a KPI's name says when kpi.yaml does not: words (between underscores, spaces or
# hyphens) that make it lower-is-better, and those that give its unit. A rising
# "escalation_rate" is bad news, and a daily "tickets_handled" is a sum, not a mean.
_LOWER_BETTER = {"escalation", "escalations", "error", "errors", "failure", "failures", "fail",
                 "failed", "latency", "time", "duration", "wait", "cost", "costs", "churn",
                 "abandon", "abandonment", "abandoned", "complaint", "complaints", "defect",
                 "defects", "bounce", "reopen", "reopened", "incident", "incidents", "violation",
                 "violations", "toxicity", "hallucination", "hallucinations", "timeout",
                 "timeouts", "backlog", "refund", "refunds", "handoff", "handoffs", "drop", "drops"}
_PERCENT = {"rate", "ratio", "pct", "percent", "percentage", "share", "fraction"}
_SECONDS = {"time", "duration", "latency", "seconds", "secs", "sec"}
_COUNT = {"count", "counts", "total", "number", "num", "volume", "tickets", "sessions",
          "conversations", "calls", "messages", "users", "visits", "orders", "requests",
          "handled", "escalations", "incidents", "errors", "refunds"}


def infer_kpi_display(kpi: str) -> dict:
    """Unit and polarity read from a KPI's name, for KPIs ``kpi.yaml`` does not describe:
    ``escalation_rate`` -> percent, lower_better; ``avg_handle_time`` -> seconds,
    lower_better; ``tickets_handled`` -> count; anything else a higher-is-better score."""
    import re

    words = {w for w in re.split(r"[_\s\-.]+", str(kpi).lower()) if w}
    unit = ("percent" if words & _PERCENT else "seconds" if words & _SECONDS
            else "count" if words & _COUNT else "score")
    polarity = "lower_better" if words & _LOWER_BETTER else "higher_better"
    return {"unit": unit, "polarity": polarity}


def kpi_display(cfg: dict, kpi: str, source: str | None = None) -> dict:
    """Resolved display settings of one KPI: display_name, unit, polarity,
    card_display_value, trend_lines (source+kpi > source > kpi > global)."""
    glob = cfg["kpi_overrides"].get(kpi, {})
    per = cfg["display_per_source"].get(str(source), {}) if source is not None else {}
    per_kpi = per.get("kpi_overrides", {}).get(kpi, {})

    def pick(key, default):
        for layer in (per_kpi, glob):
            if key in layer:
                return layer[key]
        return default

    def pick_card(key):
        for layer in (per_kpi, per, glob):
            if key in layer:
                return layer[key]
        return cfg[key]

    guess = infer_kpi_display(kpi)  # only where kpi.yaml says nothing
    return {"display_name": pick("display_name", _title(kpi)), "unit": pick("unit", guess["unit"]),
            "polarity": pick("polarity", guess["polarity"]),
            "card_display_value": pick_card("card_display_value"),
            "trend_lines": pick_card("trend_lines")}


# ----------------------------------------------------------------------------- files
_cache: dict[str, tuple[float, dict]] = {}


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read ({exc}).") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path.name}: not valid YAML{where} ({getattr(exc, 'problem', exc)}).") from None


def _load(file: str, names: tuple[str, ...], validate, directory: Path | None) -> dict:
    path = Path(directory or config_dir()) / file
    if not path.exists():
        return validate({}, file)
    mtime = path.stat().st_mtime
    key = str(path)
    hit = _cache.get(key)
    if hit and hit[0] == mtime:
        return copy.deepcopy(hit[1])
    cfg = validate(_section(_read_yaml(path), names, file), file)
    _cache[key] = (mtime, cfg)
    return copy.deepcopy(cfg)


def load_monitoring(directory: str | Path | None = None) -> dict:
    """Validated monitoring settings from ``<config_dir>/monitoring.yaml`` (defaults if absent)."""
    return _load(MONITORING_FILE, ("monitoring", "monitoring_db"), validate_monitoring,
                 Path(directory) if directory else None)


def load_kpi(directory: str | Path | None = None) -> dict:
    """Validated KPI settings from ``<config_dir>/kpi.yaml`` (defaults if absent)."""
    return _load(KPI_FILE, ("kpi", "kpi_db"), validate_kpi, Path(directory) if directory else None)


def resolve_monitoring(config: dict | None = None) -> dict:
    """Settings for one call: the YAML file, with ``config`` (a partial mapping) merged over it."""
    base = load_monitoring()
    if not config:
        return base
    if not isinstance(config, dict):
        raise ConfigError("config must be a mapping of monitoring settings.")
    return validate_monitoring(_merge(base, config), "config")


def resolve_kpi(config: dict | None = None) -> dict:
    base = load_kpi()
    if not config:
        return base
    if not isinstance(config, dict):
        raise ConfigError("config must be a mapping of KPI settings.")
    return validate_kpi(_merge(base, config), "config")


def save_monitoring(cfg: dict, directory: str | Path | None = None) -> Path:
    """Validate and write ``monitoring.yaml`` (only the given keys are written)."""
    import yaml

    validate_monitoring(cfg)
    path = Path(directory or config_dir()) / MONITORING_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"monitoring": cfg}, sort_keys=False), encoding="utf-8")
    return path


def save_kpi(cfg: dict, directory: str | Path | None = None) -> Path:
    import yaml

    validate_kpi(cfg)
    path = Path(directory or config_dir()) / KPI_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"kpi": cfg}, sort_keys=False), encoding="utf-8")
    return path
