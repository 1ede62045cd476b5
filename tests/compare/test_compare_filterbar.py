"""The compare view on the shared filter bar: its fields (experiment, metadata with few
values) and "Copy as code" — ``ds.test_cases(...)`` for the test-case table and
``ds.compare(...)`` head to head — returning the numbers the view shows for the same
filters."""

from __future__ import annotations

import pytest

from axis_jupyter.notebook.widgets import call_action

from compare.test_test_cases import EXPS, data  # noqa: F401  (the module's store fixture)


def run(store, code: str):
    ns = {"axis": store}
    exec(code.replace("\nds.", "\nresult = ds."), ns)
    return ns["result"]


def test_filter_fields_are_the_experiments_and_few_valued_metadata(data):  # noqa: F811
    store, df = data
    fields = {f["key"]: f["values"] for f in call_action(store, "tc", "compare", "filter_options", {})["fields"]}
    assert fields["evaluation_name"] == EXPS
    assert fields["tier"] == ["free", "gold"]


@pytest.mark.parametrize("filters", [{"tier": ["gold"]}, {"evaluation_name": ["alpha", "gamma"], "tier": "free"}])
def test_copy_as_code_gives_the_test_case_table(data, filters):  # noqa: F811
    store, df = data
    args = {"quick": "variance", "sort_by": "std", "descending": True, "page": 1, "page_size": 5}
    shown = call_action(store, "tc", "compare", "test_cases", {**args, "filters": filters})
    code = call_action(store, "tc", "compare", "code", {"analytic": "test_cases", "args": args, "filters": filters})["code"]
    assert "ds.test_cases(" in code and "quick='variance'" in code
    got = run(store, code)
    # the view's rows are one per case with a cell per experiment; the call's one per pair
    rows = [(r["case_id"], e, c["score"]) for r in shown["rows"] for e, c in r["cells"].items()]
    assert rows and sorted(rows) == sorted((r.case_id, r.evaluation_name, pytest.approx(r.score))
                                           for r in got.itertuples())
    assert [r["std"] for r in shown["rows"]] == pytest.approx(got.drop_duplicates("case_id").case_std.tolist())
    keep = df[df.tier.isin([filters["tier"]] if isinstance(filters["tier"], str) else filters["tier"])]
    assert {r["case_id"] for r in shown["rows"]} <= set(keep.dataset_id)


def test_copy_as_code_gives_the_head_to_head(data):  # noqa: F811
    store, _ = data
    filters = {"tier": ["gold"]}
    p = call_action(store, "tc", "compare", "payload", {"baseline": "alpha", "challenger": "beta", "filters": filters})
    code = call_action(store, "tc", "compare", "code",
                       {"analytic": "compare", "args": {"baseline": "alpha", "challenger": "beta"}, "filters": filters})["code"]
    got = run(store, code).set_index("metric_name")
    shown = {r["metric_name"]: r for r in p["metrics"]}
    assert set(shown) == set(got.index)
    for m, r in shown.items():
        assert got.loc[m, "delta"] == pytest.approx(r["delta"])
