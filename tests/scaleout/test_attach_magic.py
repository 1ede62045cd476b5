"""``%axis attach`` through a real IPython shell (issue 17)."""

from __future__ import annotations


def test_attach_by_url_then_query_it(ip, capsys, pg_tables):
    ip.run_line_magic("axis", f"attach prod {pg_tables} --table raw_evals --kind evals")
    out = capsys.readouterr().out
    assert "Attached postgres table raw_evals" in out
    assert "as 'prod' [evals, tree_format]: 1,200 rows, 40 records" in out
    ds = ip.run_line_magic("axis", "datasets")
    assert ds.set_index("name").loc["prod", "rows"] == 1200


def test_attach_a_spark_session_variable(ip, capsys, spark_tables):
    ip.user_ns["spark"] = spark_tables
    ip.run_line_magic("axis", "attach lake spark --table raw_monitoring --kind monitoring")
    out = capsys.readouterr().out
    assert "Attached pyspark table raw_monitoring (local[2])" in out
    assert "[monitoring, long]" in out


def test_attach_errors_print_one_line(ip, capsys):
    ip.run_line_magic("axis", "attach prod postgresql://axis:hunter2@db/prod --table t")
    ip.run_line_magic("axis", "attach prod postgresql://axis@db/prod")
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("AXIS error: backend contains a password")
    assert "hunter2" not in err[0]
    assert "--table" in err[1]
