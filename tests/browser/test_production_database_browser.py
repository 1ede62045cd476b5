"""The production overview and the database browser in a real JupyterLab in headless
Chromium, each on a store embedded in the kernel (the views call through anywidget
messages).

* Production: KPI cards and the quality summary against the payload computed in this
  process on the same data; copy as code; a source row shows its agents.yaml label; a KPI
  card opens its trend chart; a source row folds its
  components and metrics; a metric opens its detail panel (mean as computed here).
* Database: the connect form (every input labelled) opens a real PostgreSQL (the
  session's), lists its tables, previews a read-only query (a refused statement clears the
  previous result) and shows a table's columns; the import wizard maps, skips and filters
  columns with a row limit; a refused connection shows the driver's error and the password
  is not kept in the page.
"""

from __future__ import annotations

import warnings
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

N_RECORDS = 3_000
DAYS = 14
START = "2026-01-01T00:00:00"
KPI_DAYS = 30


def frames():
    from axis_jupyter import demo_incidents

    mon = demo_incidents.monitoring_incidents(N_RECORDS, days=DAYS, seed=5, start=START).to_pandas()
    kpi = demo_incidents.kpi_records(KPI_DAYS, rows_per_day=5, seed=6, start=START).to_pandas()
    return mon, kpi


@pytest.fixture(scope="module")
def kpi_config(tmp_path_factory):
    from axis_jupyter import demo_incidents

    d = tmp_path_factory.mktemp("axis-config")
    (d / "kpi.yaml").write_text(yaml.safe_dump({"kpi": demo_incidents.KPI_CONFIG}, sort_keys=False))
    (d / "agents.yaml").write_text("- {name: Atlas, label: Atlas Support, role: Support agent}\n")
    return d


@pytest.fixture(scope="module")
def expected(kpi_config):
    """The production payload and one metric's detail, computed in this process."""
    import os

    import axis_jupyter
    from axis_jupyter.notebook.widgets import call_action

    mon, kpi = frames()
    before = os.environ.get("AXIS_CONFIG_DIR")
    os.environ["AXIS_CONFIG_DIR"] = str(kpi_config)
    try:
        s = axis_jupyter.connect(":memory:")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s.load(mon, name="mon", kind="monitoring")
            s.load(kpi, name="kpi", kind="kpi")
        payload = call_action(s, "mon", "production", "payload", {"kpi": "kpi"})
        fields = {f["key"]: f["values"] for f in
                  call_action(s, "mon", "production", "filter_options", {"kpi": "kpi"})["fields"]}
        segment = fields["segment"][0]
        by_segment = call_action(s, "mon", "production", "payload", {"kpi": "kpi", "filters": {"segment": [segment]}})
        # "Copy as code" of the segment view, and what running it gives (the cards' values)
        code = call_action(s, "mon", "production", "code", {"kpi": "kpi", "filters": {"segment": [segment]},
                                                              "analytic": "production"})["code"]
        ns = {"axis": s}
        exec(code.replace("\nkpis.kpi_panels(", "\nran = kpis.kpi_panels("), ns)
        ran = ns["ran"].set_index("kpi_name")["card_value"].to_dict()
        metric = next(r for r in payload["quality"]["hierarchy"] if r["level"] == "metric"
                      and r.get("category") in (None, "SCORE"))
        detail = call_action(s, "mon", "production", "metric_detail",
                             {"source_name": metric["source_name"], "source_component": metric["source_component"],
                              "metric_name": metric["metric_name"]})
        s.close()
    finally:
        if before is None:
            os.environ.pop("AXIS_CONFIG_DIR", None)
        else:
            os.environ["AXIS_CONFIG_DIR"] = before
    return {"payload": payload, "metric": metric, "detail": detail, "segment": segment, "by_segment": by_segment,
            "code": code, "ran": ran}


def value_of(view, testid) -> float:
    return float(view.locator(f"[data-testid={testid}]").first.get_attribute("data-value"))


