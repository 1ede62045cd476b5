"""Loading every layout the reference documents, and every kind of bad input."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from axis_jupyter import IngestError, demo

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _tables(store) -> list[str]:
    return sorted(r[0] for r in store.read(lambda c: c.execute("SELECT table_name FROM duckdb_tables()").fetchall()))


def _csv(path: Path, text: str, encoding="utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ----------------------------------------------------------------------------- samples

def test_eval_runner_sample_recovers_unquoted_commas(store):
    with pytest.warns(UserWarning, match=r"line\(s\) 6, 8, 11 .*retrieved_content"):
        ds = store.load(SHARED / "eval_runner_sample.csv")
    info = ds.info
    assert (info["kind"], info["layout"], info["rows"]) == ("evals", "inputs", 10)
    rows, total = ds.rows(page_size=20, sort_by="dataset_id")
    assert total == 10 and rows.dataset_id.tolist() == [f"q{i:03d}" for i in range(1, 11)]
    q010 = rows.set_index("dataset_id").loc["q010", "retrieved_content"]
    assert q010 == ("DNS uses a hierarchical structure with root servers, TLD servers, and "
                    "authoritative nameservers. Common record types include A, AAAA, CNAME, MX, and TXT records.")


def test_annotation_sample_is_simple_judgment(store):
    ds = store.load(SHARED / "annotation_sample.csv")
    assert (ds.info["kind"], ds.info["layout"], ds.info["rows"]) == ("annotations", "simple_judgment", 10)
    rows, _ = ds.rows(page_size=10, parse=True, sort_by="dataset_id")
    assert rows.user_tags.iloc[6] == ["Incomplete", "Factual Error"]
    assert "Photosynthesis" in rows.actual_output.iloc[0]  # multi-line quoted field intact


# ----------------------------------------------------------------------------- layouts

def test_tree_format_long(store, tmp_path):
    path = demo.write(demo.eval_results(20, seed=1), tmp_path / "tree.csv")
    ds = store.load(path)
    assert (ds.info["kind"], ds.info["layout"], ds.info["rows"], ds.info["records"]) == ("evals", "tree_format", 600, 20)
    assert set(ds.info["filter_values"]["metric_type"]) == {"category", "component", "metric"}


def test_flat_format_gets_tree_defaults(store, tmp_path):
    p = _csv(tmp_path / "flat.csv", "id,question,metric,score\nr1,q?,acc,0.5\nr1,q?,tone,1\nr2,q2,acc,0.25\n")
    ds = store.load(p)
    assert (ds.info["kind"], ds.info["layout"]) == ("evals", "flat_format")
    rows, _ = ds.rows(sort_by="metric_score")
    assert set(rows.columns) >= {"dataset_id", "query", "metric_name", "metric_score", "metric_type", "parent", "weight", "evaluation_name"}
    assert rows.metric_type.unique().tolist() == ["metric"] and rows.evaluation_name.unique().tolist() == ["Experiment 1"]
    assert ds.summary().set_index("metric_name").loc["acc", "mean"] == pytest.approx(0.375)


def test_wide_evaluation_is_melted(store, tmp_path):
    p = _csv(tmp_path / "wide.csv", "dataset_id,query,actual_output,faithfulness,relevance,latency\n"
             "a,q1,o1,0.9,0.8,1.5\nb,q2,o2,0.1,,2.5\n")
    ds = store.load(p)
    assert (ds.info["kind"], ds.info["layout"], ds.info["rows"], ds.info["records"]) == ("evals", "wide", 3, 2)  # the blank score is not a row
    assert ds.info["metric_columns"] == ["faithfulness", "relevance"]
    s = ds.summary().set_index("metric_name")
    assert s.loc["faithfulness", "count"] == 2 and s.loc["relevance", "count"] == 1
    full, _ = ds.rows(sort_by="metric_name")
    assert {"query", "latency", "metric_name", "metric_score"} <= set(full.columns)


def test_eval_runner_output(store, tmp_path):
    p = _csv(tmp_path / "run.csv", "run_id,dataset_id,passed,metric_name,metric_score,threshold\n"
             "r,1,true,exact_match,1.0,0.5\nr,2,false,exact_match,0.0,0.5\n")
    ds = store.load(p)
    assert (ds.info["kind"], ds.info["layout"]) == ("evals", "eval_runner")
    assert ds.summary().iloc[0].pass_rate == 0.5


def test_fresh_annotation_and_legacy_experiment_name(store, tmp_path):
    p = _csv(tmp_path / "fresh.csv", "dataset_id,query,actual_output,expected_output,experiment_name\n1,q,a,e,exp\n")
    ds = store.load(p)
    assert (ds.info["kind"], ds.info["layout"]) == ("annotations", "fresh_annotation")
    assert "evaluation_name" in {c["name"] for c in ds.info["columns"]}


def test_monitoring_long(store, tmp_path):
    path = demo.write(demo.monitoring_records(300, seed=2), tmp_path / "mon.parquet")
    ds = store.load(path)
    info = ds.info
    assert (info["kind"], info["layout"], info["records"]) == ("monitoring", "long", 300)
    assert set(info["filter_values"]["metric_category"]) == {"SCORE", "CLASSIFICATION", "ANALYSIS"}
    assert info["time_range"][0].startswith("2026-01-20")


def test_monitoring_wide_with_aliases_and_jsonish(store, tmp_path):
    path = demo.write(demo.monitoring_wide(200, seed=5), tmp_path / "wide_mon.csv")
    ds = store.load(path)
    info = ds.info
    assert (info["kind"], info["layout"], info["rows"], info["records"]) == ("monitoring", "wide", 1000, 200)
    cols = {c["name"] for c in info["columns"]}
    assert {"dataset_id", "timestamp", "query", "actual_output", "latency", "environment"} <= cols
    assert info["latency_unit"] == "ms"
    assert sorted(info["metrics"]) == ["accuracy", "coherence", "helpfulness", "relevance", "safety"]
    rows, _ = ds.rows(page_size=3, parse=True, sort_by="dataset_id")
    assert isinstance(rows.signals.iloc[0], dict) and isinstance(rows.retrieved_content.iloc[0], list)


def test_kpi_and_explicit_signals(store, tmp_path):
    p = _csv(tmp_path / "kpi.csv", "id,created_at,source_name,kpi_name,kpi_category,numeric_value\n"
             "1,2026-01-01,Atlas,resolution_rate,quality,0.8\n2,2026-01-02,Atlas,tickets,volume,12\n")
    ds = store.load(p)
    assert (ds.info["kind"], ds.info["layout"]) == ("kpi", "long")
    p2 = _csv(tmp_path / "hs.csv", 'dataset_id,metric_name,source_name,signals,metric_score\n'
              'c1,sentiment,Atlas,"{""sentiment"": ""positive""}",1\n')
    ds2 = store.load(p2, kind="signals")
    assert ds2.info["kind"] == "signals"
    with pytest.raises(IngestError, match="source_name"):
        store.load(_csv(tmp_path / "hs2.csv", 'dataset_id,metric_name,signals\nc1,x,{}\n'), kind="signals")


@pytest.mark.parametrize("fmt", ["pandas", "polars", "arrow", "jsonl", "parquet"])
def test_frames_and_formats(store, tmp_path, fmt):
    table = demo.eval_results(10, seed=9)
    if fmt == "pandas":
        src = table.to_pandas()
    elif fmt == "polars":
        import polars as pl
        src = pl.from_arrow(table)
    elif fmt == "arrow":
        src = table
    elif fmt == "jsonl":
        src = tmp_path / "x.jsonl"
        table.to_pandas().to_json(src, orient="records", lines=True)
    else:
        src = demo.write(table, tmp_path / "x.parquet")
    ds = store.load(src, name="x")
    assert (ds.info["kind"], ds.info["rows"]) == ("evals", 300)
    assert ds.summary(by="evaluation_name")["count"].sum() == 300


def test_user_mapping_wins(store, tmp_path):
    p = _csv(tmp_path / "m.csv", "case,grade,name\nc1,0.5,acc\nc2,1.0,acc\n")
    ds = store.load(p, mapping={"case": "dataset_id", "grade": "metric_score", "name": "metric_name"})
    assert ds.summary().iloc[0]["mean"] == 0.75


# ----------------------------------------------------------------------------- bad input

GOOD = "dataset_id,metric_name,metric_score\na,acc,0.5\nb,acc,1.0\n"


@pytest.fixture
def loaded(store, tmp_path):
    store.load(_csv(tmp_path / "good.csv", GOOD), name="x")
    before = (_tables(store), store.datasets().to_dict("records"), store.sql("SELECT * FROM x ORDER BY 1").to_dict("records"))
    return store, before


def _assert_unchanged(store, before):
    assert (_tables(store), store.datasets().to_dict("records"), store.sql("SELECT * FROM x ORDER BY 1").to_dict("records")) == before


BAD_CASES = {
    "missing file": (None, r"no such file"),
    "folder": ("<dir>", r"is a folder"),
    "empty file": ("", r"file is empty"),
    "header only": ("dataset_id,metric_name,metric_score\n", r"header but no data rows"),
    "non-numeric score": ("dataset_id,metric_name,metric_score\na,acc,0.5\nb,acc,abc\nc,acc,0.1\n",
                          r"line 3, column 'metric_score': 'abc' is not a number"),
    "duplicate columns": ("dataset_id,metric_name,metric_score,metric_score\na,acc,0.5,0.4\n",
                          r"duplicate column name\(s\) 'metric_score'"),
    "truncated quote": ('dataset_id,metric_name,metric_score,explanation\na,acc,0.5,"fine"\nb,acc,0.7,"cut off here\n',
                        r"line 3"),
    "too few fields": ("dataset_id,metric_name,metric_score,explanation\na,acc,0.5,ok\nb,acc\n", r"line 3 has fewer fields"),
    "ambiguous extra fields": ("dataset_id,explanation,metric_name,metric_score\na,x,acc,0.5\nb,y,z,acc,0.7\n",
                               r"line 3 has 5 fields .* 'metric_score' is not free text"),
    "unknown layout": ("foo,bar\n1,2\n", r"cannot tell what kind of data"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_csv_gives_clear_error_and_changes_nothing(loaded, tmp_path, case):
    store, before = loaded
    text, pattern = BAD_CASES[case]
    if text is None:
        path = tmp_path / "missing.csv"
    elif text == "<dir>":
        path = tmp_path / "adir"
        path.mkdir()
    else:
        path = _csv(tmp_path / "bad.csv", text)
    with pytest.raises(IngestError, match=pattern) as err:
        store.load(path, name="x")
    assert path.name in str(err.value)  # the error names the file
    _assert_unchanged(store, before)


def test_wrong_encoding(loaded, tmp_path):
    store, before = loaded
    path = _csv(tmp_path / "latin.csv", "dataset_id,metric_name,metric_score,explanation\na,acc,0.5,café crème\n", "latin-1")
    with pytest.raises(IngestError, match=r"not valid utf-8.*encoding='latin-1'"):
        store.load(path, name="x")
    _assert_unchanged(store, before)
    ds = store.load(path, name="latin", encoding="latin-1")
    assert ds.rows()[0].explanation.iloc[0] == "café crème"


def test_non_numeric_score_in_frame_names_row(loaded):
    store, before = loaded
    df = pd.DataFrame({"dataset_id": ["a", "b"], "metric_name": ["m", "m"], "metric_score": ["0.5", "high"]})
    with pytest.raises(IngestError, match=r"row 2, column 'metric_score': 'high' is not a number"):
        store.load(df, name="x")
    _assert_unchanged(store, before)


def test_duplicate_columns_in_frame(loaded):
    store, before = loaded
    df = pd.DataFrame([[1, 2]], columns=["metric_score", "metric_score"])
    with pytest.raises(IngestError, match="duplicate"):
        store.load(df, name="x")
    _assert_unchanged(store, before)


def test_truncated_parquet(loaded, tmp_path):
    store, before = loaded
    good = demo.write(demo.eval_results(5), tmp_path / "ok.parquet")
    bad = tmp_path / "cut.parquet"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(IngestError, match=r"cut.parquet: cannot read as Parquet"):
        store.load(bad, name="x")
    _assert_unchanged(store, before)


def test_missing_required_columns(loaded, tmp_path):
    store, before = loaded
    p = _csv(tmp_path / "noid.csv", "timestamp,source_name,relevance_score\n2026-01-01,a,0.5\n")
    with pytest.raises(IngestError, match=r"needs a column 'dataset_id' or 'trace_id'"):
        store.load(p, name="x")
    with pytest.raises(IngestError, match=r"metric_name and metric_score"):
        store.load(_csv(tmp_path / "e.csv", "a,b\nx,y\n"), name="x", kind="evals")
    with pytest.raises(IngestError, match="not a date/time"):
        store.load(_csv(tmp_path / "t.csv", "id,timestamp,source_name,a_score\n1,yesterday,s,0.5\n"), name="x")
    _assert_unchanged(store, before)


def test_bad_name_and_kind(store, tmp_path):
    p = _csv(tmp_path / "g.csv", GOOD)
    with pytest.raises(IngestError, match="not valid"):
        store.load(p, name="drop table;")
    with pytest.raises(IngestError, match="kind='bogus'"):
        store.load(p, kind="bogus")


def test_sniffer_mistyped_column_is_read_as_text(store, tmp_path):
    # dataset_id looks numeric for the sniffer's sample, then holds text.
    lines = ["dataset_id,metric_name,metric_score"] + [f"{i},acc,0.5" for i in range(5000)] + ["case-x,acc,0.25"]
    ds = store.load(_csv(tmp_path / "ids.csv", "\n".join(lines) + "\n"))
    assert ds.info["rows"] == 5001
    assert store.sql("SELECT metric_score FROM ids WHERE dataset_id = 'case-x'").iloc[0, 0] == 0.25
