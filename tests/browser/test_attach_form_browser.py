"""The data manager's attach form in a real JupyterLab (issue 17): a PostgreSQL table becomes
a dataset of the server's store through ``POST axis/api/attach``; refusals name the field at
fault and never show a password back; the attached dataset's scorecard, opened from its row
and answered by PostgreSQL over HTTP, shows the numbers of the same rows loaded into DuckDB.
"""

from __future__ import annotations

import pytest

from axis_jupyter import demo
from browser.labserver import open_notebook, run_cell
from browser.test_scorecard_browser import check_kpis, check_rows

pytestmark = pytest.mark.browser

N_CASES = 50
SEED = 8
SECRET = "hunter2-do-not-show"


@pytest.fixture(scope="module")
def pg_table(pg_uri):
    """Table ``form_evals`` in PostgreSQL: the demo evaluations with the score column named
    ``score`` (the form's mapping renames it)."""
    from support.pg import ibis_connect

    df = demo.eval_results(N_CASES, seed=SEED).to_pandas().rename(columns={"metric_score": "score"})
    for c in df.columns:  # an all-null text column needs a type in PostgreSQL
        if df[c].isna().all() and df[c].dtype == object:
            df[c] = df[c].astype("string")
    pg = ibis_connect(pg_uri)
    with pg.con.cursor() as cur:
        cur.execute('DROP TABLE IF EXISTS "form_evals"')
    pg.con.commit()
    pg.create_table("form_evals", df)
    pg.disconnect()
    return pg_uri


@pytest.fixture(scope="module")
def expected():
    import axis_jupyter
    from axis_jupyter.notebook.widgets import call_action

    s = axis_jupyter.connect(":memory:")
    s.load(demo.eval_results(N_CASES, seed=SEED), name="ev_duck", kind="evals")
    out = call_action(s, "ev_duck", "scorecard", "payload", {})
    s.close()
    return out


def fill(form, **values):
    for key, value in values.items():
        el = form.locator(f"[data-testid=attach-{key}]")
        if key == "kind":
            el.select_option(value)
        else:
            el.fill(value)


def submit_and_wait(page, form, state):
    form.locator("[data-testid=attach-submit]").click()
    page.wait_for_function(
        "(s) => document.querySelector('[data-testid=axis-datasets] [data-testid=attach-form]').dataset.state === s",
        arg=state, timeout=120_000)
    return form.locator("[data-testid=attach-message]").inner_text()


def test_attach_form_posts_attach_and_the_scorecard_matches_duckdb(page, lab, pg_table, expected):
    lab.write_notebook("attach_form.ipynb", ["%load_ext axis_jupyter\n%axis show datasets"])
    open_notebook(page, lab, "attach_form.ipynb")
    run_cell(page, 0)
    view = page.locator("[data-testid=axis-datasets]")
    view.locator("[data-testid=attach-open]").click()
    form = view.locator("[data-testid=attach-form]")
    form.locator("[data-testid=attach-backend]").wait_for()
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/axis/api/attach") else None)

    # a password in the URL: refused, the backend field marked, the password nowhere on the page
    host = pg_table.split("@", 1)[1]
    fill(form, backend=f"postgresql://postgres:{SECRET}@{host}", table="form_evals", name="pg_form")
    msg = submit_and_wait(page, form, "error")
    assert msg.startswith("backend contains a password")
    assert form.get_attribute("data-invalid") == "backend"
    assert form.locator("[data-testid=attach-backend]").get_attribute("aria-invalid") == "true"
    assert SECRET not in view.inner_text()

    # an unknown table: the table field
    fill(form, backend=pg_table, table="no_such_table")
    msg = submit_and_wait(page, form, "error")
    assert "no_such_table" in msg and form.get_attribute("data-invalid") == "table"
    assert form.locator("[data-testid=attach-backend]").get_attribute("aria-invalid") is None

    # a password variable the server may not read
    fill(form, table="form_evals", password_env="JUPYTER_TOKEN")
    msg = submit_and_wait(page, form, "error")
    assert msg.startswith("password_env") and form.get_attribute("data-invalid") == "password_env"

    # a mapping that is not one: refused in the page, before any request
    fill(form, password_env="", mapping="score")
    n_posted = len(posted)
    msg = submit_and_wait(page, form, "error")
    assert msg.startswith("mapping") and form.get_attribute("data-invalid") == "mapping"
    assert len(posted) == n_posted

    # the real thing: kind and mapping given; the server's store keeps the metadata only
    fill(form, mapping="score=metric_score", kind="evals")
    msg = submit_and_wait(page, form, "ok")
    rows = N_CASES * len(demo.EXPERIMENTS) * 10
    assert msg.startswith(f"Attached pg_form: {rows:,} rows")
    assert len(posted) == 4  # three refusals and the attach, all through POST axis/api/attach
    assert all(form.locator(f"[data-testid=attach-{k}]").input_value() == ""
               for k in ("backend", "table", "name", "mapping", "password_env"))
    info = lab.api("axis/api/datasets/pg_form").json()
    assert info["attached"]["engine"] == "postgres" and info["tables"] == []
    assert (info["kind"], info["rows"], info["records"]) == ("evals", rows, N_CASES)
    row = view.locator("[data-testid=dataset-row][data-name=pg_form]")
    row.wait_for()
    assert row.get_attribute("data-rows") == str(rows)
    source = row.locator("[data-testid=attached-source]").inner_text()
    assert source.startswith("attached: postgres") and "form_evals" in source
    assert SECRET not in view.inner_text() and "password" not in source

    # its scorecard, opened from the row: PostgreSQL's numbers over HTTP = DuckDB's
    row.locator("[data-testid=open]").select_option("scorecard")
    card = page.locator("[data-testid=axis-scorecard]")
    card.locator("[data-testid=kpi-overall]").wait_for(timeout=120_000)
    check_kpis(card, expected)
    check_rows(card, expected)
    lab.api("axis/api/datasets/pg_form", method="DELETE")
