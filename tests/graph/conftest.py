"""Generated rules in a DuckDB store on disk and their knowledge graph in a real embedded
FalkorDB (falkordblite), stopped when the module's tests end."""

from __future__ import annotations

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.graph import connection
from axis_jupyter.graph.demo import rules_frame

N_RULES = 400


@pytest.fixture(autouse=True)
def _config_dir(tmp_path, monkeypatch):
    """Each test reads memory.yaml from its own empty folder; no external FalkorDB."""
    d = tmp_path / "axis-config"
    d.mkdir()
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(d))
    monkeypatch.delenv("AXIS_GRAPH_URL", raising=False)
    return d


@pytest.fixture(scope="module")
def frame():
    return rules_frame(N_RULES, seed=11)


@pytest.fixture(scope="module")
def rules_store(tmp_path_factory, frame):
    """A store with dataset ``rules`` (the frame); its graph server stops afterwards."""
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("graph") / "g.duckdb")
    store.load(frame, name="rules", kind="rules")
    yield store
    connection.close_for(store)
    store.close()


@pytest.fixture(scope="module")
def kg(rules_store):
    from axis_jupyter.graph.api import KnowledgeGraph

    return KnowledgeGraph(rules_store, "rules")


# A real Jupyter server with the AXIS extension (tests/support/axis_server.py) for the HTTP tests.
from support.axis_server import (  # noqa: E402,F401 - fixtures used by this folder's tests
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)


@pytest.fixture
def served_rules(axis_state, frame):
    """The server's store with rules dataset ``rules`` (the frame) and evals ``ev``."""
    with axis_env_restored():
        axis_state.store.load(frame, name="rules", kind="rules")
        axis_state.store.load(pd.DataFrame({"dataset_id": ["a", "b"], "metric_name": ["m", "m"],
                                            "metric_score": [0.1, 0.9]}), name="ev", kind="evals")
        yield axis_state.store
