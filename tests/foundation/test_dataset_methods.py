"""Dataset's analytic methods are made from the analytics registry: each parameter declared
once (on the analytic), real signatures and docstrings for help(), ``?`` and tab completion,
every earlier method name and positional order still working, filters as keywords."""

from __future__ import annotations

import inspect
import re
import pydoc

import pandas as pd
import pytest

from axis_jupyter import Dataset
from axis_jupyter.analytics import registry
from axis_jupyter.errors import QueryError

# The analytic methods Dataset had by hand, with the parameters callers could pass by position.
EARLIER = {
    "summary": ["threshold", "by"], "distribution": ["metric", "bins"], "quantiles": ["metric", "by"],
    "comparison": ["by"], "correlation": ["metrics"], "radar": ["by", "metrics"],
    "scatter": ["x", "y", "color_by", "limit"],
    "compare": ["baseline", "challenger", "metrics", "alpha", "paired"],
    "win_loss": ["baseline", "challenger", "metrics", "tie_band", "level"],
    "case_diff": ["baseline", "challenger", "outcome", "sort_by", "descending", "search", "page",
                  "page_size", "metrics"],
    "experiments": ["threshold", "metrics"], "agreement": ["threshold", "metrics"],
    "length_analysis": ["metric", "by", "bins"], "turn_analysis": ["metric", "by"],
    "metadata_breakdown": ["key", "metric", "threshold", "column", "by"],
    "case_detail": ["dataset_id", "evaluation_name"],
    "trends": ["granularity", "metric_category"], "latency": ["by"], "latency_histogram": ["bins", "by"],
    "pass_rates": ["threshold", "by"], "alerts": ["granularity", "scan", "config"],
    "health": ["level"], "hierarchy": ["deltas"], "classification": ["metric", "category_source"],
    "classification_trends": ["metric", "granularity", "category_source"],
    "insights": ["metric", "page", "limit", "search"], "kpi_panels": ["kpi_names"],
    "kpi_trends": ["kpi_names"], "kpi_composition": ["history"],
}


def test_every_earlier_method_keeps_its_name_and_positional_order():
    for method, leading in EARLIER.items():
        params = list(inspect.signature(getattr(Dataset, method)).parameters)
        assert params[0] == "self"
        assert params[1:1 + len(leading)] == leading, method


def test_each_parameter_is_the_analytics_own():
    methods = registry.by_method()
    assert set(EARLIER) <= set(methods)
    for name, a in methods.items():
        sig = inspect.signature(getattr(Dataset, name))
        declared = [p for p in a.parameters() if p.name != "filters"]
        got = [p for p in sig.parameters.values() if p.name != "self"]
        assert got[: len(declared)] == declared, name
        takes_filters = any(p.name == "filters" for p in a.parameters())
        # (an analytic may take no parameter at all: ds.signal_schema())
        assert (bool(got) and got[-1].kind is inspect.Parameter.VAR_KEYWORD) == takes_filters, name
        assert getattr(Dataset, name).__doc__.startswith(inspect.cleandoc(a.fn.__doc__)), name


def test_signature_and_help_show_the_analytic(demo_store):
    ds = demo_store["demo_monitoring"]
    sig = inspect.signature(ds.trends)
    assert list(sig.parameters) == ["granularity", "metric_category", "metrics", "exact", "filters"]
    assert sig.parameters["granularity"].default == "day"
    assert sig.parameters["metric_category"].annotation == str | None  # evaluated, not a string
    text = pydoc.render_doc(ds.trends, renderer=pydoc.plaintext)
    assert "trends(granularity: str = 'day'" in text
    assert "bucket, metric_name, count, avg, p50, p95, p99" in text
    assert "filter the rows" in text


def test_ipython_question_mark_and_tab_completion(ip, demo_store):
    from IPython.core.completer import provisionalcompleter

    ip.user_ns["ds"] = demo_store["demo_monitoring"]
    # what ``ds.trends?`` shows; another test may have turned IPython's colours on, so the
    # ANSI escapes are dropped before reading the text
    info = re.sub(r"\x1b\[[0-9;]*m", "", ip.object_inspect_text("ds.trends"))
    assert "granularity: str = 'day'" in info and "p95" in info

    def complete(code: str) -> set[str]:
        with provisionalcompleter():
            return {c.text for c in ip.Completer.completions(code, len(code))}

    assert "granularity=" in complete("ds.trends(gran")
    assert {"kpi_panels", "kpi_trends", "kpi_composition"} <= complete("ds.kpi_")


def test_calls_positional_keyword_and_filters_agree(demo_store):
    ds = demo_store["demo_evals"]
    by_kw = ds.compare(baseline="baseline", challenger="candidate_a")
    pd.testing.assert_frame_equal(ds.compare("baseline", "candidate_a"), by_kw)
    pd.testing.assert_frame_equal(
        ds.summary(0.7, evaluation_name="baseline"),
        ds.analytic("summary", threshold=0.7, filters={"evaluation_name": "baseline"}))
    pd.testing.assert_frame_equal(ds.summary(), ds.analytic("summary"))  # the analytic's defaults
    assert set(ds.summary(metrics=["faithfulness"]).metric_name) <= {"faithfulness"}
    with pytest.raises(QueryError, match="multiple values"):
        ds.summary(0.5, threshold=0.6)
    with pytest.raises(QueryError, match="does not apply to evals"):
        ds.kpi_panels()


def test_an_analytic_registered_later_is_a_method_too(demo_store):
    def row_count(ctx, filters=None) -> pd.DataFrame:
        """Rows of the scores table: n."""
        return ctx.execute(ctx.table("scores").aggregate(n=lambda t: t.count()))

    registry.register("row_count_test", row_count, ("evals",), method="row_count_test")
    try:
        ds = demo_store["demo_evals"]
        assert "row_count_test" in dir(ds)
        assert list(inspect.signature(ds.row_count_test).parameters) == ["filters"]
        assert ds.row_count_test().n[0] == ds.info["rows"]
    finally:
        registry.ANALYTICS.pop("row_count_test")
    with pytest.raises(AttributeError):
        ds.row_count_test
