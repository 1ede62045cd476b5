"""HTTP API of decision memory: the settings, and rule changes with history.

Routes, relative to ``{base_url}axis/api/`` (``auth_resource = "axis:memory"``); ``{name}``
is a rules dataset (load one with ``POST datasets`` and ``kind=rules``). The analytics
(``rules_summary``, ``hard_stops``, ``conflicts``, …) are under
``datasets/{name}/analytics/…`` like every analytic, and the rules themselves, paged and
filtered, under ``datasets/{name}/rows``.

  GET    memory/config                     field roles, labels, filters, colours, config_hash
  POST   memory/{name}/rules               {field: value, …} -> 201 {rule}
  GET    memory/{name}/rules/{rule_id}     {rule}
  PUT    memory/{name}/rules/{rule_id}     {field: value, …} (only those change) -> {rule}
  DELETE memory/{name}/rules/{rule_id}     -> {rule} (as it was)
  GET    memory/{name}/history             ?rule_id=&limit= -> {history: [...]}, newest first

Fields are named by role or column (``name`` or ``rule_name``); an unknown field or a bad
value is a 400 naming it, an unknown rule a 404, an id that exists a 409. Each change
commits with its history row and moves the dataset's knowledge graph along.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P

from .base import AxisHandler
from .params import Body, Param, Spec

NAME = r"(?P<name>[^/]+)"
RULE_ID = r"(?P<rule_id>[^/]+)"
_VALUE = {"anyOf": [{"type": "string", "maxLength": 10_000}, P.NUMBER,
                    {"type": "array", "items": {"type": "string", "maxLength": 10_000}, "maxItems": 200}],
          "nullable": True}


def _fields() -> dict:
    from axis_jupyter import memory_config

    names = dict.fromkeys([*memory_config.ROLES, *memory_config.ROLE_COLUMNS.values()])
    return {n: {**_VALUE, "description": f"role or column {n}"} for n in names}


RULE_BODY = Body(_fields, extra=True,
                 description="the rule's fields by role or column name (name or rule_name, "
                             "group_by or risk_factor, mitigants as a list, …); the dataset's "
                             "other columns are accepted too")


class _MemoryBase(AxisHandler):
    auth_resource = "axis:memory"


class ConfigHandler(_MemoryBase):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        """The decision-memory settings (memory.yaml with defaults) and their hash."""
        from axis_jupyter import memory_config

        cfg = await self.run_blocking(memory_config.load)
        self.write_json(memory_config.public(cfg))


class RulesHandler(_MemoryBase):
    params = {"post": Spec(body=RULE_BODY)}
    openapi = {"post": {"responses": {"201": "{rule}: the stored rule",
                                      "409": "a rule with that id exists"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Create a rule (id made up if not given; batch manual, status pending)."""
        from axis_jupyter.graph.rules import create_rule

        fields = self.body_args()
        rule = await self.run_blocking(create_rule, self.store, name, fields)
        self.write_json({"rule": rule}, status=201)


class RuleHandler(_MemoryBase):
    params = {"put": Spec(body=RULE_BODY)}
    openapi = {"get": {"responses": {"200": "{rule}"}},
               "put": {"responses": {"200": "{rule}: the rule after the change"}},
               "delete": {"responses": {"200": "{rule}: the rule as it was"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, rule_id: str):
        """One rule."""
        from axis_jupyter.graph.rules import get_rule

        self.write_json({"rule": await self.run_blocking(get_rule, self.store, name, rule_id)})

    @tornado.web.authenticated
    @authorized
    async def put(self, name: str, rule_id: str):
        """Change the given fields of a rule (the others stay)."""
        from axis_jupyter.graph.rules import update_rule

        fields = self.body_args()
        rule = await self.run_blocking(update_rule, self.store, name, rule_id, fields)
        self.write_json({"rule": rule})

    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str, rule_id: str):
        """Delete a rule."""
        from axis_jupyter.graph.rules import delete_rule

        rule = await self.run_blocking(delete_rule, self.store, name, rule_id)
        self.write_json({"rule": rule})


class HistoryHandler(_MemoryBase):
    params = {"get": Spec(query=(
        Param("rule_id", {"type": "string", "maxLength": 600}, "one rule's changes only"),
        Param("limit", P.integer(1, 10_000), "at most this many changes (default 100)")))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """The changes made to the dataset's rules, newest first."""
        from axis_jupyter.graph.api import pick_dataset
        from axis_jupyter.graph.rules import history

        args = self.query_args()
        await self.run_blocking(pick_dataset, self.store, name)
        df = await self.run_blocking(history, self.store, name, args.get("rule_id"),
                                     args.get("limit", 100))
        self.write_json({"history": df.to_dict("records")})


def routes() -> list[tuple[str, type]]:
    return [
        (r"memory/config", ConfigHandler),
        (rf"memory/{NAME}/rules", RulesHandler),
        (rf"memory/{NAME}/rules/{RULE_ID}", RuleHandler),
        (rf"memory/{NAME}/history", HistoryHandler),
    ]
