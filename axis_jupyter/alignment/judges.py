"""Judge configurations: what an LLM judge is told, saved and versioned in the store.

A judge is ``model``, ``system_prompt`` (with ``{evaluation_criteria}`` where the criteria
go), ``evaluation_criteria`` (also accepted as ``criteria``), ``few_shot_examples``
(``{query, actual_output, expected_output?, score 0|1, reasoning}``), ``temperature`` and
``fields`` (the record fields the judge reads). ``calibrate(judge=...)`` takes a dict, a
YAML file or the name of a saved judge (``"name"`` or ``"name@3"`` for version 3).

Saving a judge under a name adds a version only when the configuration changed (a
fingerprint of it), so re-running the same judge does not pile up identical versions.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, NotFoundError, ParameterError
from . import tables
from .annotation_rows import iso, now_utc
from .metrics import binary

PLACEHOLDER = "{evaluation_criteria}"

DEFAULT_SYSTEM_PROMPT = (
    "You are an expert evaluator of AI assistant responses. Read the user's query and the "
    "response, then judge the response strictly against these criteria:\n\n"
    + PLACEHOLDER + "\n\n"
    "Answer ACCEPT (score 1) if the response meets the criteria and REJECT (score 0) if it "
    "fails any of them in a significant way, with one or two sentences of reasoning.")

DEFAULT_CRITERIA = (
    "1. The response addresses the user's query directly.\n"
    "2. The information is accurate and factually correct.\n"
    "3. The response is clear and coherent.\n"
    "4. The response is free of harmful or biased content.\n"
    "Accept if all criteria are met; reject if any fails significantly.")

DEFAULT_FIELDS = ("query", "actual_output", "expected_output")
ALLOWED_FIELDS = ("query", "actual_output", "expected_output", "retrieved_content",
                  "conversation")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,63}$")
MAX_TEXT = 50_000
MAX_EXAMPLES = 20


def default_model() -> str:
    from ..llm import DEFAULT_MODEL

    return os.environ.get("AXIS_JUDGE_MODEL") or DEFAULT_MODEL


@dataclass
class JudgeSpec:
    """One judge configuration (see the module docstring)."""

    name: str = "default"
    model: str = field(default_factory=default_model)
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    evaluation_criteria: str = DEFAULT_CRITERIA
    few_shot_examples: list[dict] = field(default_factory=list)
    temperature: float = 0.0
    fields: list[str] = field(default_factory=lambda: list(DEFAULT_FIELDS))
    version: int | None = None  # set once saved

    def to_dict(self) -> dict:
        return asdict(self)

    def config(self) -> dict:
        """What defines the judge's behaviour (no name, no version)."""
        d = self.to_dict()
        d.pop("name")
        d.pop("version")
        return d

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.config(), sort_keys=True,
                                         ensure_ascii=False).encode()).hexdigest()[:16]

    def instruction(self) -> str:
        """The system prompt with the criteria put in."""
        return self.system_prompt.replace(PLACEHOLDER, self.evaluation_criteria.strip())

    def with_criteria(self, criteria: str) -> "JudgeSpec":
        d = self.to_dict()
        d.update(evaluation_criteria=criteria, version=None)
        return JudgeSpec(**d)


def _text(d: dict, key: str, default: str) -> str:
    value = d.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"judge.{key} must be non-empty text.", param=f"judge.{key}")
    if len(value) > MAX_TEXT:
        raise ParameterError(f"judge.{key} must be at most {MAX_TEXT} characters.",
                             param=f"judge.{key}")
    return value


def check_name(name: Any, param: str = "judge.name") -> str:
    if not isinstance(name, str) or not NAME_RE.match(name.strip()):
        raise ParameterError(f"{param} must be 1-64 letters, digits, spaces, '.', '_' or '-', "
                             "starting with a letter or digit.", param=param)
    return name.strip()


