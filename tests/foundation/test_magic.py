"""%axis driven through a real IPython shell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_load_datasets_sql(ip, capsys):
    ip.run_line_magic("axis", f"load {SHARED / 'annotation_sample.csv'} --name ann")
    out = capsys.readouterr().out
    assert "Loaded 10 rows (10 records) as 'ann' [annotations, simple_judgment]" in out
    ds = ip.run_line_magic("axis", "datasets")
    assert isinstance(ds, pd.DataFrame) and ds.name.tolist() == ["ann"]
    df = ip.run_line_magic("axis", "sql SELECT count(*) AS n FROM ann WHERE judgment = 'accept'")
    assert df.n[0] == 2
    df2 = ip.run_cell_magic("axis", "sql --limit 2", "SELECT dataset_id\nFROM ann\nORDER BY 1")
    assert df2.dataset_id.tolist() == ["ann_001", "ann_002"]


def test_load_frame_variable_with_kind_and_mapping(ip, capsys):
    ip.user_ns["frame"] = pd.DataFrame({"case": ["a", "b"], "m": ["acc", "acc"], "grade": [0.2, 0.8]})
    ip.run_line_magic("axis", """load frame --name graded --kind evals --mapping '{"case": "dataset_id", "m": "metric_name", "grade": "metric_score"}'""")
    assert "as 'graded' [evals, flat_format]" in capsys.readouterr().out


def test_errors_print_one_line(ip, capsys):
    assert ip.run_line_magic("axis", "load /no/such.csv") is None
    assert ip.run_line_magic("axis", "sql DROP TABLE x") is None
    ip.run_line_magic("axis", "bogus")
    ip.run_line_magic("axis", "load x.csv --mapping notjson")
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("AXIS error: /no/such.csv: no such file")
    assert err[1] == "AXIS error: only SELECT queries are allowed here (got DROP)."
    assert err[2] == "AXIS error: unknown command 'bogus'. Try %axis help."
    assert err[3].startswith("AXIS error: --mapping must be JSON")
    assert not any("Traceback" in line for line in err)


def test_status_and_help(ip, capsys):
    ip.run_line_magic("axis", f"load {SHARED / 'eval_runner_sample.csv'} --name runner")
    ip.run_line_magic("axis", "status")
    out = capsys.readouterr().out
    assert "(embedded in this process)" in out and "1 dataset(s)" in out
    ip.run_line_magic("axis", "help")
    out = capsys.readouterr().out
    for cmd in ("load", "datasets", "status", "sql", "show", "help"):
        assert f"%axis {cmd}" in out


def test_config_is_traitlets(ip):
    ip.run_line_magic("config", "AxisMagic.short_errors = False")
    from axis_jupyter import IngestError

    try:
        with pytest.raises(IngestError):
            ip.run_line_magic("axis", "load /no/such.csv")
    finally:
        ip.run_line_magic("config", "AxisMagic.short_errors = True")
