"""What each route accepts: query parameters and JSON body fields, with their schemas.

A handler declares its parameters per verb; the same declaration checks the request (a
wrong parameter is a 400 naming it and what it expects, see :mod:`axis_jupyter.params`)
and becomes the route's part of ``openapi.json`` (:mod:`.routes`)::

    class RowsHandler(AxisHandler):
        params = {"get": Spec(query=(
            Param("page", P.integer(1, MAX_PAGE), "1-based page"),
            Param("filters", P.OBJECT, "JSON object of filters"),
        ))}

        async def get(self, name):
            args = self.query_args()          # {"page": 3, "filters": {...}} (only those given)

A body is ``Body({"sql": {"type": "string", "description": ...}}, required=("sql",))``;
``self.body_args()`` returns the checked JSON object. ``Body.fields`` may be a function
returning the fields, for bodies described by another registry (the analytics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from axis_jupyter import params as P
from axis_jupyter.errors import ParameterError


@dataclass(frozen=True)
class Param:
    """One query-string parameter."""

    name: str
    schema: dict
    description: str = ""
    required: bool = False

    def openapi(self) -> dict:
        d = {"name": self.name, "in": "query", "required": self.required,
             "schema": _openapi_schema(self.schema)}
        if self.description:
            d["description"] = self.description
        if self.schema.get("type") in ("object", "array") or "anyOf" in self.schema:
            # Objects travel as JSON text in the query string, lists as comma-separated text.
            d["schema"] = {"type": "string"}
            d["description"] = (self.description + " " if self.description else "") + (
                f"({P.describe(self.schema)}; JSON text)" if self.schema.get("type") == "object"
                else f"({P.describe(self.schema)}, comma-separated)")
        return d


@dataclass(frozen=True)
class Body:
    """A request body: JSON fields (name -> schema, a ``description`` key documents it)."""

    fields: dict | Callable[[], dict] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    extra: bool = False  # True: unknown fields pass through unchecked
    description: str = ""
    content_type: str = "application/json"

    def field_schemas(self) -> dict:
        return self.fields() if callable(self.fields) else self.fields

    def openapi(self) -> dict:
        props = {k: _openapi_schema(v) for k, v in self.field_schemas().items()}
        schema: dict = {"type": "object", "properties": props}
        if self.required:
            schema["required"] = list(self.required)
        if not self.extra and self.content_type == "application/json":
            schema["additionalProperties"] = False
        if self.description:
            schema["description"] = self.description
        return {"required": bool(self.required),
                "content": {self.content_type: {"schema": schema}}}


@dataclass(frozen=True)
class Spec:
    """Everything one verb of one route accepts."""

    query: tuple[Param, ...] = ()
    body: Body | None = None

    def read_query(self, handler) -> dict:
        out: dict[str, Any] = {}
        for p in self.query:
            raw = handler.get_query_argument(p.name, None)
            if raw is None or raw == "":
                if p.required:
                    raise ParameterError(f"{p.name} is required ({P.describe(p.schema)}).",
                                         param=p.name)
                continue
            out[p.name] = P.parse_text(p.name, raw, p.schema)
        return out

    def read_body(self, body: dict) -> dict:
        if self.body is None:
            return body
        return P.check_fields("this request", body, self.body.field_schemas(),
                              required=self.body.required, extra=self.body.extra)


NO_PARAMS = Spec()


def spec_of(handler: type, verb: str) -> Spec:
    """The declared parameters of ``handler``'s ``verb`` (none declared: an empty Spec)."""
    return (getattr(handler, "params", None) or {}).get(verb.lower(), NO_PARAMS)


def _openapi_schema(schema: dict) -> dict:
    """A checking schema as OpenAPI 3.0 shows it (the same keywords; nested copies)."""
    out = {}
    for k, v in schema.items():
        if k in ("items", "additionalProperties") and isinstance(v, dict):
            out[k] = _openapi_schema(v)
        elif k == "properties":
            out[k] = {n: _openapi_schema(s) for n, s in v.items()}
        elif k == "anyOf":
            out[k] = [_openapi_schema(s) for s in v]
        else:
            out[k] = v
    return out


def described(schema: dict, description: str) -> dict:
    """``schema`` with a description (for body fields)."""
    return {**schema, "description": description}
