"""The data manager (staged uploads, preview, commit, delete), the shared filter bar's
actions (filter options, copy as code) and branding (theme.yaml, agents.yaml), without
Jupyter: the payload actions through ``call_action`` as both transports run them."""

from __future__ import annotations

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter import branding, demo
from axis_jupyter.errors import ConfigError, IngestError, NotFoundError, ParameterError
from axis_jupyter.ingest import staging
from axis_jupyter.payloads import call_action


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    return tmp_path


@pytest.fixture
def store(home):
    s = axis_jupyter.connect(str(home / "store.duckdb"))
    yield s
    s.close()


def renamed_csv(path, n=30):
    """Demo results whose score and experiment columns have names no alias table knows."""
    df = demo.eval_results(n, seed=5).to_pandas()
    # without its score column, metric_name + dataset_id + signals would read as human signals
    df = df.drop(columns=["signals"]).rename(columns={"metric_score": "my_score", "evaluation_name": "exp"})
    df["region"] = ["eu", "us"] * (len(df) // 2) + ["eu"] * (len(df) % 2)
    df.to_csv(path, index=False)
    return df


# ----------------------------------------------------------------------------- staging
def test_preview_shows_roles_and_the_mapping_changes_them_before_anything_loads(store, home):
    df = renamed_csv(home / "results.csv")
    up = call_action(store, None, "datasets", "stage",
                     {"filename": "results.csv",
                      "data": __import__("base64").b64encode((home / "results.csv").read_bytes()).decode()})
    p = call_action(store, None, "datasets", "preview", {"upload": up["upload"]})
    roles = {c["name"]: c["role"] for c in p["columns"]}
    # as detected: my_score is taken for a wide metric column, exp for a plain column
    assert (p["kind"], p["layout"]) == ("evals", "wide")
    assert roles["my_score"] == "metric (wide)" and roles["exp"] == "column"
    assert roles["dataset_id"] == "record id" and roles["query"] == "input"
    assert len(p["rows"]) == 20 and p["rows"][0][0] == df.iloc[0]["dataset_id"]
    # the user maps them: the long tree format with an experiment column
    mapping = {"my_score": "metric_score", "exp": "evaluation_name"}
    p = call_action(store, None, "datasets", "preview", {"upload": up["upload"], "mapping": mapping})
    assert (p["kind"], p["layout"]) == ("evals", "tree_format")
    cols = {c["name"]: c for c in p["columns"]}
    assert cols["my_score"]["canonical"] == "metric_score" and cols["my_score"]["role"] == "score"
    assert cols["exp"]["role"] == "experiment" and cols["exp"]["mapped"]
    assert store.datasets().empty  # a preview loads nothing
    out = call_action(store, None, "datasets", "commit",
                      {"upload": up["upload"], "name": "res", "mapping": mapping})
    assert out == {"dataset": "res", "rows": len(df), "kind": "evals", "layout": "tree_format",
                   "warnings": []}
    assert sorted(store.dataset("res").summary()["metric_name"]) == sorted(df.metric_name.unique())
    with pytest.raises(NotFoundError):  # committed: the staged file is gone
        staging.staged(up["upload"])


def test_a_failed_commit_keeps_the_staged_file(store, home):
    renamed_csv(home / "r.csv")
    up = staging.stage(home / "r.csv")
    with pytest.raises(IngestError):
        call_action(store, None, "datasets", "commit",
                    {"upload": up["upload"], "name": "r", "kind": "kpi"})  # no kpi columns
    assert store.datasets().empty
    assert staging.staged(up["upload"])["bytes"] == (home / "r.csv").stat().st_size
    p = call_action(store, None, "datasets", "preview", {"upload": up["upload"], "kind": "kpi"})
    assert p["kind"] is None and "kpi" in p["error"]
    call_action(store, None, "datasets", "commit", {"upload": up["upload"], "name": "r"})
    assert store.info("r")["kind"] == "evals"


def test_discard_and_bad_ids(store, home):
    renamed_csv(home / "r.csv")
    up = staging.stage(home / "r.csv")
    assert call_action(store, None, "datasets", "discard", {"upload": up["upload"]})["discarded"]
    with pytest.raises(NotFoundError):
        call_action(store, None, "datasets", "preview", {"upload": up["upload"]})
    with pytest.raises(ParameterError) as exc:
        call_action(store, None, "datasets", "preview", {"upload": "../../etc"})
    assert exc.value.param == "upload"
    with pytest.raises(ParameterError) as exc:
        call_action(store, None, "datasets", "stage", {"filename": "a.csv", "data": "not base64!"})
    assert exc.value.param == "data"


# ----------------------------------------------------------------------------- the list
def test_payload_lists_every_dataset_with_size_time_range_and_views(store):
    store.load(demo.eval_results(40, seed=1), name="ev", kind="evals")
    store.load(demo.monitoring_records(300, seed=2), name="mon", kind="monitoring")
    p = call_action(store, None, "datasets", "payload", {})
    rows = {r["name"]: r for r in p["datasets"]}
    assert set(rows) == {"ev", "mon"}
    assert rows["ev"]["views"] == ["annotate", "calibrate", "compare", "deepdive", "report", "scorecard"]
    assert "monitor" in rows["mon"]["views"] and "production" in rows["mon"]["views"]
    assert rows["ev"]["time_range"] is None and rows["mon"]["time_range"][0] < rows["mon"]["time_range"][1]
    assert rows["ev"]["rows"] == store.info("ev")["rows"] and rows["ev"]["records"] == 40
    # the size is what the tables take on disk: a bigger dataset takes more
    assert 0 < rows["ev"]["size_bytes"] < rows["mon"]["size_bytes"]
    assert p["uploads"] == "kernel"
    assert call_action(store, None, "datasets", "delete", {"name": "ev"}) == {"deleted": "ev"}
    assert list(store.datasets()["name"]) == ["mon"]
    with pytest.raises(NotFoundError):
        call_action(store, None, "datasets", "delete", {"name": "ev"})


def test_store_html_repr_is_a_plain_table(store):
    store.load(demo.eval_results(10, seed=1), name="ev", kind="evals")
    html = store._repr_html_()
    assert "<table>" in html and "<td>ev</td>" in html and "1 dataset(s)" in html


# ----------------------------------------------------------------------------- filters and code
def test_filter_options_offer_metadata_columns_with_few_values(store, home):
    renamed_csv(home / "r.csv")
    store.load(home / "r.csv", name="r", mapping={"my_score": "metric_score", "exp": "evaluation_name"})
    o = call_action(store, "r", "scorecard", "filter_options", {})
    fields = {f["key"]: f["values"] for f in o["fields"]}
    assert fields["evaluation_name"] == sorted(demo.EXPERIMENTS)
    assert fields["region"] == ["eu", "us"]
    assert "dataset_id" not in fields and "query" not in fields  # many values / free text
    # the monitor offers only its own filter columns
    store.load(demo.monitoring_records(200, seed=2), name="mon", kind="monitoring")
    keys = {f["key"] for f in call_action(store, "mon", "monitor", "filter_options", {})["fields"]}
    assert keys and keys <= {"environment", "source_name", "source_component", "source_type", "model_name",
                             "metric_name"}


@pytest.mark.parametrize("filters", [{}, {"evaluation_name": ["baseline"]},
                                     {"evaluation_name": ["baseline", "challenger"], "region": "eu"}])
def test_copy_as_code_reproduces_the_scorecard_numbers(store, home, filters):
    renamed_csv(home / "r.csv", n=50)
    store.load(home / "r.csv", name="r", mapping={"my_score": "metric_score", "exp": "evaluation_name"})
    shown = call_action(store, "r", "scorecard", "payload", {"filters": filters})
    code = call_action(store, "r", "scorecard", "code",
                       {"analytic": "summary", "args": {"threshold": shown["threshold"]}, "filters": filters})["code"]
    ns = {"axis": store}
    exec(code.replace("\nds.", "\nresult = ds."), ns)
    got = ns["result"].set_index("metric_name")["mean"]
    for row in shown["rows"]:
        assert got[row["name"]] == pytest.approx(row["mean"], abs=1e-12)


def test_code_renders_odd_keys_and_refuses_unknown_analytics(store):
    store.load(demo.eval_results(10, seed=1), name="ev", kind="evals")
    from axis_jupyter.payloads.filterbar import call_code

    assert call_code("ev", "summary", {"odd key": ["a"], "time_range": ["2026-01-01", None]}, {"threshold": 0.5}) == (
        "ds = axis.dataset('ev')\nds.summary(threshold=0.5, time_range=['2026-01-01', None], **{'odd key': 'a'})")
    with pytest.raises(Exception, match="unknown analytic"):
        call_action(store, "ev", "scorecard", "code", {"analytic": "nope"})
    with pytest.raises(ParameterError):
        call_action(store, "ev", "scorecard", "code", {"analytic": "x; import os"})


# ----------------------------------------------------------------------------- branding
def test_theme_yaml_palette_env_override_and_errors_naming_the_key(home, monkeypatch):
    cfg = home / "config"
    assert branding.theme()["key"] == "default"
    (cfg / "theme.yaml").write_text("active: forest\npalettes:\n  forest: {name: Forest, primary: '#3d5a3a'}\n")
    t = branding.theme()
    assert (t["key"], t["name"], t["primary"]) == ("forest", "Forest", "#3d5a3a")
    monkeypatch.setenv("AXIS_THEME_PRIMARY", "#112233")
    assert branding.theme()["primary"] == "#112233"
    for text, named in [("palettes:\n  a: {primary: red}\n", "palettes.a.primary"),
                        ("palettes:\n  a: {primry: '#fff'}\n", "palettes.a.primry"),
                        ("colours: {}\n", "'colours'"),
                        ("active: b\npalettes:\n  a: {primary: '#fff'}\n", "'b'")]:
        (cfg / "theme.yaml").write_text(text)
        with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
            branding.theme()
    assert branding.load()["error"] and branding.load()["theme"]["key"] == "default"


def test_agents_yaml_registry(home):
    cfg = home / "config"
    (cfg / "assets" / "agents").mkdir(parents=True)
    (cfg / "assets" / "agents" / "atlas.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (cfg / "agents.yaml").write_text(
        "- {name: atlas, label: Atlas, role: Support agent, avatar: atlas.png, description: Billing}\n"
        "- {name: orion}\n")
    a = branding.agents()
    assert a[0]["label"] == "Atlas" and a[0]["role"] == "Support agent"
    assert a[0]["avatar"].startswith("data:image/png;base64,")
    assert a[1] == {"name": "orion", "label": "orion", "role": "", "avatar": None, "description": "",
                    "active": True}
    for text, named in [("- {name: a, colour: red}\n", r"agents\[0\]\.colour"),
                        ("- {label: x}\n", r"agents\[0\]\.name"),
                        ("- {name: a, avatar: ../../x.png}\n", r"agents\[0\]\.avatar"),
                        ("- {name: a}\n- {name: a}\n", "twice")]:
        (cfg / "agents.yaml").write_text(text)
        with pytest.raises(ConfigError, match=named):
            branding.agents()


def test_vega_lite_bundled_matches_the_altair_specs():
    """The specs' $schema version (Altair's) is one the bundled Vega-Lite satisfies (same
    major, bundled minor >= the spec's): vega-embed then logs no version warning."""
    import json
    from pathlib import Path

    import altair

    lock = json.loads((Path(__file__).resolve().parents[2] / "widgets" / "package-lock.json").read_text())
    bundled = [int(x) for x in lock["packages"]["node_modules/vega-lite"]["version"].split(".")[:2]]
    spec = [int(x) for x in altair.SCHEMA_VERSION.lstrip("v").split(".")[:2]]
    assert bundled[0] == spec[0] and bundled[1] >= spec[1], (bundled, spec)
    assert pd.__name__  # pandas imported for the fixtures above
