"""HTTP API of human signals (the reference's ``/api/human-signals`` on AXIS datasets).

Routes, relative to ``{base_url}axis/api/`` (``auth_resource = "axis:signals"``):

  GET datasets/{name}/signals                  {metric_schema, display_config}: the discovered
                                               schema (nested, as the reference answers it) and
                                               the merged display config
  GET datasets/{name}/signals/cases            one page of cases {rows, total, page, page_size}:
                                               page, page_size, sort_by, descending, search,
                                               filters, columns
  GET datasets/{name}/signals/cases/{case_id}  one case: fields, metadata, every signal by
                                               metric, the conversation's messages

The KPIs, trends and value counts are analytics (``POST datasets/{name}/analytics/
signal_kpis`` and so on, like every analytic). A dataset that is not human signals is a 400
naming its kind; an unknown dataset or case is a 404.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P
from axis_jupyter.analytics.parameters import FILTERS
from axis_jupyter.errors import QueryError
from axis_jupyter.signals import api
from axis_jupyter import wire

from .base import AxisHandler
from .params import Param, Spec

NAME = r"(?P<name>[^/]+)"
MAX_PAGE_SIZE = 500


class _SignalsBase(AxisHandler):
    auth_resource = "axis:signals"

    def _signals_dataset(self, name: str) -> None:
        kind = self.store.info(name)["kind"]  # 404 for an unknown dataset
        if kind != "signals":
            raise QueryError(f"dataset {name!r} holds {kind}, not human signals (load it with "
                             "kind='signals').")


class SignalsHandler(_SignalsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """The discovered schema and the display config of a human-signals dataset."""
        self._signals_dataset(name)
        schema = await self.run_blocking(api.signal_schema, self.store, name)
        config = await self.run_blocking(api.display_config, self.store, name)
        self.write_json({"metric_schema": schema, "display_config": config})


class CasesHandler(_SignalsBase):
    params = {"get": Spec(query=(
        Param("page", P.integer(1, 10**9), "1-based page (default 1)"),
        Param("page_size", P.integer(1, MAX_PAGE_SIZE), "cases per page (default 50)"),
        Param("sort_by", P.STRING, "a column of the cases"),
        Param("descending", P.BOOL, "sort descending"),
        Param("search", P.STRING, "case id, business, agent or source (case-insensitive)"),
        Param("filters", FILTERS, "filters on case columns (source fields, <metric>__<signal>, "
                                  "time_range)"),
        Param("columns", P.STRINGS, "columns to return (default: all)")))}
    openapi = {"get": {"responses": {"200": "{rows: [{...}], total, page, page_size}"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """One page of a human-signals dataset's cases (sorted, searched, filtered)."""
        self._signals_dataset(name)
        a = self.query_args()
        page, page_size = a.get("page", 1), a.get("page_size", 50)
        rows, total = await self.run_blocking(
            api.case_page, self.store, name, filters=a.get("filters"), search=a.get("search"),
            sort_by=a.get("sort_by"), descending=a.get("descending", False), page=page,
            page_size=page_size, columns=a.get("columns") or None)
        body = await self.run_blocking(lambda: wire.dumps(
            {"rows": wire.records(rows), "total": total, "page": page, "page_size": page_size}))
        self.finish(body)


class CaseHandler(_SignalsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, case_id: str):
        """One case: its fields, metadata, every signal by metric and its conversation."""
        self._signals_dataset(name)
        self.write_json(await self.run_blocking(api.case_detail, self.store, name, case_id))


def routes():
    return [
        (rf"datasets/{NAME}/signals", SignalsHandler),
        (rf"datasets/{NAME}/signals/cases", CasesHandler),
        (rf"datasets/{NAME}/signals/cases/(?P<case_id>[^/]+)", CaseHandler),
    ]
