"""What attach refuses, what it keeps, and that it keeps no secret (issue 17). PostgreSQL
only (fast); Spark's URLs are checked without starting Spark."""

from __future__ import annotations

import json

import pytest

from axis_jupyter.errors import IngestError, ParameterError


def _names(store) -> set[str]:
    return set(store.datasets()["name"])


@pytest.mark.parametrize("backend,says", [
    ("postgresql://axis:hunter2@db:5432/prod", "contains a password"),
    ("duckdb:///srv/data/other.duckdb", "is not one attach may use"),
    ("sqlite:///etc/hosts.db", "is not one attach may use"),
    ("postgresql://axis@db/prod?sslkey=/root/.ssh/id_rsa", "must not set sslkey"),
    ("postgresql://axis@${DB_HOST}/prod", "must not refer to environment variables"),
    ("pyspark://?spark.jars=/tmp/evil.jar", "may set only"),
    ("pyspark://cluster:7077/", "takes settings only"),
    ("postgresql://axis@db:99999/prod", "port"),
    ("postgresql://axis@[::1/prod", "is not a valid URL"),  # urlsplit's ValueError: no 500
    ("not a url", "must be a URL"),  # nor a source's name
])
def test_refused_backends_name_the_parameter(xstore, backend, says):
    with pytest.raises(ParameterError) as e:
        xstore.attach("refused", backend, table="t")
    assert e.value.param == "backend"
    assert says in str(e.value)
    assert "hunter2" not in str(e.value)
    assert "refused" not in _names(xstore)


def test_password_env_must_be_an_allowed_variable(xstore):
    with pytest.raises(ParameterError) as e:
        xstore.attach("refused", "postgresql://axis@db/prod", table="t", password_env="JUPYTER_TOKEN")
    assert e.value.param == "password_env"


def test_table_is_required_and_must_exist(xstore, pg_tables):
    with pytest.raises(ParameterError) as e:
        xstore.attach("nothing", pg_tables, table="")
    assert e.value.param == "table"
    with pytest.raises(IngestError, match="no such table"):
        xstore.attach("nothing", pg_tables, table="no_such_table")
    assert "nothing" not in _names(xstore)


def test_password_comes_from_the_environment_and_is_never_stored(xstore, pg_tables, monkeypatch):
    """The password is read from password_env when connecting; the store keeps the
    variable's name, never its value (not in the metadata, not in the DuckDB file)."""
    secret = "s3cret-attach-value-7f1c"
    monkeypatch.setenv("AXIS_SOURCE_SCALEOUT_PASSWORD", secret)
    ds = xstore.attach("ev_pw", pg_tables, table="raw_evals", kind="evals",
                       password_env="AXIS_SOURCE_SCALEOUT_PASSWORD")
    assert len(ds.summary()) == 10
    info = xstore.info("ev_pw")
    assert info["attached"]["password_env"] == "AXIS_SOURCE_SCALEOUT_PASSWORD"
    assert secret not in json.dumps(info, default=str)
    xstore.write(lambda cur: cur.execute("CHECKPOINT"))
    assert secret.encode() not in open(xstore.location, "rb").read()


def test_mapping_and_aliases_as_projections(xstore, pg_tables):
    """Column aliases and a mapping apply as for a load, as projections on the engine: a
    table whose score column is called ``value`` and id ``case`` attaches as evals."""
    from support.pg import ibis_connect

    pg = ibis_connect(pg_tables)
    with pg.con.cursor() as c:
        c.execute("DROP TABLE IF EXISTS renamed_evals")
        c.execute('CREATE TABLE renamed_evals AS SELECT dataset_id AS "case", evaluation_name, '
                  'metric_name, metric_score AS value FROM raw_evals')
    pg.con.commit()
    pg.disconnect()
    ds = xstore.attach("ev_mapped", pg_tables, table="renamed_evals", kind="evals",
                       mapping={"case": "dataset_id", "value": "metric_score"})
    got = ds.summary().sort_values("metric_name").reset_index(drop=True)
    exp = xstore.dataset("ev_duck").summary().sort_values("metric_name").reset_index(drop=True)
    assert got["mean"].round(9).tolist() == exp["mean"].round(9).tolist()
    assert xstore.info("ev_mapped")["records"] == 40


def test_reconnects_after_the_store_is_reopened(tmp_path, raw_frames, pg_tables):
    """The stored description (URL, no secret) is enough: a new process — here a new store
    on the same file — reconnects on first read."""
    from axis_jupyter.workbench import open_local

    path = tmp_path / "re.duckdb"
    first = open_local(path)
    first.attach("ev", pg_tables, table="raw_evals", kind="evals")
    before = first.dataset("ev").summary()
    first.close()
    again = open_local(path)
    try:
        assert again.info("ev")["attached"]["engine"] == "postgres"
        after = again.dataset("ev").summary()
        assert after["mean"].round(9).tolist() == before["mean"].round(9).tolist()
        again.drop("ev")
        assert "ev" not in _names(again)
    finally:
        again.close()


def test_unreachable_engine_is_a_parameter_error(xstore):
    with pytest.raises(ParameterError) as e:
        xstore.attach("gone", "postgresql://axis@127.0.0.1:1/prod", table="t")
    assert e.value.param == "backend" and "cannot connect" in str(e.value)


def test_attach_by_a_configured_source_name(xstore, pg_tables, tmp_path, monkeypatch):
    """A sync source's name connects as its sync does (its URL, its password rules)."""
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path / "config"))
    xstore.add_source("warehouse", "evals", pg_tables, dataset_query="SELECT * FROM raw_evals")
    ds = xstore.attach("ev_src", "warehouse", table="raw_evals", kind="evals")
    assert xstore.info("ev_src")["attached"]["source"] == "warehouse"
    assert xstore.info("ev_src")["records"] == 40 and len(ds.summary()) == 10
