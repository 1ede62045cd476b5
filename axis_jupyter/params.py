"""Parameter schemas: check a value against a small JSON-Schema subset, and say what it expects.

One dict is both the OpenAPI schema of a parameter and the rule its value is checked with,
so the published document and the checks cannot drift apart. The HTTP handlers (query
strings and JSON bodies), the analytics and the view actions all check their parameters
here, and a wrong value becomes one :class:`~axis_jupyter.errors.ParameterError` naming the
parameter and what it expects, never a ``TypeError`` or a database error further down.

Keywords understood (OpenAPI 3.0): ``type`` (string, integer, number, boolean, array,
object), ``enum``, ``minimum``, ``maximum``, ``minLength``, ``maxLength``, ``items``,
``minItems``, ``maxItems``, ``properties``, ``required``, ``additionalProperties``,
``anyOf``, ``nullable``; ``description`` and ``default`` are documentation only.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import ParameterError

__all__ = ["ParameterError", "check", "check_fields", "coerce", "describe", "parse_text", "shown"]

# Shorthands for the schemas used again and again.
STRING = {"type": "string"}
BOOL = {"type": "boolean"}
NUMBER = {"type": "number"}
OBJECT = {"type": "object"}
STRINGS = {"type": "array", "items": STRING}
# A column or metric name, or several (a list, or a comma-separated string).
NAMES = {"anyOf": [STRING, STRINGS]}


def integer(minimum: int | None = None, maximum: int | None = None) -> dict:
    s: dict = {"type": "integer"}
    if minimum is not None:
        s["minimum"] = minimum
    if maximum is not None:
        s["maximum"] = maximum
    return s


def number(minimum: float | None = None, maximum: float | None = None) -> dict:
    s: dict = {"type": "number"}
    if minimum is not None:
        s["minimum"] = minimum
    if maximum is not None:
        s["maximum"] = maximum
    return s


def one_of(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


def nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


# --------------------------------------------------------------------------- describing
def describe(schema: dict) -> str:
    """What a schema expects, in words: "an integer from 1 to 500", "one of 'day', 'week'"."""
    if "anyOf" in schema:
        return " or ".join(describe(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    typ = schema.get("type")
    if typ in ("integer", "number"):
        word = "an integer" if typ == "integer" else "a number"
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and hi is not None:
            return f"{word} from {lo} to {hi}"
        if lo is not None:
            return f"{word} >= {lo}"
        if hi is not None:
            return f"{word} <= {hi}"
        return word
    if typ == "boolean":
        return "true or false"
    if typ == "string":
        n = schema.get("maxLength")
        return f"a string of at most {n} characters" if n else "a string"
    if typ == "array":
        items = schema.get("items")
        inner = _plural(describe(items)) if items else "values"
        return f"a list of {inner}"
    if typ == "object":
        return "a JSON object"
    return "a value"


def _plural(words: str) -> str:
    for a in ("an ", "a "):
        if words.startswith(a):
            head, _, tail = words[len(a):].partition(" ")
            return f"{head}s {tail}".strip()
    return words


def shown(value: Any) -> str:
    """A short, safe picture of a wrong value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fail(name: str, schema: dict, value: Any) -> ParameterError:
    return ParameterError(f"{name} must be {describe(schema)}, not {shown(value)}.", param=name)


# --------------------------------------------------------------------------- checking
def check(name: str, value: Any, schema: dict) -> Any:
    """``value`` if it fits ``schema``; else a ParameterError naming ``name``."""
    if value is None:
        if schema.get("nullable"):
            return None
        raise _fail(name, schema, value)
    if "anyOf" in schema:
        for sub in schema["anyOf"]:
            try:
                return check(name, value, sub)
            except ParameterError:
                continue
        raise _fail(name, schema, value)
    typ = schema.get("type")
    if typ == "integer":
        if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
            value = int(value)  # JSON has one number type: 5.0 is the integer 5
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(name, schema, value)
    elif typ == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise _fail(name, schema, value)
    elif typ == "boolean":
        if not isinstance(value, bool):
            raise _fail(name, schema, value)
    elif typ == "string":
        if not isinstance(value, str) or "\x00" in value:
            raise _fail(name, schema, value)
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", math.inf):
            raise _fail(name, schema, value)
    elif typ == "array":
        if not isinstance(value, (list, tuple)):
            raise _fail(name, schema, value)
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", math.inf):
            raise ParameterError(f"{name} must be {describe(schema)} with "
                                 f"{_count_words(schema)}, not {len(value)}.", param=name)
        items = schema.get("items")
        if items is not None:
            value = [check(f"{name}[{i}]", v, items) for i, v in enumerate(value)]
    elif typ == "object":
        if not isinstance(value, dict):
            raise _fail(name, schema, value)
        value = _check_object(name, value, schema)
    if "enum" in schema and value not in schema["enum"]:
        raise _fail(name, schema, value)
    if typ in ("integer", "number"):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise _fail(name, schema, value)
    return value


