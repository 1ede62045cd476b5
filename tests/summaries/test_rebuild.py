"""Datasets loaded without summaries (an older AXIS) get them by ``%axis summaries build``,
and then answer from them exactly as a fresh load would; attached datasets are refused."""

from __future__ import annotations

import pandas as pd
import pytest

from axis_jupyter.analytics import scorecard
from axis_jupyter.errors import QueryError
from axis_jupyter.summaries.rebuild import rebuild
from axis_jupyter.summaries.tables import summary_tables
from summary_data import EXPERIMENTS, eval_frame


def _strip(store, name):
    """Make ``name`` look like a dataset loaded before summaries existed."""
    info = store.info(name)
    old = summary_tables(info)

    def tx(cur):
        for t in old:
            cur.execute(f'DROP TABLE "{t}"')
        fresh = {k: v for k, v in info.items() if k != "summary"}
        fresh["tables"] = [t for t in info["tables"] if t not in old]
        store.save_info(cur, name, fresh)

    store.write(tx)


def _scorecard(store, name, exact):
    def fn(ctx):
        return scorecard.scorecard(ctx, {"environment": "prod"}, exact=exact), ctx.paths
    return store.view_read(name, fn)


def test_the_magic_builds_summaries_for_a_dataset_without_them(ip, capsys):
    magic = ip.magics_manager.registry["AxisMagic"]
    store = magic.store
    store.load(eval_frame(), name="old", kind="evals")
    _strip(store, "old")
    _, paths = _scorecard(store, "old", False)
    assert paths[0]["path"] == "raw" and "no summaries" in paths[0]["reason"]
    shown = ip.run_line_magic("axis", "summaries build old")
    assert shown["keys"][:2] == ["metric_name", "evaluation_name"] and "stats" in shown["tables"]
    assert set(shown["tables"].values()) <= set(store.info("old")["tables"])  # dropped with it
    (fast, paths), (raw, _) = _scorecard(store, "old", False), _scorecard(store, "old", True)
    assert paths[0]["path"] == "summary"
    pd.testing.assert_frame_equal(fast[["name", "count", "pass_rate"]], raw[["name", "count", "pass_rate"]])
    again = ip.run_line_magic("axis", "summaries show old")
    assert again["tables"] == shown["tables"]
    # what the build chose to leave out of scans is visible: the type each metric implies,
    # and the experiments the cases fold into bits
    assert again["implied"] == ["metric_type"] and again["case_bits"] == EXPERIMENTS
    assert ip.run_line_magic("axis", "summaries build nosuch") is None
    assert "nosuch" in capsys.readouterr().err
    tables = set(store.sql("SELECT table_name FROM duckdb_tables()")["table_name"])
    store.drop("old")
    assert not set(shown["tables"].values()) & set(store.sql("SELECT table_name FROM duckdb_tables()")["table_name"])
    assert set(shown["tables"].values()) <= tables


def test_rebuilding_replaces_the_summaries_in_place(sstore):
    before = sstore.info("ev")["summary"]
    after = rebuild(sstore, "ev")
    assert after["tables"] == before["tables"] and after["source_rows"] == before["source_rows"]
    (fast, paths), (raw, _) = _scorecard(sstore, "ev", False), _scorecard(sstore, "ev", True)
    assert paths[0]["path"] == "summary" and fast["count"].tolist() == raw["count"].tolist()


def test_attached_datasets_keep_no_summaries():
    class Attached:
        def info(self, name):
            return {"attached": True}

    with pytest.raises(QueryError, match="attached"):
        rebuild(Attached(), "remote")