def from_dict(d: dict, name: str | None = None) -> JudgeSpec:
    """A checked JudgeSpec from a dict (unknown keys are refused, naming them)."""
    if not isinstance(d, dict):
        raise ParameterError("judge must be an object (model, system_prompt, "
                             "evaluation_criteria, few_shot_examples, temperature, fields).",
                             param="judge")
    d = dict(d)
    if "criteria" in d and "evaluation_criteria" not in d:
        d["evaluation_criteria"] = d.pop("criteria")
    known = {"name", "model", "system_prompt", "evaluation_criteria", "few_shot_examples",
             "temperature", "fields", "version", "provider"}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ParameterError(f"judge has no setting {unknown[0]!r} (settings: "
                             f"{', '.join(sorted(known - {'version', 'provider'}))}).",
                             param=f"judge.{unknown[0]}")
    provider = d.get("provider")
    if provider not in (None, "anthropic"):
        raise ParameterError("judge.provider must be 'anthropic' (the LLM layer's client).",
                             param="judge.provider")
    system_prompt = _text(d, "system_prompt", DEFAULT_SYSTEM_PROMPT)
    if PLACEHOLDER not in system_prompt:
        raise ParameterError("judge.system_prompt must contain {evaluation_criteria} where "
                             "the criteria go.", param="judge.system_prompt")
    temperature = d.get("temperature", 0.0)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or \
            not (0 <= temperature <= 2) or math.isnan(temperature):
        raise ParameterError("judge.temperature must be a number from 0 to 2.",
                             param="judge.temperature")
    fields = d.get("fields") or list(DEFAULT_FIELDS)
    if not isinstance(fields, list) or not fields or any(f not in ALLOWED_FIELDS for f in fields):
        raise ParameterError(f"judge.fields must be a list of {', '.join(ALLOWED_FIELDS)}.",
                             param="judge.fields")
    model = d.get("model") or default_model()
    if not isinstance(model, str) or len(model) > 200:
        raise ParameterError("judge.model must be a model name.", param="judge.model")
    return JudgeSpec(
        name=check_name(name or d.get("name") or "default"), model=model,
        system_prompt=system_prompt,
        evaluation_criteria=_text(d, "evaluation_criteria", DEFAULT_CRITERIA),
        few_shot_examples=check_examples(d.get("few_shot_examples") or []),
        temperature=float(temperature), fields=list(dict.fromkeys(fields)),
        version=d.get("version") if isinstance(d.get("version"), int) else None)


def check_examples(examples: Any) -> list[dict]:
    if not isinstance(examples, list) or len(examples) > MAX_EXAMPLES:
        raise ParameterError(f"judge.few_shot_examples must be a list of at most {MAX_EXAMPLES}.",
                             param="judge.few_shot_examples")
    out = []
    for i, ex in enumerate(examples):
        where = f"judge.few_shot_examples[{i}]"
        if not isinstance(ex, dict):
            raise ParameterError(f"{where} must be an object.", param=where)
        score = binary(ex.get("score"), f"{where}.score")
        if score is None:
            raise ParameterError(f"{where}.score must be 0 or 1.", param=f"{where}.score")
        item = {"query": str(ex.get("query") or ""), "actual_output": str(ex.get("actual_output") or ""),
                "score": score, "reasoning": str(ex.get("reasoning") or "")}
        if ex.get("expected_output"):
            item["expected_output"] = str(ex["expected_output"])
        if ex.get("record_id") is not None:
            item["record_id"] = str(ex["record_id"])
        out.append(item)
    return out


