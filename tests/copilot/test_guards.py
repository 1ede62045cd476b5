"""Asking the copilot and writing reports through the views need write on axis:copilot and
axis:reports, as the routes do: a policy that lets a user look at views (and read
everything) but not spend the model budget holds for the copilot, report and scorecard
views too."""

from __future__ import annotations

import json
import warnings

import pytest
from jupyter_server.auth.authorizer import Authorizer

from support.axis_server import axis_env_restored

from .conftest import results_frame


class NoModelBudget(Authorizer):
    """Everything except writes on axis:copilot and axis:reports."""

    def is_authorized(self, handler, user, action, resource):
        return not (action == "write" and resource in ("axis:copilot", "axis:reports"))


@pytest.fixture
def jp_server_config(axis_store_path):
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True},
                                "authorizer_class": NoModelBudget},
                   "AxisExtension": {"store_path": str(axis_store_path)}})


@pytest.fixture(autouse=True)
def _data(axis_state, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "unused")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(results_frame(5), name="results", kind="evals")
    with axis_env_restored():
        yield


@pytest.mark.parametrize("path, body", [
    (("copilot",), {"question": "hi"}),
    (("reports",), {"dataset": "results"}),
    (("views", "copilot", "ask"), {"question": "hi"}),
    (("views", "copilot", "cancel"), {"job_id": "0" * 16}),
    (("datasets", "results", "views", "report", "start"), {"kind": "summary"}),
    (("datasets", "results", "views", "scorecard", "report_start"), {"kind": "summary"}),
    (("datasets", "results", "views", "scorecard", "report_cancel"), {"job_id": "0" * 16}),
])
async def test_spending_the_model_budget_needs_write(api, axis_state, path, body):
    r = await api("POST", *path, body=body)
    assert r.code == 403, r.body
    assert not axis_state.jobs.list()


async def test_looking_stays_open(api, axis_state):
    r = await api("POST", "views", "copilot", "setup", body={})
    assert r.code == 200 and json.loads(r.body)["context"]["datasets"] == 1
    r = await api("POST", "datasets", "results", "views", "scorecard", "report_setup", body={})
    assert r.code == 200 and json.loads(r.body)["counts"]["cases"] == 5
    r = await api("GET", "copilot")
    assert r.code == 200
