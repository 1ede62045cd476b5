"""The single route table of ``{base_url}axis/api/`` and the OpenAPI document built from it.

Patterns are relative to ``axis/api/``; path parameters are named groups (``(?P<name>...)``),
which tornado passes as keyword arguments and the OpenAPI document shows as ``{name}``.

Other modules add routes by exposing ``routes() -> list[(pattern, HandlerClass)]`` in one
of :data:`OPTIONAL_ROUTE_MODULES`; a module is skipped only if it does not exist.

A handler declares what each verb accepts in ``params`` (query parameters and body fields
with their schemas, see :mod:`.params`); the same declaration checks requests and becomes
the operation's ``parameters`` and ``requestBody`` here. Path parameters take their pattern
from the route (or an enum from ``path_enums = {name: function}``). Responses are described
by a class attribute::

    openapi = {"post": {"responses": {"200": "description", ...},
                        "arrow": True,                 # also answers Arrow IPC
                        "content": "text/event-stream"}}

The summary and description come from the verb's docstring.
"""

from __future__ import annotations

import importlib
import inspect
import re

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import wire

from . import handlers as h
from .base import AxisHandler
from .params import Body, spec_of

API_PREFIX = "axis/api/"

NAME = r"(?P<name>[^/]+)"
CORE_ROUTES: list[tuple[str, type]] = [
    (r"health", h.HealthHandler),
    (r"openapi\.json", None),  # OpenAPIHandler, filled in below
    (r"datasets", h.DatasetsHandler),
    (rf"datasets/{NAME}", h.DatasetHandler),
    (rf"datasets/{NAME}/rows", h.RowsHandler),
    (r"analytics", h.AnalyticsListHandler),
    (rf"datasets/{NAME}/analytics/(?P<analytic>[^/]+)", h.AnalyticHandler),
    (r"query", h.QueryHandler),
    (rf"datasets/{NAME}/views/(?P<view>[^/]+)/(?P<action>[^/]+)", h.ViewActionHandler),
    (r"views/(?P<view>[^/]+)/(?P<action>[^/]+)", h.ViewActionHandler),
    (r"jobs", h.JobsHandler),
    (r"jobs/(?P<job_id>[^/]+)", h.JobHandler),
    (r"jobs/(?P<job_id>[^/]+)/events", h.JobEventsHandler),
]

OPTIONAL_ROUTE_MODULES = [
    "axis_jupyter_server.handlers_sync",
    "axis_jupyter_server.handlers_evals",
    "axis_jupyter_server.handlers_uploads",
    "axis_jupyter_server.handlers_branding",
    "axis_jupyter_server.handlers_copilot",
    "axis_jupyter_server.handlers_reports",
    "axis_jupyter_server.handlers_signals",
    "axis_jupyter_server.handlers_alignment",
    "axis_jupyter_server.handlers_memory",
    "axis_jupyter_server.handlers_graph",
]

METHODS = ("get", "post", "put", "patch", "delete")


def optional_routes(modules: list[str] | None = None) -> list[tuple[str, type]]:
    out: list[tuple[str, type]] = []
    for mod_name in OPTIONAL_ROUTE_MODULES if modules is None else modules:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name != mod_name:
                raise
            continue
        for item in mod.routes():
            pattern, handler = item[0], item[1]
            if not (isinstance(handler, type) and issubclass(handler, tornado.web.RequestHandler)):
                raise TypeError(f"{mod_name}.routes(): {pattern!r} -> {handler!r} is not a handler")
            out.append((pattern.lstrip("/"), handler, *item[2:]))
    return out


def all_routes() -> list[tuple]:
    """Every route of the AXIS API, relative to ``axis/api/`` (core first)."""
    return [r for r in CORE_ROUTES] + optional_routes()


def verbs(handler: type) -> list[str]:
    """The HTTP verbs a handler class implements."""
    return [m for m in METHODS
            if getattr(handler, m, None) is not getattr(tornado.web.RequestHandler, m)]


_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def openapi_path(pattern: str) -> str:
    path = _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern)
    return "/" + path.replace("\\.", ".").replace("\\", "")


