"""View actions that act — the database view's connect/import/sync, the runner's start/cancel —
need ``write`` on their own resource as well as ``axis:views``: a policy that lets a user look
at views but not reach databases, sync or run evaluations holds for the views too."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer


class ViewsOnly(Authorizer):
    """Everything on axis:views and reads elsewhere; no writes on database, sync or evals."""

    def is_authorized(self, handler, user, action, resource):
        return not (action == "write" and resource in ("axis:database", "axis:sync", "axis:evals"))


@pytest.fixture
def jp_server_config(axis_store_path):
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True},
                                "authorizer_class": ViewsOnly},
                   "AxisExtension": {"store_path": str(axis_store_path)}})


@pytest.mark.parametrize("view, action, body", [
    ("database", "connect", {"host": "127.0.0.1", "port": 1, "database": "x"}),
    ("database", "import_query", {"handle": "0" * 16, "query": "SELECT 1", "name": "x"}),
    ("database", "sync", {"source": "nothing"}),
    ("runner", "start", {"source": "demo_evals", "metrics": ["exact_match"]}),
    ("runner", "cancel", {"run_id": "x"}),
    ("datasets", "attach", {"name": "x", "backend": "postgresql://u@127.0.0.1:1/db", "table": "t"}),
])
async def test_acting_view_actions_need_their_own_resource(api, axis_state, view, action, body):
    r = await api("POST", "views", view, action, body=body)
    assert r.code == 403, r.body
    assert "axis:" in json.loads(r.body)["error"]


async def test_showing_view_actions_stay_open(api, axis_state):
    r = await api("POST", "views", "database", "payload", body={})
    assert r.code == 200, r.body
    assert "sources" in json.loads(r.body)
