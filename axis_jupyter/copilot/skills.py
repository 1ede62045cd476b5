"""Skills: named, reusable instructions for the copilot, kept as files.

A skill is a folder holding ``SKILL.md``: YAML front matter, then instructions in Markdown::

    ---
    name: compare_experiments
    description: Which experiment is best on a metric, and is the difference significant?
    version: 1
    parameters:
      - {name: metric, type: string, description: the metric to compare on, required: false}
    tags: [compare, statistics]
    enabled: true
    ---
    1. Call run_analytic with analytic "experiments" on the dataset ...
    Use {{metric}} for the metric when it is given.

The built-in skills live beside this module (``skills/``); a user's own skills in
``~/.axis/skills/`` (``$AXIS_HOME/skills``) are loaded after them, and one with the same
name replaces the built-in. ``enabled: false`` hides a skill. A file that cannot be read is
skipped and named in :attr:`Skills.errors` (a broken user skill never stops the copilot).

The model sees each skill's name and description in its system prompt and reads the
instructions with the ``use_skill`` tool when it decides to follow one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import config

BUILTIN_DIR = Path(__file__).parent / "skills"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def user_dir() -> Path:
    return config.axis_home() / "skills"


@dataclass
class Skill:
    name: str
    description: str
    instructions: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    version: str = "1"
    tags: list[str] = field(default_factory=list)
    enabled: bool = True
    source: str = "builtin"  # builtin | user
    path: str = ""

    def render(self, arguments: dict[str, Any]) -> str:
        """The instructions with ``{{param}}`` filled from ``arguments`` (else the
        parameter's default, else "(not given)")."""
        defaults = {p["name"]: p.get("default") for p in self.parameters}

        def fill(m: re.Match) -> str:
            key = m.group(1)
            value = arguments.get(key, defaults.get(key))
            return "(not given)" if value is None else str(value)

        return _PLACEHOLDER.sub(fill, self.instructions)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "version": self.version,
                "parameters": self.parameters, "tags": self.tags, "enabled": self.enabled,
                "source": self.source}


class Skills:
    """The loaded skills by name, plus the files that could not be read."""

    def __init__(self, items: dict[str, Skill], errors: list[str] | None = None):
        self.items = items
        self.errors = errors or []

    def get(self, name: str) -> Skill | None:
        skill = self.items.get(name)
        return skill if skill is not None and skill.enabled else None

    def names(self) -> list[str]:
        return [n for n, s in self.items.items() if s.enabled]

    def enabled(self) -> list[Skill]:
        return [s for s in self.items.values() if s.enabled]

    def __len__(self) -> int:
        return len(self.names())

    def __bool__(self) -> bool:
        return bool(self.names())

    def prompt(self) -> str:
        """The skills as the system prompt lists them."""
        return "\n".join(f"- {s.name}: {s.description}" for s in self.enabled())


def parse_skill(text: str, path: Path, source: str) -> Skill:
    """One SKILL.md; ValueError naming what is wrong."""
    m = _FRONT.match(text)
    if not m:
        raise ValueError("it must start with YAML front matter between '---' lines")
    meta = yaml.safe_load(m.group(1)) or {}
    if not isinstance(meta, dict):
        raise ValueError("the front matter must be a YAML mapping")
    name = str(meta.get("name") or path.parent.name)
    if not _NAME.match(name):
        raise ValueError(f"name {name!r} must be lowercase letters, digits and underscores")
    description = str(meta.get("description") or "").strip()
    if not description:
        raise ValueError("description is required")
    params = meta.get("parameters") or []
    if not isinstance(params, list) or not all(isinstance(p, dict) and p.get("name") for p in params):
        raise ValueError("parameters must be a list of {name, type, description, required}")
    tags = meta.get("tags") or []
    return Skill(name=name, description=description, instructions=m.group(2).strip(),
                 parameters=[dict(p) for p in params], version=str(meta.get("version", "1")),
                 tags=[str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
                 enabled=bool(meta.get("enabled", True)), source=source, path=str(path))


def load_skills(extra: Path | str | None = None, *, include_user: bool = True) -> Skills:
    """The built-in skills, then ``~/.axis/skills`` (and ``extra``), later ones winning."""
    folders = [(BUILTIN_DIR, "builtin")]
    if include_user:
        folders.append((user_dir(), "user"))
    if extra is not None:
        folders.append((Path(extra).expanduser(), "user"))
    items: dict[str, Skill] = {}
    errors: list[str] = []
    for folder, source in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*/SKILL.md")):
            try:
                skill = parse_skill(path.read_text(encoding="utf-8"), path, source)
            except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
                detail = str(exc).splitlines()[0] if str(exc) else "cannot read the file"
                errors.append(f"{path}: {detail}")
                continue
            items[skill.name] = skill
    return Skills(items, errors)
