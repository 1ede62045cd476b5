"""One label: checking the fields a person (or a file) gives, and turning stored rows back
into plain values (tags as a list, times as ISO text)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from ..errors import ParameterError
from .metrics import binary

MAX_TAGS = 50
MAX_TAG_LEN = 100
MAX_CRITIQUE = 20_000
FIELDS = ("judgment", "score", "tags", "critique", "flagged")
UNSET = object()  # "not given": the field keeps its current value


def check_fields(changes: dict[str, Any]) -> dict[str, Any]:
    """The given fields, checked and normalised; unknown names are refused."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if value is UNSET:
            continue
        if name not in FIELDS:
            raise ParameterError(f"an annotation has no field {name!r} (fields: "
                                 f"{', '.join(FIELDS)}).", param=name)
        out[name] = _check(name, value)
    return out


def _check(name: str, value: Any) -> Any:
    if name == "judgment":
        return binary(value, "judgment")
    if name == "score":
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if math.isnan(number) and not (isinstance(value, float) and math.isnan(value)):
            raise ParameterError(f"score must be a number, not {value!r}.", param="score")
        if math.isinf(number):
            raise ParameterError("score must be a finite number.", param="score")
        return None if math.isnan(number) else number
    if name == "tags":
        return check_tags(value)
    if name == "critique":
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if not isinstance(value, str):
            raise ParameterError("critique must be text.", param="critique")
        if len(value) > MAX_CRITIQUE:
            raise ParameterError(f"critique must be at most {MAX_CRITIQUE} characters.",
                                 param="critique")
        return value if value.strip() else None
    # flagged
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "false", "0",
                                                            "no", ""):
        return value.strip().lower() in ("true", "1", "yes")
    if not isinstance(value, (bool, int)) or value not in (0, 1):
        raise ParameterError(f"flagged must be true or false, not {value!r}.", param="flagged")
    return bool(value)


def check_tags(value: Any) -> list[str]:
    """A list of tag strings; a JSON array text (the export's ``user_tags``) or a
    comma-separated text is read as one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ParameterError("tags is not a valid JSON array.", param="tags") from None
        else:
            value = [t for t in (p.strip() for p in text.split(",")) if t]
    if not isinstance(value, (list, tuple)):
        raise ParameterError("tags must be a list of strings.", param="tags")
    tags: list[str] = []
    for i, tag in enumerate(value):
        if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG_LEN:
            raise ParameterError(f"tags[{i}] must be a non-empty string of at most "
                                 f"{MAX_TAG_LEN} characters.", param=f"tags[{i}]")
        if tag.strip() not in tags:
            tags.append(tag.strip())
    if len(tags) > MAX_TAGS:
        raise ParameterError(f"tags must hold at most {MAX_TAGS} tags.", param="tags")
    return tags


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def parse_time(value: Any, param: str = "updated_at") -> datetime | None:
    """A timestamp (naive UTC) from text, a datetime or a pandas Timestamp; None if empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{param} must be a date and time (ISO 8601), not {value!r}.",
                             param=param) from None
    if pd.isna(ts):
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    return ts.isoformat(timespec="microseconds") + ("" if ts.tzinfo else "Z")


def tags_of(text: Any) -> list[str]:
    if not isinstance(text, str) or not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(t) for t in value] if isinstance(value, list) else []


def label_records(df: pd.DataFrame | None) -> list[dict]:
    """Stored label rows as plain dicts (tags a list, judgment int or None, times ISO)."""
    if df is None or df.empty:
        return []
    out = []
    for row in df.to_dict("records"):
        d = {}
        for k, v in row.items():
            if k == "tags":
                d[k] = tags_of(v)
            elif k in ("updated_at", "recorded_at"):
                d[k] = iso(v)
            elif isinstance(v, float) and math.isnan(v):
                d[k] = None
            elif k in ("judgment", "revision", "seq", "undoes") and v is not None:
                d[k] = None if pd.isna(v) else int(v)
            elif hasattr(v, "item"):
                d[k] = v.item()
            else:
                d[k] = v
        out.append(d)
    return out
