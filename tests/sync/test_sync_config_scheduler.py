"""Source YAML validation, secrets, and the periodic scheduler."""

from __future__ import annotations

import time

import pytest
import yaml

from axis_jupyter import sync
from axis_jupyter.errors import ConfigError
from axis_jupyter.sync import config as sconfig
from axis_jupyter.sync.scheduler import Scheduler

pytestmark = pytest.mark.postgres


def test_add_source_writes_yaml_without_password(axis_config, store):
    pub = sync.add_source(store, "prod", "monitoring", "postgresql://axis:s3cret@db.example:5433/prod",
                          dataset_query="SELECT * FROM records", results_query="SELECT * FROM scores",
                          incremental_column="updated_at", refresh_interval_minutes=30)
    text = (axis_config / "sources" / "prod.yaml").read_text()
    assert "s3cret" not in text and "password" not in text.split("\n", 2)[2]
    body = yaml.safe_load(text)["monitoring_db"]
    assert body["url"] == "postgresql://axis@db.example:5433/prod"
    assert body["refresh_interval_minutes"] == 30
    assert pub["has_password"] is True  # kept in this process's memory only
    assert "s3cret" not in repr(sconfig.get_source("prod")) and "s3cret" not in str(pub)
    cfg = sconfig.get_source("prod")
    assert cfg.conninfo()["password"] == "s3cret"
    assert cfg.describe_target() == "db.example:5433/prod"
    df = sync.sources()
    assert df.set_index("name").loc["prod", "kind"] == "monitoring"


@pytest.mark.parametrize("body, key", [
    ({"enabled": True, "url": "postgresql://u@h/db", "dataset_query": "SELECT 1", "password": "hunter2"}, "password"),
    ({"enabled": True, "url": "postgresql://u:pw@h/db", "dataset_query": "SELECT 1"}, "url"),
    ({"enabled": True, "url": "mysql://u@h/db", "dataset_query": "SELECT 1"}, "url"),
    ({"enabled": True, "url": "postgresql://u@h/db", "dataset_query": "DELETE FROM t"}, "dataset_query"),
    ({"enabled": True, "url": "postgresql://u@h/db", "dataset_query": "SELECT 1; DROP TABLE t"}, "dataset_query"),
    ({"enabled": True, "url": "postgresql://u@h/db", "dataset_query": "SELECT 1", "ssl_mode": "maybe"}, "ssl_mode"),
    ({"enabled": True, "url": "postgresql://u@h/db", "dataset_query": "SELECT 1", "incremental_column": 'x" > 0 --'}, "incremental_column"),
    ({"enabled": True, "url": "postgresql://u@h/db", "dataset_query": "SELECT 1", "partition_column": "a b"}, "partition_column"),
    ({"enabled": True, "url": "postgresql://u@h/db", "dataset_query": "SELECT 1", "refresh_interval_minutes": "often"}, "refresh_interval_minutes"),
    ({"enabled": True, "url": "postgresql://u@h/db", "dataset_query": "SELECT 1", "colour": "red"}, "colour"),
    ({"enabled": True, "url": "postgresql://u@h/db"}, "dataset_query"),
])
def test_validation_names_the_key(axis_config, body, key):
    d = axis_config / "sources"
    d.mkdir()
    (d / "bad.yaml").write_text(yaml.safe_dump({"eval_db": body}))
    with pytest.raises(ConfigError, match=f"'{key}'"):
        sconfig.get_source("bad")


def test_defaults_caps_and_env_secrets(axis_config, monkeypatch):
    (axis_config / "monitoring_db.yaml").write_text(yaml.safe_dump({"monitoring_db": {
        "enabled": True, "host": "db", "database": "prod", "username": "axis",
        "password": "${MY_PG_PASSWORD}", "dataset_query": "SELECT 1", "query_timeout": 999,
        "thresholds": {"default": {"good": 0.7}}}}))
    cfg = sconfig.get_source("monitoring")  # the reference file is the source "monitoring"
    assert cfg.kind == "monitoring" and cfg.port == 5432 and cfg.ssl_mode == "prefer"
    assert cfg.query_timeout == 120  # capped as in the reference
    assert cfg.row_limit == 10000 and cfg.refresh_interval_minutes == 0
    with pytest.raises(ConfigError, match="MY_PG_PASSWORD"):
        cfg.conninfo()
    monkeypatch.setenv("MY_PG_PASSWORD", "from-env")
    assert cfg.conninfo()["password"] == "from-env"
    assert "from-env" not in str(cfg.public())
    (axis_config / "duckdb.yaml").write_text(yaml.safe_dump({"duckdb": {"sync_workers": 4}}))
    s = sconfig.load_store_settings()
    assert s.sync_workers == 4 and s.sync_chunk_size == 10000 and s.max_sync_rows == 2_000_000
    (axis_config / "duckdb.yaml").write_text(yaml.safe_dump({"duckdb": {"sync_wrkers": 4}}))
    with pytest.raises(ConfigError, match="'sync_wrkers'"):
        sconfig.load_store_settings()


def test_scheduler_fake_clock(axis_config, store, monkeypatch):
    now = [1000.0]
    calls = []
    sched = Scheduler(store, run=calls.append, clock=lambda: now[0])
    sync.add_source(store, "a", "evals", "postgresql://u@h/db", "SELECT 1", refresh_interval_minutes=1)
    sync.add_source(store, "b", "evals", "postgresql://u@h/db", "SELECT 1", refresh_interval_minutes=5)
    sync.add_source(store, "c", "evals", "postgresql://u@h/db", "SELECT 1")  # not scheduled
    assert sched.tick() == pytest.approx(60)  # seeded: first run one interval later
    assert calls == []
    now[0] += 61
    sched.tick()
    assert calls == ["a"]
    now[0] += 240
    sched.tick()
    assert calls == ["a", "a", "b"]


def test_scheduler_fires_real_sync(axis_config, store, pg):
    uri, schema, conn = pg
    sync.add_source(store, "sched", "evals", uri, f"SELECT * FROM {schema}.cases",
                    results_query=f"SELECT * FROM {schema}.scores", incremental_column="updated_at",
                    refresh_interval_minutes=0.01)  # 0.6 s
    sched = Scheduler(store, max_sleep=0.2).start()
    try:
        deadline = time.time() + 30
        while time.time() < deadline and sum(1 for h in sched.history if h[2] == "ok") < 2:
            time.sleep(0.1)
    finally:
        sched.stop()
    oks = [h for h in sched.history if h[1] == "sched" and h[2] == "ok"]
    assert len(oks) >= 2, sched.history
    st = sync.status(store, ["sched"]).iloc[0]
    assert st["rows"] == 200 and st["sync_type"] == "incremental"
