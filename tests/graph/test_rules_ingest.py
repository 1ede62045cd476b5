"""Loading rules: roles from memory.yaml and from the call, required columns named when
missing, list columns parsed safely, ids checked; a bad file changes nothing."""

from __future__ import annotations

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.errors import ConfigError, IngestError

BASE = {"id": ["a1", "a2", "a3"], "rule_name": ["one", "two", "three"],
        "action": ["decline", "approve", "refer"], "batch_id": ["b1", "b1", "b2"],
        "ingestion_status": ["ingested", "pending", "ingested"]}


@pytest.fixture
def store(tmp_path):
    s = axis_jupyter.LocalStore(tmp_path / "r.duckdb")
    yield s
    s.close()


def _rules(store, name="r"):
    return store.sql(f"SELECT * FROM {name} ORDER BY id")


def test_csv_with_text_thresholds_is_detected_as_rules(store, tmp_path):
    p = tmp_path / "rules.csv"
    pd.DataFrame({**BASE, "threshold": ["DTI > 45%", "score < 600", "12"],
                  "risk_score": ["high", "low", "mid"]}).to_csv(p, index=False)
    ds = store.load(p)
    assert ds.kind == "rules"
    df = _rules(store, ds.name)
    assert df.threshold.tolist() == ["DTI > 45%", "score < 600", "12"]
    assert df.risk_score.tolist() == ["high", "low", "mid"]


def test_missing_required_columns_are_all_named(store):
    frame = pd.DataFrame({"id": ["a"], "rule_name": ["x"], "action": ["decline"]})
    with pytest.raises(IngestError) as err:
        store.load(frame, name="r", kind="rules")
    msg = str(err.value)
    assert "batch_id" in msg and "ingestion_status" in msg and "roles=" in msg
    assert "r" not in set(store.datasets()["name"])


def test_roles_from_memory_yaml(store, _config_dir):
    (_config_dir / "memory.yaml").write_text(
        "memory:\n  field_roles: {name: title, group_by: factor, mitigants: offsets}\n"
        "  required_roles: [id, name, action]\n")
    frame = pd.DataFrame({"id": ["a", "b"], "title": ["t1", "t2"], "action": ["decline", "refer"],
                          "factor": ["DTI", "Score"], "offsets": ["['x', 'y']", ""]})
    store.load(frame, name="r", kind="rules")
    df = _rules(store)
    assert df.rule_name.tolist() == ["t1", "t2"] and df.risk_factor.tolist() == ["DTI", "Score"]
    assert [list(m) for m in df.mitigants] == [["x", "y"], []]
    assert df.batch_id.isna().all()  # a role the file lacks is an empty column
    assert store.info("r")["rules_roles"]["name"] == "title"


def test_mapping_wins_over_yaml(store, _config_dir):
    (_config_dir / "memory.yaml").write_text("field_roles: {name: title}\n")
    frame = pd.DataFrame({**BASE, "title": ["t1", "t2", "t3"], "label": ["L1", "L2", "L3"]})
    frame = frame.drop(columns="rule_name")
    store.load(frame, name="r", kind="rules", mapping={"label": "rule_name"})
    df = _rules(store)
    assert df.rule_name.tolist() == ["L1", "L2", "L3"]
    assert df.title.tolist() == ["t1", "t2", "t3"]  # kept as an ordinary column


def test_bad_memory_yaml_names_the_key(store, _config_dir):
    (_config_dir / "memory.yaml").write_text("field_roles: {nmae: title}\n")
    with pytest.raises(ConfigError, match="field_roles.nmae"):
        store.load(pd.DataFrame(BASE), name="r", kind="rules")
    (_config_dir / "memory.yaml").write_text("field_roles: {name: a, action: a}\n")
    with pytest.raises(ConfigError, match="same column"):
        store.load(pd.DataFrame(BASE), name="r", kind="rules")


def test_list_columns_are_parsed_safely(store, tmp_path):
    marker = tmp_path / "pwned"
    cells = ['["a", "b"]', "('c', 'd')", "solo", "", f"__import__('os').system('touch {marker}')",
             "[1, None, ' e ']"]
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(6)], "rule_name": list("abcdef"),
                          "action": ["decline"] * 6, "batch_id": ["b"] * 6,
                          "ingestion_status": ["ok"] * 6, "mitigants": cells})
    store.load(frame, name="r", kind="rules")
    got = [list(m) for m in _rules(store).mitigants]
    assert got == [["a", "b"], ["c", "d"], ["solo"], [], [cells[4]], ["1", "e"]]
    assert not marker.exists()


def test_frames_with_real_lists(store):
    frame = pd.DataFrame({**BASE, "mitigants": [["x"], [], None]})
    store.load(frame, name="r", kind="rules")
    assert [list(m) for m in _rules(store).mitigants] == [["x"], [], []]


def test_ids_must_be_present_and_unique(store):
    with pytest.raises(IngestError, match="rows 1 and 3 have the same rule id"):
        store.load(pd.DataFrame({**BASE, "id": ["a", "b", "a"]}), name="r", kind="rules")
    with pytest.raises(IngestError, match="row 2 has no rule id"):
        store.load(pd.DataFrame({**BASE, "id": ["a", " ", "c"]}), name="r", kind="rules")
    assert "r" not in set(store.datasets()["name"])


def test_bad_dates_are_named(store):
    frame = pd.DataFrame({**BASE, "created_at": ["2026-01-02", "yesterday", None]})
    with pytest.raises(IngestError, match="row 2: created_at"):
        store.load(frame, name="r", kind="rules")


def test_reload_keeps_old_rules_on_failure(store):
    store.load(pd.DataFrame(BASE), name="r", kind="rules")
    with pytest.raises(IngestError):
        store.load(pd.DataFrame({**BASE, "id": ["a", "a", "b"]}), name="r", kind="rules")
    assert _rules(store).id.tolist() == ["a1", "a2", "a3"]