def from_yaml(path: str | Path) -> JudgeSpec:
    import yaml

    p = Path(path).expanduser()
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the judge file ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]}).") from None
    return from_dict(data or {}, name=(data or {}).get("name") or p.stem)


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``"name"`` or ``"name@3"``."""
    name, _, version = ref.partition("@")
    if version:
        if not version.isdigit():
            raise ParameterError(f"judge {ref!r}: the version after @ must be a number.",
                                 param="judge")
        return check_name(name, "judge"), int(version)
    return check_name(name, "judge"), None


# ----------------------------------------------------------------------------- the store
def save(store, spec: JudgeSpec, *, created_by: str | None = None, note: str | None = None,
         force: bool = False) -> JudgeSpec:
    """Save ``spec`` under its name: a new version if its configuration differs from the
    latest one (or ``force``); the spec with its version either way."""
    tables.ensure(store)
    fp = spec.fingerprint()

    def tx(cur):
        row = cur.execute(f"SELECT version, fingerprint FROM {tables.JUDGES} WHERE name = ? "
                          "ORDER BY version DESC LIMIT 1", [spec.name]).fetchone()
        if row is not None and row[1] == fp and not force:
            return int(row[0])
        version = 1 if row is None else int(row[0]) + 1
        cur.execute(f"INSERT INTO {tables.JUDGES} VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [spec.name, version, json.dumps(spec.config(), ensure_ascii=False), fp,
                     now_utc(), created_by, note])
        return version

    version = store.write(tx)
    out = JudgeSpec(**{**spec.to_dict(), "version": version})
    return out


def load(store, name: str, version: int | None = None) -> JudgeSpec:
    tables.ensure(store)
    sql = (f"SELECT name, version, config FROM {tables.JUDGES} WHERE name = ? "
           + ("AND version = ? " if version is not None else "") + "ORDER BY version DESC LIMIT 1")
    args = [name] + ([version] if version is not None else [])
    row = store.read(lambda cur: cur.execute(sql, args).fetchone())
    if row is None:
        what = f"{name!r} version {version}" if version is not None else repr(name)
        raise NotFoundError(f"no saved judge {what}; save one with a judge dict or YAML file.")
    config = json.loads(row[2])
    spec = from_dict(config, name=row[0])
    spec.version = int(row[1])
    return spec


def versions(store, name: str | None = None) -> pd.DataFrame:
    """Saved judges: name, version, model, created_at, created_by, note, fingerprint,
    evaluation_criteria, examples (count)."""
    tables.ensure(store)
    where, args = ("WHERE name = ? ", [name]) if name else ("", [])
    df = store.read(lambda cur: cur.execute(
        f"SELECT name, version, config, fingerprint, created_at, created_by, note FROM "
        f"{tables.JUDGES} {where}ORDER BY name, version", args).df())
    configs = [json.loads(c) for c in df["config"]]
    df.insert(2, "model", [c.get("model") for c in configs])
    df["evaluation_criteria"] = [c.get("evaluation_criteria") for c in configs]
    df["examples"] = [len(c.get("few_shot_examples") or []) for c in configs]
    df["created_at"] = df["created_at"].map(iso)
    return df.drop(columns=["config"])


def resolve(store, judge: Any, *, created_by: str | None = None) -> JudgeSpec:
    """A saved JudgeSpec from what ``calibrate(judge=...)`` accepts: None (the default
    judge), a dict, a JudgeSpec, a YAML path, or a saved name (``name@version``)."""
    if judge is None:
        spec = JudgeSpec()
    elif isinstance(judge, JudgeSpec):
        spec = from_dict(judge.to_dict())
    elif isinstance(judge, dict):
        spec = from_dict(judge)
    elif isinstance(judge, (str, os.PathLike)):
        text = str(judge)
        if text.lower().endswith((".yaml", ".yml")) or os.path.sep in text:
            spec = from_yaml(text)
        else:
            name, version = parse_ref(text)
            return load(store, name, version)
    else:
        raise ParameterError("judge must be a dict, a YAML file path or a saved judge's name.",
                             param="judge")
    return save(store, spec, created_by=created_by)


def defaults() -> dict:
    return {"system_prompt": DEFAULT_SYSTEM_PROMPT, "evaluation_criteria": DEFAULT_CRITERIA,
            "model": default_model(), "fields": list(DEFAULT_FIELDS)}