def _path_schema(handler: type, name: str, pattern: str) -> dict:
    enums = getattr(handler, "path_enums", {}) or {}
    if name in enums:
        return {"type": "string", "enum": list(enums[name]())}
    m = re.search(r"\(\?P<" + name + r">((?:[^()]|\([^()]*\))*)\)", pattern)
    return {"type": "string", "pattern": f"^{m.group(1)}$"} if m else {"type": "string"}


def _operation(handler: type, verb: str, pattern: str) -> dict:
    fn = getattr(handler, verb)
    doc = inspect.getdoc(fn) or ""
    summary, _, description = doc.partition("\n")
    meta = (getattr(handler, "openapi", None) or {}).get(verb, {})
    spec = spec_of(handler, verb)
    params = [{"name": p, "in": "path", "required": True,
               "schema": _path_schema(handler, p, pattern)} for p in _GROUP.findall(pattern)]
    params += [p.openapi() for p in spec.query]
    op: dict = {
        "operationId": f"{verb}_{handler.__name__}",
        "summary": summary.strip() or f"{verb.upper()} {handler.__name__}",
        "tags": [getattr(handler, "auth_resource", "axis").split(":", 1)[-1]],
        "x-auth-resource": getattr(handler, "auth_resource", None),
        "parameters": params,
    }
    if description.strip():
        op["description"] = description.strip()
    if spec.body is not None:
        op["requestBody"] = spec.body.openapi()
    elif verb in ("post", "put", "patch"):
        # No fields: an empty JSON object (anything else is refused).
        op["requestBody"] = Body().openapi()
    responses = {}
    ok_code = "204" if (verb == "delete" and handler is h.DatasetHandler) else "200"
    for code, desc in (meta.get("responses") or {ok_code: "success"}).items():
        resp: dict = {"description": desc}
        if code != "204":
            ctype = meta.get("content", "application/json")
            resp["content"] = {ctype: {"schema": {}}}
            if meta.get("arrow") and code.startswith("2"):
                resp["content"][wire.ARROW_STREAM] = {"schema": {}}
        responses[code] = resp
    for code, desc in (("400", "a parameter is missing or wrong; the message names it"),
                       ("403", "not authenticated, not authorized, or missing XSRF token"),
                       ("404", "unknown dataset, job, view or analytic")):
        responses.setdefault(code, {"description": desc,
                                    "content": {"application/json": {"schema": ERROR_SCHEMA}}})
    op["responses"] = responses
    return op


ERROR_SCHEMA = {"type": "object", "required": ["error", "type"], "properties": {
    "error": {"type": "string", "description": "what went wrong and what to do about it"},
    "message": {"type": "string", "description": "the same as error"},
    "type": {"type": "string", "description": "a stable code: bad_parameter, bad_query, "
                                              "bad_input, not_found, conflict, forbidden, "
                                              "internal, ..."}}}


def openapi_spec(routes: list[tuple] | None = None, api_path: str = "/axis/api/",
                 version: str = "0") -> dict:
    routes = all_routes() if routes is None else routes
    paths: dict[str, dict] = {}
    for item in routes:
        pattern, handler = item[0], item[1]
        entry = paths.setdefault(openapi_path(pattern), {})
        for verb in verbs(handler):
            entry[verb] = _operation(handler, verb, pattern)
    return {
        "openapi": "3.0.3",
        "info": {"title": "AXIS for Jupyter API", "version": version,
                 "description": "Served by the AXIS Jupyter server extension. Authenticate "
                                "like any Jupyter API (token header or login cookie; "
                                "POST/DELETE need the _xsrf token with cookies); kernels use "
                                "Authorization: axis-token $AXIS_SERVER_TOKEN. Errors are "
                                "{error, message, type}: a message naming the parameter or "
                                "thing at fault and a stable code, never internals."},
        "servers": [{"url": api_path}],
        "components": {"securitySchemes": {
            "token": {"type": "apiKey", "in": "header", "name": "Authorization",
                      "description": "token <jupyter token> or axis-token <AXIS_SERVER_TOKEN>"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "_xsrf"}}},
        "security": [{"token": []}, {"cookie": []}],
        "paths": paths,
    }


class OpenAPIHandler(AxisHandler):
    auth_resource = "axis:openapi"

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """This document: every route of the AXIS API."""
        self.write_json(openapi_spec(self.axis.extras.get("routes"), self.axis.api_path,
                                     self.axis.version))


CORE_ROUTES[1] = (r"openapi\.json", OpenAPIHandler)
