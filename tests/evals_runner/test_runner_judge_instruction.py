"""The runner's custom binary judge: the catalogue says it needs an instruction, a start
without one is refused naming the parameter (before anything runs), and with one the run
goes to the judge with that instruction (the loopback Messages-API server)."""

from __future__ import annotations

import pytest

from axis_jupyter.errors import ParameterError
from axis_jupyter.evals.runs import wait_run
from axis_jupyter.notebook.widgets import call_action
from runs_helpers import N_ITEMS


def act(store, action, **params):
    return call_action(store, None, "runner", action, params)


def test_catalogue_declares_the_judge_instruction(sample_store):
    by_key = {m["key"]: m for m in act(sample_store, "setup", source="inputs")["metrics"]}
    params = by_key["binary_judge"]["params"]
    assert [p["name"] for p in params] == ["instruction"] and params[0]["required"]
    assert params[0]["label"] == "Judge instruction"
    assert by_key["exact_match"]["params"] == []


@pytest.mark.parametrize("metric_params, param", [
    (None, "metric_params.binary_judge.instruction"),
    ({"binary_judge": {"instruction": "   "}}, "metric_params.binary_judge.instruction"),
    ({"binary_judge": {"instruction": "x", "tone": "y"}}, "metric_params.binary_judge.tone"),
    ({"exact_match": {"instruction": "x"}}, "metric_params"),
])
def test_a_start_without_its_instruction_is_refused_naming_it(sample_store, monkeypatch, metric_params, param):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")  # configured: only the instruction is missing
    mapping = act(sample_store, "setup", source="inputs")["mapping"]
    params = {"source": "inputs", "metrics": ["binary_judge"], "mapping": mapping}
    if metric_params is not None:
        params["metric_params"] = metric_params
    with pytest.raises(ParameterError) as err:
        act(sample_store, "start", **params)
    assert err.value.param == param
    if param.endswith("instruction"):
        assert str(err.value) == "binary_judge needs its judge instruction: write what the judge should check."


def test_the_instruction_reaches_the_judge(sample_store, monkeypatch):
    from support.llm_server import serve_loopback

    mapping = act(sample_store, "setup", source="inputs")["mapping"]
    instruction = "Score 1 when the answer names a refund window; else 0."
    with serve_loopback(monkeypatch) as server:
        out = act(sample_store, "start", source="inputs", metrics=["binary_judge", "exact_match"], mapping=mapping,
                  name="judged", metric_params={"binary_judge": {"instruction": f"  {instruction} "}})
        st = wait_run(out["run_id"], timeout=60)
        assert st["state"] == "succeeded", st
        assert server.request_count == N_ITEMS
        assert all(instruction in str(r.get("system")) for r in server.requests)
    assert set(st["means"]) == {"binary_judge", "exact_match"}
