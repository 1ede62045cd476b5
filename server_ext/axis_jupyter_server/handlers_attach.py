"""HTTP API of attached datasets (issue 17): a table that stays in PostgreSQL, Spark or
another Ibis engine becomes a dataset of the server's store; every dataset, analytics and
view route then works on it unchanged (the engine runs the queries).

Route, relative to ``{base_url}axis/api/`` (``auth_resource = "axis:database"``: attaching
connects the server to a database, as the database browser does):

  POST attach   {name, backend, table, kind, mapping, database, password_env}
                -> {success, dataset: metadata}

``backend`` is a URL (``postgresql://user@host:5432/db``, ``pyspark://?spark.master=local[2]``,
``trino://…``; no password, no ``${VAR}``, never a local-file engine) or a configured
source's name. The password comes only from ``password_env`` (an allowed variable, see
``axis_jupyter.sync.secrets``). The store keeps the variable's name, never its value.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P
from axis_jupyter.wire import jsonable

from .base import AxisHandler
from .params import Body, Spec, described


class AttachHandler(AxisHandler):
    auth_resource = "axis:database"
    params = {"post": Spec(body=Body({
        "name": described(P.STRING, "the dataset's name"),
        "backend": described(P.STRING, "postgresql://user@host:5432/db, "
                                       "pyspark://?spark.master=local[2], trino://..., or a "
                                       "configured source's name (no password in it)"),
        "table": described(P.STRING, "the engine's table (schema.table allowed)"),
        "kind": described(P.STRING, "auto (default), evals, monitoring, kpi or signals"),
        "mapping": described({"type": "object", "additionalProperties": P.STRING},
                             "rename map {engine_column: canonical_column}"),
        "database": described(P.STRING, "the engine's database/schema of the table"),
        "password_env": described(P.STRING, "env var with the password: AXIS_SOURCE_*, "
                                             "*_PASSWORD, PG* or the server's "
                                             "AXIS_SOURCE_ENV_ALLOW patterns"),
    }, required=("name", "backend", "table")))}
    openapi = {"post": {"responses": {
        "200": "{success, dataset}",
        "400": "a refused backend URL, a missing table or a password_env that may not be read "
               "(the parameter is named)"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Attach an engine's table as a dataset: only its metadata is stored."""
        b = self.body_args()
        store = self.store

        def attach():
            ds = store.attach(b["name"], b["backend"], b["table"], kind=b.get("kind") or "auto",
                              mapping=b.get("mapping"), database=b.get("database"),
                              password_env=b.get("password_env"))
            return store.info(ds.name)

        info = await self.run_blocking(attach)
        self.write_json({"success": True, "dataset": jsonable(info)})


def routes() -> list[tuple[str, type]]:
    return [(r"attach", AttachHandler)]
