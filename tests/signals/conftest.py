"""Generated human-signals data (axis_jupyter.demo_signals plus hand-made awkward rows) in a
DuckDB store on disk, copied to the session's PostgreSQL; ``ctx_for(name)`` gives an
AnalyticContext on either backend, so the same Ibis analytics run on both."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter import demo_signals

N_CASES = 400


@pytest.fixture(autouse=True)
def _config_dir(tmp_path, monkeypatch):
    """Each test reads signals_metrics.yaml from its own empty folder."""
    d = tmp_path / "axis-config"
    d.mkdir()
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(d))
    return d


def awkward_rows() -> pd.DataFrame:
    """Rows the generator does not make: odd keys, mixed types, duplicate rows and keys,
    non-object signals, a row without a case, odd conversations and stats."""
    conv = json.dumps({"messages": [{"role": "user", "content": "New billing case: INV-9\nmore"}]})
    t = pd.Timestamp("2026-02-02 09:00")
    rows = [
        # case x-1: two rows of metric misc (the last row's values win), a duplicate key
        ("x-1", " misc ", None, '{"a.b": 1, "q\\"z": "x", "mixed": "text", "num": 2, "flag": true, '
         '"tags": ["plain", "say \\"hi\\"", "back\\\\slash", "é"]}', t,
         conv, '{"user_message_count": 2}', '{"sender": "Human Bob"}'),
        ("x-1", "misc", "Score", '{"mixed": 5, "num": "3.5", "flag": "false", "dup": 1, "dup": 2}', t,
         conv, None, None),
        # case x-2: Python literals everywhere, a string holding a list, a blank label line
        ("x-2", "misc", None, "{'flag': 'yes', 'num': 'n/a', 'tags': \"['p', 'q']\", 'mixed': None}",
         t + pd.Timedelta(days=8), str({"messages": [{"role": "assistant", "content": "\n  \nFirst line here\nx"}]}),
         str({"turn_count": 4}), str({"message_url": "https://x/2", "sender": None})),
        # case x-3: signals that are not objects; no conversation; no timestamp
        ("x-3", "misc", None, "[1, 2]", None, None, "not json", None),
        ("x-3", "misc", None, "", None, None, None, None),
        ("x-3", "misc", None, "not json at all", None, None, None, None),
        # a row without a case still counts for the schema
        (None, "misc", None, '{"orphan_key": "only here"}', t, None, None, None),
        # case x-4: category dict with an unnamed item and a value given as null
        ("x-4", "sentiment_category", "classification",
         json.dumps({"analysis": {"overall": [{"name": "sentiment_category", "value": None},
                                              {"name": "", "value": "dropped"},
                                              {"name": "sentiment_score", "score": 0.25}]},
                     "group": "subjective"}), t, json.dumps({"messages": []}), None, None),
    ]
    return pd.DataFrame(rows, columns=["dataset_id", "metric_name", "metric_category", "signals", "timestamp",
                                       "conversation", "conversation_stats", "additional_input"])


@pytest.fixture(scope="session")
def hs_frame() -> pd.DataFrame:
    gen = demo_signals.signal_rows(N_CASES, seed=3, literal_share=0.15, category_share=0.4,
                                   missing_share=0.15, string_containers=0.2).to_pandas()
    extra = awkward_rows()
    for c in ("source_name", "source_component", "environment"):
        extra[c] = "Atlas" if c == "source_name" else None
    df = pd.concat([gen, extra[gen.columns]], ignore_index=True)
    df["timestamp"] = pd.to_datetime(df["timestamp"]).astype("datetime64[us]")
    return df


@pytest.fixture(scope="session")
def hstore(tmp_path_factory, hs_frame):
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("hs") / "hs.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(hs_frame, name="hs")  # kind detected
    yield store
    store.close()


@pytest.fixture(scope="session", params=["duckdb", "postgres"])
def ctx_for(request, hstore):
    """ctx_for(name) -> AnalyticContext on the chosen backend."""
    from support.pg import context_factory

    pg_uri = request.getfixturevalue("pg_uri") if request.param == "postgres" else None
    return context_factory(hstore, request.param, pg_uri, prefix="hs")
