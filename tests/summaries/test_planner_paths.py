"""Which path answers, and why: requests the summaries cannot answer fall back to the raw
table with the same result; the view says which path it used; summaries follow the
dataset's versions (reload, drop) and never answer once a writer made them stale."""

from __future__ import annotations

import pandas as pd
import pytest

from axis_jupyter.analytics import scorecard
from axis_jupyter.errors import ParameterError
from axis_jupyter.payloads.registry import call_action
from summary_data import eval_frame


def _both(sstore, **kw):
    def run(exact):
        def fn(ctx):
            return scorecard.scorecard(ctx, exact=exact, **kw), ctx.paths
        return sstore.view_read("ev", fn)
    return run(False), run(True)


@pytest.mark.parametrize("filters, threshold, why", [
    ({"query": "question 3"}, None, "query"),  # not a key: per-case text
    ({"time_range": ["2026-03-01T06:00", "2026-03-03"]}, None, "day boundaries"),
    ({"environment": "prod"}, 0.65, "threshold 0.65"),
])
def test_unanswerable_requests_use_the_raw_table(sstore, filters, threshold, why):
    (fast, paths), (raw, _) = _both(sstore, filters=filters, threshold=threshold)
    assert paths[0]["path"] == "raw" and why in paths[0]["reason"]
    pd.testing.assert_frame_equal(fast, raw)
    assert len(fast) > 0


def test_the_view_says_which_path_answered(sstore):
    fast = call_action(sstore, "ev", "scorecard", "payload", {"filters": {"environment": "prod"}})
    assert fast["timing"]["path"] == "summary"
    assert {p["what"] for p in fast["timing"]["paths"]} >= {"scorecard_binned", "case_count"}
    raw = call_action(sstore, "ev", "scorecard", "payload",
                      {"filters": {"environment": "prod"}, "exact": True})
    assert raw["timing"]["path"] == "raw"
    assert all("exact=True" in p["reason"] for p in raw["timing"]["paths"])
    assert fast["kpis"]["test_cases"] == raw["kpis"]["test_cases"] > 0
    assert [r["count"] for r in fast["rows"]] == [r["count"] for r in raw["rows"]]
    # a filter the summaries cannot answer: the raw table, and the view still answers
    mixed = call_action(sstore, "ev", "scorecard", "payload", {"filters": {"dataset_id": "case_001"}})
    assert mixed["timing"]["path"] in ("raw", "mixed") and mixed["kpis"]["test_cases"] == 1


def test_a_bad_exact_names_the_parameter(sstore):
    with pytest.raises(ParameterError) as err:
        call_action(sstore, "ev", "scorecard", "payload", {"exact": "sometimes"})
    assert err.value.param == "exact"


def test_exact_is_a_dataset_method_parameter(sstore):
    ds = sstore.dataset("ev")
    fast, raw = ds.quantiles(by="environment"), ds.quantiles(by="environment", exact=True)
    assert fast["count"].tolist() == raw["count"].tolist()


def test_reload_and_drop_take_the_summaries_with_them(sstore):
    def tables():
        return set(sstore.sql("SELECT table_name FROM duckdb_tables()")["table_name"])

    first = sstore.info("ev")["summary"]["tables"]
    assert set(first.values()) <= tables()
    sstore.load(eval_frame(n_cases=20, seed=9), name="ev", kind="evals")
    second = sstore.info("ev")["summary"]
    assert not set(first.values()) & tables() and set(second["tables"].values()) <= tables()
    assert second["source_rows"] == sstore.info("ev")["rows"] == 20 * 18
    sstore.drop("ev")
    assert not set(second["tables"].values()) & tables()


def test_stale_summaries_are_not_used(sstore):
    """A writer that appends rows without extending the summaries: the raw table answers."""
    info = sstore.info("ev")
    new = eval_frame(n_cases=5, seed=4).assign(metric_score=1.0)

    def append(cur):
        cur.register("new_rows", new)
        cur.execute(f'INSERT INTO "{info["scores_table"]}" BY NAME SELECT * FROM new_rows')
        sstore.save_info(cur, "ev", dict(info, rows=info["rows"] + len(new)))

    sstore.write(append)
    (fast, paths), (raw, _) = _both(sstore)
    assert paths[0]["path"] == "raw" and "stale" in paths[0]["reason"]
    pd.testing.assert_frame_equal(fast, raw)
    assert fast["count"].max() == raw["count"].max()


def test_a_key_with_too_many_values_is_left_out(store):
    df = eval_frame(n_cases=40)
    df["evaluation_name"] = [f"run_{i}" for i in range(len(df))]  # one experiment per row
    store.load(df, name="many", kind="evals")
    summary = store.info("many")["summary"]
    assert "evaluation_name" not in summary["keys"] and "environment" in summary["keys"]

    def fn(ctx):
        return scorecard.scorecard(ctx), ctx.paths

    got, paths = store.view_read("many", fn)
    assert paths[0]["path"] == "raw" and "evaluation_name" in paths[0]["reason"]
    assert got["count"].sum() > 0


def test_datasets_without_scores_have_no_summaries(store):
    store.load(pd.DataFrame({"query": ["a", "b"], "actual_output": ["x", "y"]}), name="inputs")
    assert store.info("inputs").get("summary") is None


