"""Branding: the ``theme.yaml`` palette and the ``agents.yaml`` registry (reference §8.7).

Both live in the config dir (``~/.axis/config``, ``$AXIS_CONFIG_DIR``) and are optional.

``theme.yaml``::

    active: forest                 # which palette applies
    palettes:
      forest: {name: Forest, primary: "#3d5a3a", primaryLight: "#8b9f4f", primaryDark: "#24361f",
               primarySoft: "#a4b86c", primaryPale: "#eef2e2", accentGold: "#d4af37",
               accentSilver: "#b8c5d3"}
    branding: {app_name: AXIS, tagline: "..."}

``AXIS_THEME_<TOKEN>`` environment variables (``AXIS_THEME_PRIMARY=#123456``) override one
colour of the active palette. The views draw with JupyterLab's own CSS variables, so light
and dark themes both work; the palette adds the brand colours (accent, chart colours).

``agents.yaml`` (a list, or ``{agents: [...]}``)::

    - name: atlas                  # the source_name of the data it labels
      label: Atlas
      role: Support agent
      avatar: atlas.png            # a file under assets/agents/, or an https:// or data: URL
      description: Answers billing questions.

Every view that shows a source shows its label and avatar instead: the filter bar's source
menu from the branding every widget carries, the tables that list sources from the
``agents`` map their payload carries (:func:`agents_for`). A bad file raises a ConfigError
naming the file and the key at fault.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from pathlib import Path
from typing import Any

from . import config
from .errors import ConfigError

COLOUR_KEYS = ("primary", "primaryLight", "primaryDark", "primarySoft", "primaryPale",
               "accentGold", "accentSilver")
PALETTE_KEYS = {"name", *COLOUR_KEYS, "heroImage", "logoUrl", "faviconUrl", "appIconUrl",
                "heroContrast", "heroSaturation", "heroBrightness", "heroOpacity", "heroMode",
                "shimmerFrom", "shimmerTo"}
THEME_KEYS = {"active", "palettes", "branding"}
AGENT_KEYS = {"name", "label", "role", "avatar", "description", "biography", "active", "trace_names"}
DEFAULT_PALETTE = {"name": "AXIS", "primary": "#8b9f4f", "primaryLight": "#a4b86c",
                   "primaryDark": "#6b7a3a", "primarySoft": "#b8c78a", "primaryPale": "#eef2e2",
                   "accentGold": "#d4af37", "accentSilver": "#b8c5d3"}
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MAX_AVATAR_BYTES = 256 * 1024


def _yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path.name}: not valid YAML{where}.") from None


def theme(base: Path | None = None) -> dict:
    """The active palette ``{key, name, colours...}`` and the branding strings."""
    path = (base or config.config_dir()) / "theme.yaml"
    data = _yaml(path) if path.exists() else None
    data = data or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected a mapping with active, palettes, branding.")
    bad = set(data) - THEME_KEYS
    if bad:
        raise ConfigError(f"{path.name}: unknown key {sorted(bad)[0]!r} (keys: active, palettes, branding).")
    palettes = data.get("palettes") or {}
    if not isinstance(palettes, dict):
        raise ConfigError(f"{path.name}: palettes must map a palette key to its colours.")
    for key, pal in palettes.items():
        if not isinstance(pal, dict):
            raise ConfigError(f"{path.name}: palettes.{key} must be a mapping of colours.")
        for k, v in pal.items():
            if k not in PALETTE_KEYS:
                raise ConfigError(f"{path.name}: palettes.{key}.{k} is not a palette key "
                                  f"(colours: {', '.join(COLOUR_KEYS)}).")
            if k in COLOUR_KEYS and not (isinstance(v, str) and _HEX.match(v)):
                raise ConfigError(f"{path.name}: palettes.{key}.{k} must be a colour like "
                                  f"\"#3d5a3a\", got {v!r}.")
    active = data.get("active")
    if active is not None and active not in palettes:
        raise ConfigError(f"{path.name}: active names palette {active!r}, which palettes does "
                          f"not define ({', '.join(palettes) or 'none'}).")
    key = active or (next(iter(palettes)) if palettes else "default")
    pal = {**DEFAULT_PALETTE, **palettes.get(key, {})}
    for k in COLOUR_KEYS:  # AXIS_THEME_PRIMARY, AXIS_THEME_ACCENTGOLD, ...
        env = os.environ.get(f"AXIS_THEME_{k.upper()}")
        if env:
            if not _HEX.match(env):
                raise ConfigError(f"AXIS_THEME_{k.upper()} must be a colour like \"#3d5a3a\".")
            pal[k] = env
    branding = data.get("branding") or {}
    if not isinstance(branding, dict):
        raise ConfigError(f"{path.name}: branding must be a mapping of strings.")
    return {"key": key, **{k: pal[k] for k in ("name", *COLOUR_KEYS)},
            "branding": {str(k): str(v) for k, v in branding.items()}}


def _avatar(value: Any, base: Path, where: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}.avatar must be a file name or an https:// or data: URL.")
    if value.startswith(("https://", "http://", "data:image/")):
        return value
    p = (base / "assets" / "agents" / value).resolve()
    root = (base / "assets" / "agents").resolve()
    if root not in p.parents or not p.is_file():
        raise ConfigError(f"{where}.avatar: no file {value!r} under assets/agents/.")
    data = p.read_bytes()
    if len(data) > MAX_AVATAR_BYTES:
        raise ConfigError(f"{where}.avatar: {value!r} is over {MAX_AVATAR_BYTES // 1024} KB.")
    mime = mimetypes.guess_type(p.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def agents(base: Path | None = None) -> list[dict]:
    """The agent registry: ``[{name, label, role, avatar, description, active}]``."""
    base = base or config.config_dir()
    path = base / "agents.yaml"
    if not path.exists():
        return []
    data = _yaml(path) or []
    if isinstance(data, dict):
        bad = set(data) - {"agents"}
        if bad:
            raise ConfigError(f"{path.name}: unknown key {sorted(bad)[0]!r} (a list of agents, or agents: [...]).")
        data = data.get("agents") or []
    if not isinstance(data, list):
        raise ConfigError(f"{path.name}: expected a list of agents.")
    out, seen = [], set()
    for i, a in enumerate(data):
        where = f"{path.name}: agents[{i}]"
        if not isinstance(a, dict):
            raise ConfigError(f"{where} must be a mapping with name, label, role, avatar, description.")
        bad = set(a) - AGENT_KEYS
        if bad:
            raise ConfigError(f"{where}.{sorted(bad)[0]} is not an agent key ({', '.join(sorted(AGENT_KEYS))}).")
        name = a.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.name is required: the source_name the agent stands for.")
        if name in seen:
            raise ConfigError(f"{where}.name {name!r} is listed twice.")
        seen.add(name)
        for k in ("label", "role", "description", "biography"):
            if a.get(k) is not None and not isinstance(a[k], str):
                raise ConfigError(f"{where}.{k} must be text.")
        out.append({"name": name, "label": a.get("label") or name, "role": a.get("role") or "",
                    "avatar": _avatar(a.get("avatar"), base, where),
                    "description": a.get("description") or "",
                    "active": bool(a.get("active", True))})
    return out


def agents_for(sources) -> dict[str, dict]:
    """``{source_name: {label, role, avatar, description}}``: the agents.yaml entries of the
    sources a payload lists (a table's source column), so the table shows each source's
    label and avatar from the payload alone (a saved notebook's snapshot too). Sources the
    registry does not name are left out; a bad file gives none (every view reports it
    through the branding it carries)."""
    wanted = {str(s) for s in sources if s is not None and s == s}  # s == s: not NaN
    if not wanted:
        return {}
    try:
        registry = agents()
    except ConfigError:
        return {}
    return {a["name"]: {k: a[k] for k in ("label", "role", "avatar", "description")}
            for a in registry if a["name"] in wanted}


def load() -> dict:
    """``{theme, agents, error}`` for the views; a bad file is reported in ``error`` (the
    views still draw, with the defaults) rather than breaking every view."""
    try:
        return {"theme": theme(), "agents": agents(), "error": None}
    except ConfigError as exc:
        return {"theme": theme_default(), "agents": [], "error": str(exc)}


def theme_default() -> dict:
    return {"key": "default", **DEFAULT_PALETTE, "branding": {}}