def test_production_overview_in_jupyterlab(page, lab, expected, kpi_config, tmp_path):
    lab.write_notebook("production.ipynb", [
        "import os, warnings, axis_jupyter\nfrom axis_jupyter import demo_incidents\n"
        f"os.environ['AXIS_CONFIG_DIR'] = {str(kpi_config)!r}\n"
        f"store = axis_jupyter.LocalStore({str(tmp_path / 'prod.duckdb')!r})\nprint(type(store).__name__)",
        "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
        f"    store.load(demo_incidents.monitoring_incidents({N_RECORDS}, days={DAYS}, seed=5, start={START!r}).to_pandas(),"
        " name='mon', kind='monitoring')\n"
        f"    store.load(demo_incidents.kpi_records({KPI_DAYS}, rows_per_day=5, seed=6, start={START!r}).to_pandas(),"
        " name='kpi', kind='kpi')",
        "from axis_jupyter import Production\nw = Production('mon', store=store, kpi='kpi')\nw",
    ])
    open_notebook(page, lab, "production.ipynb")
    assert "LocalStore" in run_cell(page, 0)
    run_cell(page, 1)
    run_cell(page, 2)
    view = page.locator("[data-testid=axis-production]")
    view.locator("[data-testid=exec-avg]").wait_for(timeout=60_000)
    p = expected["payload"]
    summary = p["quality"]["summary"]
    assert value_of(view, "exec-avg") == pytest.approx(summary["avg_score"])
    assert value_of(view, "exec-pass") == pytest.approx(summary["pass_rate"])
    assert value_of(view, "exec-metrics") == summary["total_metrics"]
    first_kpi = p["kpi"]["categories"][0]["kpis"][0]
    card = view.locator(f"[data-testid=kpi-{first_kpi['kpi_name']}]")
    assert float(card.get_attribute("data-value")) == pytest.approx(first_kpi["card_value"])

    # the shared filter bar: one segment (a KPI column) changes every KPI card to the
    # numbers computed here; its chip's removal brings the unfiltered cards back
    cards = lambda q: {x["kpi_name"]: x["card_value"] for c in q["kpi"]["categories"] for x in c["kpis"]}  # noqa: E731
    assert cards(expected["by_segment"]) != cards(p)  # the filter changes the numbers
    seg = view.locator("[data-testid=filterbar] [data-testid=filter-segment]")
    seg.locator("summary").click()
    seg.locator(f"input[data-value='{expected['segment']}']").check()
    view.locator(".axis-title").first.click()  # closes the menu
    for cat in expected["by_segment"]["kpi"]["categories"]:
        for x in cat["kpis"]:
            page.wait_for_function(
                """([id, v]) => { const el = document.querySelector(`[data-testid=axis-production] [data-testid=kpi-${id}]`);
                                  return el && Math.abs(Number(el.dataset.value) - v) < 1e-9; }""",
                arg=[x["kpi_name"], x["card_value"]], timeout=60_000)
    # "Copy as code": the calls behind the cards on screen; run here, they give those values
    view.locator("[data-testid=filterbar] [data-testid=copy-code]").click()
    code = view.locator("[data-testid=filterbar] [data-testid=filter-code]")
    code.wait_for(state="visible", timeout=30_000)
    assert code.inner_text() == expected["code"]
    assert f"segment={expected['segment']!r}" in expected["code"]
    shown = {x: float(view.locator(f"[data-testid=kpi-{x}]").get_attribute("data-value")) for x in expected["ran"]}
    assert shown == pytest.approx(expected["ran"])
    view.locator(f"[data-testid=filterbar] [data-testid=chip][data-value='{expected['segment']}']").click()
    page.wait_for_function(
        """([id, v]) => { const el = document.querySelector(`[data-testid=axis-production] [data-testid=kpi-${id}]`);
                          return el && Math.abs(Number(el.dataset.value) - v) < 1e-9; }""",
        arg=[first_kpi["kpi_name"], first_kpi["card_value"]], timeout=60_000)

    # a KPI card opens its daily trend; its ✕ closes it
    card.click()
    view.locator("[data-testid=kpi-trend] canvas").wait_for(timeout=60_000)
    assert "selected" in card.get_attribute("class")
    view.locator("[data-testid=kpi-trend-close]").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=axis-production] [data-testid=kpi-trend] canvas')",
                           timeout=30_000)

    # a source row shows its agent (agents.yaml: label and initials); others their name
    atlas = view.locator("[data-testid=scorecard] tr[data-level=source] [data-testid=agent][data-source=Atlas]")
    assert atlas.locator(".axis-agent-label").inner_text() == "Atlas Support"
    assert atlas.locator(".axis-avatar-initials").inner_text() == "AS"
    assert p["quality"]["agents"] == {"Atlas": {"label": "Atlas Support", "role": "Support agent",
                                                "avatar": None, "description": ""}}

    # a source row folds its components and metrics
    rows = view.locator("[data-testid=scorecard] tbody tr")
    all_rows = len(p["quality"]["hierarchy"])
    assert rows.count() == all_rows
    source = p["quality"]["hierarchy"][0]
    inside = sum(1 for r in p["quality"]["hierarchy"] if r["key"] != source["key"]
                 and r["key"].startswith(source["key"] + "/"))
    view.locator(f"[data-testid=scorecard] tr[data-key='{source['key']}']").click()
    page.wait_for_function("(n) => document.querySelectorAll('[data-testid=axis-production] [data-testid=scorecard] tbody tr').length === n",
                           arg=all_rows - inside, timeout=30_000)
    view.locator("[data-testid=expand-all]").click()
    page.wait_for_function("(n) => document.querySelectorAll('[data-testid=axis-production] [data-testid=scorecard] tbody tr').length === n",
                           arg=all_rows, timeout=30_000)

    # a metric's detail: its statistics as computed here
    metric = expected["metric"]
    view.locator(f"[data-testid=scorecard] tr[data-key='{metric['key']}'] [data-testid=open-metric]").click()
    panel = view.locator("[data-testid=metric-detail]")
    panel.locator("[data-testid=md-mean]").wait_for(timeout=60_000)
    # beside the clicked row, in the window (it once opened at the top of the widget)
    button = view.locator(f"[data-testid=scorecard] tr[data-key='{metric['key']}'] [data-testid=open-metric]")
    box, at, vp = panel.locator("[data-testid=metric-panel]").bounding_box(), button.bounding_box(), page.viewport_size
    assert 0 <= box["y"] < vp["height"] - 40 and abs(box["y"] - at["y"]) < max(60, box["height"]), (box, at)
    assert value_of(panel, "md-mean") == pytest.approx(expected["detail"]["stats"]["mean"])
    panel.locator(".axis-chart canvas").wait_for(timeout=60_000)
    panel.locator("[data-testid=metric-close]").click()
    assert panel.is_hidden()


