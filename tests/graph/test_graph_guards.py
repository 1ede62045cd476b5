"""Who may change rules on a shared server: the rule editor (the dashboard's ``create``,
``update``, ``delete`` view actions) needs write on ``axis:memory``, as the memory routes do,
so a policy that lets a user look at every view but not change rules leaves the rules, their
history and the graph as they were; looking stays open. Plus the hub scope table's rows."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer

from axis_jupyter_server.hub_auth import READ, WRITE, required_scopes


class NoRuleChanges(Authorizer):
    """Everything except writes on axis:memory (and rebuilds on axis:graph)."""

    def is_authorized(self, handler, user, action, resource):
        return not (action == "write" and resource in ("axis:memory", "axis:graph"))


@pytest.fixture
def jp_server_config(axis_store_path):
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True},
                                 "authorizer_class": NoRuleChanges},
                   "AxisExtension": {"store_path": str(axis_store_path)}})


def test_scope_rows():
    def view(a):
        return set(required_scopes("axis:views", "write", {"view": "memory", "action": a}))

    assert required_scopes("axis:memory", "read") == required_scopes("axis:graph", "read") == (READ,)
    assert required_scopes("axis:memory", "write") == required_scopes("axis:graph", "write") == (WRITE,)
    assert view("payload") == view("rules") == view("graph_search") == {READ}
    assert view("create") == view("update") == view("delete") == {WRITE}
    assert set(required_scopes("axis:views", "write", {"view": "graph", "action": "neighbourhood"})) == {READ}


@pytest.mark.parametrize("method, path, body", [
    ("POST", ("datasets", "rules", "views", "memory", "create"),
     {"fields": {"id": "X1", "name": "sneaky", "action": "approve"}}),
    ("POST", ("datasets", "rules", "views", "memory", "update"),
     {"rule_id": "R000001", "fields": {"action": "approve"}}),
    ("POST", ("datasets", "rules", "views", "memory", "delete"), {"rule_id": "R000001"}),
    ("POST", ("memory", "rules", "rules"), {"id": "X1", "name": "sneaky", "action": "approve"}),
    ("PUT", ("memory", "rules", "rules", "R000001"), {"action": "approve"}),
    ("DELETE", ("memory", "rules", "rules", "R000001"), None),
    ("POST", ("graph", "rules", "rebuild"), {}),
])
async def test_changing_rules_needs_write(api, served_rules, frame, method, path, body):
    before = served_rules.rules("rules").get("R000001")
    r = await api(method, *path, body=body)
    assert r.code == 403, r.body
    rules = served_rules.rules("rules")
    assert rules.get("R000001") == before
    assert len(rules.history()) == 0
    assert served_rules.info("rules")["rows"] == len(frame)


async def test_looking_stays_open(api, served_rules, frame):
    r = await api("POST", "datasets", "rules", "views", "memory", "payload", body={})
    assert r.code == 200 and json.loads(r.body)["summary"]["rules_count"] == len(frame)
    r = await api("POST", "datasets", "rules", "views", "graph", "search", body={"text": "debt"})
    assert r.code == 200 and json.loads(r.body)["total"] > 0
    r = await api("GET", "memory", "rules", "rules", "R000001")
    assert r.code == 200 and json.loads(r.body)["rule"]["id"] == "R000001"
