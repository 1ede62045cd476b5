"""Decision-memory settings: ``memory.yaml`` in the config folder (reference §2.8, §8.2).

A rules file names its columns freely; each column plays a *role* (``name``, ``action``,
``group_by`` = the risk factor, ``mitigants``, ...). The store keeps every rules dataset
under the same canonical column names (the reference's default column of each role:
``rule_name``, ``action``, ``risk_factor``, ...), so the analytics and the knowledge graph
read one schema whatever the file called its columns. ``field_roles`` says which column of
a file plays each role (default: the canonical name); ``axis.load(path, kind="rules",
roles={"name": "title"})`` overrides it for one load.

memory.yaml::

    memory:
      field_roles: {name: title, group_by: factor}      # role -> your column
      required_roles: [id, name, action, batch, status]
      list_fields: [mitigants, data_fields]             # roles holding lists
      filter_roles: [action, product, category, threshold_type, status]
      labels: {group_by: Risk factor}                   # display names (default: title case)
      hard_stops: {action_value: decline, require_empty_mitigants: true}
      quality_values: {aligned: aligned, divergent: divergent, partial: partial}
      soft_threshold_value: soft
      action_colors: {decline: "#E74C3C"}
      contradictory_pairs: [[approve, decline]]

Every value is validated when read; an error names the file and the key. ``config_hash``
is the md5 of the settings as sorted JSON (the reference's, so a client can tell when to
refetch).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from .config import config_dir
from .errors import ConfigError

MEMORY_FILE = "memory.yaml"

#: role -> the canonical column the store keeps it under (the reference's default column).
ROLE_COLUMNS: dict[str, str] = {
    "id": "id", "name": "rule_name", "action": "action", "category": "risk_category",
    "group_by": "risk_factor", "product": "product_type", "quality": "decision_quality",
    "threshold_type": "threshold_type", "threshold_value": "threshold",
    "description": "outcome_description", "mitigants": "mitigants", "status": "ingestion_status",
    "batch": "batch_id", "agent": "agent_name", "created_at": "created_at",
    "confidence": "confidence", "compound_trigger": "compound_trigger", "source": "source",
    "source_type": "source_type", "historical_exceptions": "historical_exceptions",
    "data_fields": "data_fields", "ingestion_error": "ingestion_error",
    "ingested_at": "ingested_at",
}
ROLES = tuple(ROLE_COLUMNS)
COLUMN_ROLES = {c: r for r, c in ROLE_COLUMNS.items()}
TIME_ROLES = ("created_at", "ingested_at")
NUMBER_ROLES = ("confidence",)

PALETTE = ("#3498DB", "#E74C3C", "#F39C12", "#8B9F4F", "#9B59B6", "#1ABC9C", "#D4AF37", "#7F8C8D")
QUALITY_KEYS = ("aligned", "divergent", "partial")

DEFAULTS: dict[str, Any] = {
    "field_roles": dict(ROLE_COLUMNS),
    "required_roles": ["id", "name", "action", "batch", "status"],
    "list_fields": ["mitigants", "data_fields"],
    "filter_roles": ["action", "product", "category", "threshold_type", "status"],
    "labels": {},
    "hard_stops": {"action_value": "decline", "require_empty_mitigants": True},
    "quality_values": {k: k for k in QUALITY_KEYS},
    "soft_threshold_value": "soft",
    "action_colors": {},
    "contradictory_pairs": [["approve", "decline"]],
}
KEYS = tuple(DEFAULTS)
_COLOR = re.compile(r"^#[0-9A-Fa-f]{3}([0-9A-Fa-f]{3})?$")


def default_label(role: str) -> str:
    """``group_by`` -> "Group By" (the reference's title-cased default)."""
    return role.replace("_", " ").title()


def _fail(where: str, key: str, msg: str):
    raise ConfigError(f"{where}: {key} {msg}")


def _roles_list(value, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(where, key, f"must be a list of role names, got {value!r}")
    unknown = [v for v in value if v not in ROLE_COLUMNS]
    if unknown:
        _fail(where, key, f"names unknown role(s) {', '.join(unknown)} (roles: {', '.join(ROLES)})")
    return list(dict.fromkeys(value))


def validate(raw: Any, where: str = MEMORY_FILE) -> dict:
    """Settings with defaults filled in; a ConfigError names ``where`` and the bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        _fail(where, "memory", "must be a mapping of settings")
    for k in raw:
        if k not in DEFAULTS:
            _fail(where, str(k), f"is not a known key (known: {', '.join(KEYS)})")
    cfg = copy.deepcopy(DEFAULTS)
    roles = raw.get("field_roles") or {}
    if not isinstance(roles, dict):
        _fail(where, "field_roles", f"must be a mapping of role -> column, got {roles!r}")
    for role, col in roles.items():
        if role not in ROLE_COLUMNS:
            _fail(where, f"field_roles.{role}", f"is not a role (roles: {', '.join(ROLES)})")
        if not isinstance(col, str) or not col.strip():
            _fail(where, f"field_roles.{role}", f"must be a column name, got {col!r}")
        cfg["field_roles"][role] = col.strip()
    seen: dict[str, str] = {}
    for role, col in cfg["field_roles"].items():
        if col in seen:
            _fail(where, "field_roles", f"maps {seen[col]} and {role} to the same column {col!r}")
        seen[col] = role
    for key in ("required_roles", "list_fields", "filter_roles"):
        if key in raw:
            cfg[key] = _roles_list(raw[key], where, key)
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        _fail(where, "labels", "must be a mapping of role -> display name")
    for role in labels:
        if role not in ROLE_COLUMNS:
            _fail(where, f"labels.{role}", f"is not a role (roles: {', '.join(ROLES)})")
    cfg["labels"] = {r: labels.get(r) or default_label(r) for r in ROLES}
    hs = raw.get("hard_stops")
    if hs is not None:
        if not isinstance(hs, dict):
            _fail(where, "hard_stops", "must be a mapping with action_value and require_empty_mitigants")
        for k in hs:
            if k not in DEFAULTS["hard_stops"]:
                _fail(where, f"hard_stops.{k}", "is not a known key (known: action_value, "
                                                "require_empty_mitigants)")
        if "action_value" in hs:
            if not isinstance(hs["action_value"], str) or not hs["action_value"]:
                _fail(where, "hard_stops.action_value", f"must be an action, got {hs['action_value']!r}")
            cfg["hard_stops"]["action_value"] = hs["action_value"]
        if "require_empty_mitigants" in hs:
            if not isinstance(hs["require_empty_mitigants"], bool):
                _fail(where, "hard_stops.require_empty_mitigants", "must be true or false")
            cfg["hard_stops"]["require_empty_mitigants"] = hs["require_empty_mitigants"]
    qv = raw.get("quality_values")
    if qv is not None:
        if not isinstance(qv, dict):
            _fail(where, "quality_values", "must be a mapping of aligned/divergent/partial -> value")
        for k, v in qv.items():
            if k not in QUALITY_KEYS:
                _fail(where, f"quality_values.{k}", f"is not one of {', '.join(QUALITY_KEYS)}")
            if not isinstance(v, str):
                _fail(where, f"quality_values.{k}", f"must be text, got {v!r}")
            cfg["quality_values"][k] = v
    if "soft_threshold_value" in raw:
        if not isinstance(raw["soft_threshold_value"], str):
            _fail(where, "soft_threshold_value", "must be text")
        cfg["soft_threshold_value"] = raw["soft_threshold_value"]
    colors = raw.get("action_colors") or {}
    if not isinstance(colors, dict):
        _fail(where, "action_colors", "must be a mapping of action -> #rrggbb")
    for action, color in colors.items():
        if not isinstance(color, str) or not _COLOR.match(color):
            _fail(where, f"action_colors.{action}", f"must be a colour like #E74C3C, got {color!r}")
    cfg["action_colors"] = {str(k): v for k, v in colors.items()}
    if "contradictory_pairs" in raw:
        pairs = raw["contradictory_pairs"]
        ok = isinstance(pairs, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(a, str) for a in p) for p in pairs)
        if not ok:
            _fail(where, "contradictory_pairs", f"must be a list of [action, action] pairs, got {pairs!r}")
        cfg["contradictory_pairs"] = [list(p) for p in pairs]
    return cfg


def roles_mapping(roles: dict) -> dict[str, str]:
    """``{role: your_column}`` (``roles=`` of ``load``) as ``{your_column: canonical column}``;
    an unknown role or a column given twice is an error naming it."""
    from .errors import IngestError

    if not isinstance(roles, dict):
        raise IngestError("roles must be a dict of {role: your_column}.")
    out: dict[str, str] = {}
    for role, col in roles.items():
        if role not in ROLE_COLUMNS:
            raise IngestError(f"roles: {role!r} is not a role (roles: {', '.join(ROLES)}).")
        if not isinstance(col, str) or not col.strip():
            raise IngestError(f"roles: {role} must name one of your columns, not {col!r}.")
        if col in out:
            raise IngestError(f"roles: the column {col!r} is given to two roles.")
        out[col] = ROLE_COLUMNS[role]
    return out


def config_hash(cfg: dict) -> str:
    """md5 of the settings as sorted JSON (changes whenever any setting does)."""
    return hashlib.md5(json.dumps(cfg, sort_keys=True).encode()).hexdigest()  # noqa: S324 - not security


def action_color(cfg: dict, action: str, index: int) -> str:
    """The configured colour of ``action``, else the palette's ``index``-th (cycling)."""
    return cfg["action_colors"].get(action) or PALETTE[index % len(PALETTE)]


# ----------------------------------------------------------------------------- files
_cache: dict[str, tuple[float, dict]] = {}


def load(directory: str | Path | None = None) -> dict:
    """Validated settings from ``<config_dir>/memory.yaml`` (defaults if absent)."""
    import yaml

    path = Path(directory or config_dir()) / MEMORY_FILE
    if not path.exists():
        return validate({})
    mtime = path.stat().st_mtime
    hit = _cache.get(str(path))
    if hit and hit[0] == mtime:
        return copy.deepcopy(hit[1])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{MEMORY_FILE}: cannot read ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{MEMORY_FILE}: not valid YAML{where}.") from None
    if isinstance(raw, dict) and set(raw) == {"memory"}:
        raw = raw["memory"]
    cfg = validate(raw)
    _cache[str(path)] = (mtime, cfg)
    return copy.deepcopy(cfg)


def resolve(config: dict | None = None) -> dict:
    """Settings for one call: the YAML file with ``config`` (partial settings) over it."""
    base = load()
    if not config:
        return base
    if not isinstance(config, dict):
        raise ConfigError("config must be a mapping of memory settings.")
    merged = {k: v for k, v in base.items() if k != "labels"}
    merged["labels"] = {r: v for r, v in base["labels"].items() if v != default_label(r)}
    for k, v in config.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = {**merged[k], **v}
        else:
            merged[k] = v
    return validate(merged, "config")


def public(cfg: dict) -> dict:
    """The settings as the rules view and ``GET memory/config`` show them."""
    out = copy.deepcopy(cfg)
    out["role_columns"] = dict(ROLE_COLUMNS)
    out["config_hash"] = config_hash(cfg)
    return out