@pytest.fixture(scope="module")
def pg_table(pg_uri):
    """A schema with one small table in the session's PostgreSQL."""
    import psycopg

    with psycopg.connect(pg_uri, autocommit=True) as con:
        con.execute("DROP SCHEMA IF EXISTS dbview CASCADE")
        con.execute("CREATE SCHEMA dbview")
        con.execute("CREATE TABLE dbview.runs (id int PRIMARY KEY, model text, score double precision)")
        con.execute("INSERT INTO dbview.runs SELECT i, 'm' || (i % 3), i / 10.0 FROM generate_series(1, 25) AS i")
    u = urlparse(pg_uri)
    q = parse_qs(u.query)
    return {"host": q.get("host", [u.hostname or "localhost"])[0], "port": str(u.port or 5432),
            "database": (u.path or "/postgres").lstrip("/") or "postgres", "username": u.username or "postgres",
            "password": u.password or ""}


def test_database_browser_in_jupyterlab(page, lab, pg_table, tmp_path):
    lab.write_notebook("database.ipynb", [
        "import axis_jupyter\n"
        f"store = axis_jupyter.LocalStore({str(tmp_path / 'db.duckdb')!r})\nprint(type(store).__name__)",
        "from axis_jupyter import DatabaseView\nw = DatabaseView(store)\nw",
        "cols = [c['name'] for c in store.info('runs_wiz')['columns']]\n"
        "print(store.info('runs_wiz')['records'], sorted({'id', 'score', 'dataset_id', 'model'} & set(cols)))",
    ])
    open_notebook(page, lab, "database.ipynb")
    assert "LocalStore" in run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-database]")
    view.locator("[data-testid=sources]").get_by_text("No sources yet").wait_for(timeout=60_000)
    form = view.locator("[data-testid=connect]")
    # every input has its label
    assert view.get_by_label("Host").get_attribute("name") == "host"
    assert view.get_by_label("Password").get_attribute("type") == "password"
    assert form.locator("input").count() == form.locator("label input").count() == 6

    # a refused connection: the driver's message, and the password is gone from the page
    form.locator("input[name=host]").fill("127.0.0.1")
    form.locator("input[name=port]").fill("1")
    form.locator("input[name=database]").fill("nowhere")
    form.locator("input[name=password]").fill("Sekr3t-typed")
    form.locator("button[type=submit]").click()
    error = view.locator("[data-testid=error]")
    error.wait_for(state="visible", timeout=60_000)
    assert error.inner_text().startswith("AXIS: ")
    assert form.locator("input[name=password]").input_value() == ""
    assert "Sekr3t-typed" not in view.inner_html()

    # the session's PostgreSQL: tables, a read-only preview, a table's columns
    for name in ("host", "port", "database", "username", "password"):
        form.locator(f"input[name={name}]").fill(pg_table[name])
    form.locator("button[type=submit]").click()
    tables = view.locator("[data-testid=tables]")
    tables.get_by_text("dbview.runs").wait_for(timeout=60_000)
    assert error.is_hidden()
    view.locator("[data-testid=query]").fill("SELECT model, count(*) AS n FROM dbview.runs GROUP BY model ORDER BY model")
    view.locator("[data-testid=run-query]").click()
    preview = view.locator("[data-testid=query-result] [data-testid=preview]")
    preview.wait_for(timeout=60_000)
    assert preview.locator("tbody tr").all_inner_texts() == ["m0\t8", "m1\t9", "m2\t8"]
    # a refused statement replaces the previous result with its error
    view.locator("[data-testid=query]").fill("DELETE FROM dbview.runs")
    view.locator("[data-testid=run-query]").click()
    view.locator("[data-testid=query-result] [data-testid=query-error]").wait_for(timeout=60_000)
    assert preview.count() == 0
    assert "only SELECT" in view.locator("[data-testid=query-error]").inner_text()
    tables.get_by_text("dbview.runs").click()
    columns = view.locator("[data-testid=table-detail] [data-testid=columns]")
    columns.wait_for(timeout=60_000)
    assert [t.split("\t")[0] for t in columns.locator("tbody tr").all_inner_texts()] == ["id", "model", "score"]
    assert view.locator("[data-testid=table-detail] [data-testid=sample] tbody tr").count() > 0

    # the import wizard: id -> dataset_id, score -> metric_score, model kept only for m0 and m1,
    # 100 rows at most; the preview shows what will be imported
    view.locator("[data-testid=map-id]").select_option("dataset_id")
    view.locator("[data-testid=map-score]").select_option("metric_score")
    view.locator("[data-testid=filter-add]").click()
    view.locator("[data-testid=filter-column-0]").select_option("model")
    view.locator("[data-testid=filter-values-0] option", has_text="m2").wait_for(timeout=60_000)
    view.locator("[data-testid=filter-values-0]").select_option(index=[0, 1])
    view.locator("[data-testid=row-limit]").select_option("100")
    view.locator("[data-testid=import-name]").fill("runs_wiz")
    view.locator("[data-testid=wizard-preview]").click()
    rows = view.locator("[data-testid=wizard-preview-table] tbody tr")
    rows.first.wait_for(timeout=60_000)
    assert rows.count() == 10 and all(t.split("\t")[1] in ("m0", "m1") for t in rows.all_inner_texts())
    view.locator("[data-testid=wizard-import]").click()
    done = view.locator("[data-testid=imported]")
    done.wait_for(timeout=60_000)
    assert done.get_attribute("data-rows") == "17" and done.get_attribute("data-dataset") == "runs_wiz"
    out = run_cell(page, 2)
    assert "17 ['dataset_id', 'model']" in out  # id and score became dataset_id and metric_score