def _count_words(schema: dict) -> str:
    lo, hi = schema.get("minItems"), schema.get("maxItems")
    if lo is not None and hi is not None:
        return f"{lo} items" if lo == hi else f"{lo} to {hi} items"
    return f"at least {lo} items" if lo is not None else f"at most {hi} items"


def _check_object(name: str, value: dict, schema: dict) -> dict:
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    out = {}
    for key, v in value.items():
        sub_name = f"{name}.{key}" if name else str(key)
        if key in props:
            if v is None and key not in schema.get("required", ()):
                continue  # null means "not given" for an optional field
            out[key] = check(sub_name, v, props[key])
        elif extra is False:
            raise ParameterError(f"{sub_name} is not a known field" + (
                f" (fields: {', '.join(props)})." if props else "."), param=sub_name)
        elif isinstance(extra, dict):
            out[key] = check(sub_name, v, extra)
        else:
            out[key] = v
    for key in schema.get("required", ()):
        if out.get(key) is None:
            sub_name = f"{name}.{key}" if name else key
            raise ParameterError(f"{sub_name} is required ({describe(props.get(key, {}))}).",
                                 param=sub_name)
    return out


def check_fields(where: str, values: dict, schemas: dict[str, dict],
                 required: tuple[str, ...] = (), extra: bool = False) -> dict:
    """Check a dict of named parameters (a JSON body, an analytic's keyword arguments).

    Unknown names are refused (naming them and the known ones) unless ``extra``; ``None``
    stands for "not given". ``where`` says whose parameters they are, for the messages.
    """
    if not isinstance(values, dict):
        raise ParameterError(f"the parameters of {where} must be a JSON object.")
    out = {}
    for key, v in values.items():
        if key not in schemas:
            if extra:
                out[key] = v
                continue
            known = ", ".join(schemas) or "none"
            raise ParameterError(f"{where} has no parameter {shown(str(key))} (parameters: "
                                 f"{known}).", param=str(key))
        if v is None and key not in required:
            continue
        out[key] = check(key, v, schemas[key])
    for key in required:
        if out.get(key) is None:
            raise ParameterError(f"{key} is required ({describe(schemas[key])}).", param=key)
    return out


# --------------------------------------------------------------------------- query strings
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_text(name: str, raw: str, schema: dict) -> Any:
    """A query-string value (text) converted to what ``schema`` describes, then checked."""
    if "anyOf" in schema:
        for sub in schema["anyOf"]:
            try:
                return parse_text(name, raw, sub)
            except ParameterError:
                continue
        raise _fail(name, schema, raw)
    typ = schema.get("type")
    value: Any = raw
    try:
        if typ == "integer":
            value = int(raw.strip())
        elif typ == "number":
            value = float(raw.strip())
        elif typ == "boolean":
            low = raw.strip().lower()
            if low not in _TRUE + _FALSE:
                raise ValueError(raw)
            value = low in _TRUE
        elif typ == "array":
            parts = [p.strip() for p in raw.split(",") if p.strip()]
            items = schema.get("items") or STRING
            value = [parse_text(f"{name}[{i}]", p, items) for i, p in enumerate(parts)]
        elif typ == "object":
            value = json.loads(raw)
    except (ValueError, RecursionError):
        raise _fail(name, schema, raw) from None
    return check(name, value, schema)


def coerce(name: str, value: Any, schema: dict) -> Any:
    """``value`` from Python or JSON (checked) or from text such as a magic option or a form
    field (converted, then checked): the one way the analytics and view payloads read a
    number or an integer parameter."""
    if isinstance(value, str):
        return parse_text(name, value, schema)
    return check(name, value, schema)