def test_too_many_groups_roll_up_and_still_answer_exactly(store, monkeypatch):
    """With a tiny size limit the stats give up the day, then keys (widest first), and the
    fine bins give up keys; what they still answer is still exact."""
    from axis_jupyter.summaries import tables

    monkeypatch.setattr(tables, "MIN_ROWS", 100)
    monkeypatch.setattr(tables, "MAX_SHARE", 0.0)
    store.load(eval_frame(), name="small", kind="evals")
    summary = store.info("small")["summary"]
    assert summary["time_bucket"] is None
    assert summary["keys"][:2] == ["metric_name", "evaluation_name"] and "source_name" not in summary["keys"]
    rows = store.sql(f'SELECT count(*) AS n FROM "{summary["tables"]["stats"]}"')["n"][0]
    assert rows <= 100
    assert summary["bin_keys"] is None and "bins" not in summary["tables"]  # 6 metrics x 1000 bins

    def fn(exact):
        def run(ctx):
            return scorecard.scorecard(ctx, {"evaluation_name": "tuned"}, exact=exact), ctx.paths
        return store.view_read("small", run)

    (fast, paths), (raw, _) = fn(False), fn(True)
    assert paths[0]["path"] == "summary"
    assert fast["count"].tolist() == raw["count"].tolist()
    assert fast["pass_rate"].tolist() == raw["pass_rate"].tolist()
    assert fast["mean"].tolist() == pytest.approx(raw["mean"].tolist(), rel=1e-9)


def test_the_days_table_has_its_own_keys_and_answers_whole_days(store, monkeypatch):
    """A time range is answered from the days table, which keeps fewer keys than the stats
    when the day would multiply the groups past DAY_GROUPS: a time range with a key it
    dropped reads the raw rows (and says why); the same key without a time range, and a time
    range with the keys it kept, come from summaries, equal to the raw rows."""
    from axis_jupyter.summaries import tables

    monkeypatch.setattr(tables, "DAY_GROUPS", 400)  # 6 metrics x 3 experiments x 5 bins x 5 days = 450
    store.load(eval_frame(), name="d", kind="evals")
    summary = store.info("d")["summary"]
    assert summary["time_bucket"] == "day" and summary["day_keys"] == ["metric_name"]
    assert {"evaluation_name", "source_name"} <= set(summary["keys"])
    day = {"time_range": ["2026-03-02", "2026-03-04"]}

    def both(filters):
        def run(exact):
            def fn(ctx):
                return scorecard.scorecard(ctx, filters, exact=exact), ctx.paths
            return store.view_read("d", fn)
        return run(False), run(True)

    for filters, path in [({**day, "metric_name": "tone"}, "raw"),  # the experiment: not a day key
                          ({"source_name": "web"}, "summary"), ({**day, "source_name": "web"}, "raw")]:
        (fast, paths), (raw, _) = both(filters)
        assert paths[0]["path"] == path, (filters, paths[0])
        assert fast["count"].tolist() == raw["count"].tolist() and raw["count"].sum() > 0
        assert fast["pass_rate"].tolist() == raw["pass_rate"].tolist()
    monkeypatch.setattr(tables, "DAY_GROUPS", 5000)
    store.load(eval_frame(), name="d", kind="evals")
    assert store.info("d")["summary"]["day_keys"] == store.info("d")["summary"]["keys"]
    (fast, paths), (raw, _) = both({**day, "source_name": "web", "evaluation_name": "tuned"})
    assert paths[0]["path"] == "summary"
    assert fast["count"].tolist() == raw["count"].tolist() and raw["count"].sum() > 0
    assert fast["h0"].tolist() == raw["h0"].tolist()


def test_axis_summaries_off_reads_the_raw_rows_and_says_why(sstore, monkeypatch):
    monkeypatch.setenv("AXIS_SUMMARIES", "off")
    out = call_action(sstore, "ev", "scorecard", "payload", {"filters": {"environment": "prod"}})
    assert out["timing"]["path"] == "raw"
    assert all(p["reason"] == "AXIS_SUMMARIES is off" for p in out["timing"]["paths"])
    monkeypatch.setenv("AXIS_SUMMARIES", "on")
    again = call_action(sstore, "ev", "scorecard", "payload", {"filters": {"environment": "prod"}})
    assert again["timing"]["path"] == "summary"
    assert again["kpis"]["test_cases"] == out["kpis"]["test_cases"] > 0


def test_case_masks_answer_no_filter_and_one_value_exactly(sstore):
    """The test-case count of the common requests comes from the case masks; the others
    from the distinct cases; every one equals the raw count."""
    assert "case_masks" in sstore.info("ev")["summary"]["tables"]
    for filters in ({}, {"evaluation_name": "tuned"}, {"environment": ["prod"]}, {"environment": None},
                    {"evaluation_name": "tuned", "source_name": "web"}, {"environment": "nowhere"},
                    {"time_range": ["2026-03-02", "2026-03-04"]}):
        fast = call_action(sstore, "ev", "scorecard", "payload", {"filters": filters})
        raw = call_action(sstore, "ev", "scorecard", "payload", {"filters": filters, "exact": True})
        assert fast["kpis"]["test_cases"] == raw["kpis"]["test_cases"], filters
        assert {p["what"]: p["path"] for p in fast["timing"]["paths"]}["case_count"] == "summary"
