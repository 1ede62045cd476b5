"""KPI analytics against pandas on DuckDB and PostgreSQL; kpi.yaml validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from axis_jupyter import demo_incidents, monitoring_config
from axis_jupyter.analytics import kpi
from axis_jupyter.errors import ConfigError


@pytest.fixture
def kpi_yaml(_config_dir):
    (_config_dir / "kpi.yaml").write_text(yaml.safe_dump({"kpi": demo_incidents.KPI_CONFIG}, sort_keys=False))
    return demo_incidents.KPI_CONFIG


def pandas_daily(df: pd.DataFrame, count_kpis: set) -> pd.DataFrame:
    df = df[df.numeric_value.notna()]
    out = []
    for k, g in df.groupby("kpi_name", sort=True):
        agg = "sum" if k in count_kpis else "mean"
        d = g.groupby(g.created_at.dt.floor("D")).numeric_value.agg([agg, "count"]).rename(columns={agg: "value"})
        d["avg_7d"] = d.value.rolling(7, min_periods=1).mean()
        d["avg_30d"] = d.value.rolling(30, min_periods=1).mean()
        d["kpi_name"] = k
        out.append(d.reset_index(names="date"))
    return pd.concat(out, ignore_index=True)


def test_kpi_trends(ctx_for, kpi_frame, kpi_yaml):
    got = kpi.kpi_trends(ctx_for("kpi"))
    exp = pandas_daily(kpi_frame, {"tickets_handled"})
    got = got.sort_values(["kpi_name", "date"], ignore_index=True)
    exp = exp.sort_values(["kpi_name", "date"], ignore_index=True)
    assert got.kpi_name.tolist() == exp.kpi_name.tolist()
    assert (pd.to_datetime(got.date).dt.tz_localize(None) == exp.date).all()
    for c in ("value", "avg_7d", "avg_30d"):
        np.testing.assert_allclose(got[c].astype(float), exp[c], rtol=1e-9, err_msg=c)
    assert got["count"].astype(int).tolist() == exp["count"].tolist()
    assert got.attrs["trend_lines"] == ["daily", "avg_7d", "avg_30d"]


def test_count_kpis_sum_without_config(ctx_for, kpi_frame):
    """Without kpi.yaml a KPI's unit comes from its name: "tickets_handled" counts tickets,
    so its day is the sum of its rows; "csat" is a score, a daily mean."""
    got = kpi.kpi_trends(ctx_for("kpi"), kpi_names=["tickets_handled", "csat"]).sort_values(["kpi_name", "date"])
    exp = pandas_daily(kpi_frame[kpi_frame.kpi_name.isin(["tickets_handled", "csat"])],
                       {"tickets_handled"}).sort_values(["kpi_name", "date"])
    np.testing.assert_allclose(got.value.astype(float), exp.value)


def test_kpi_filters_and_time_range(ctx_for, kpi_frame, kpi_yaml):
    f = {"source_name": "Nova", "time_range": ["2026-01-10", "2026-01-20"], "segment": "smb"}
    got = kpi.kpi_trends(ctx_for("kpi"), kpi_names=["csat", "tickets_handled"], filters=f)
    sub = kpi_frame[(kpi_frame.source_name == "Nova") & (kpi_frame.segment == "smb")
                    & (kpi_frame.created_at >= "2026-01-10") & (kpi_frame.created_at < "2026-01-20")
                    & kpi_frame.kpi_name.isin(["csat", "tickets_handled"])]
    exp = pandas_daily(sub, {"tickets_handled"})
    np.testing.assert_allclose(got.sort_values(["kpi_name", "date"]).avg_7d.astype(float),
                               exp.sort_values(["kpi_name", "date"]).avg_7d)


def test_kpi_panels(ctx_for, kpi_frame, kpi_yaml):
    got = kpi.kpi_panels(ctx_for("kpi"))
    exp = pandas_daily(kpi_frame, {"tickets_handled"})
    # configured categories first, in YAML order; then the others
    cats = list(dict.fromkeys(got.category))
    assert cats == ["quality", "volume", "efficiency", "mix"]
    assert got.set_index("category").loc["mix", "icon"].tolist() == ["BarChart3", "BarChart3"]
    for r in got.itertuples(index=False):
        e = exp[exp.kpi_name == r.kpi_name]
        last = e.iloc[-1]
        assert r.current_value == pytest.approx(last.value)
        assert r.avg_7d == pytest.approx(last.avg_7d) and r.avg_30d == pytest.approx(last.avg_30d)
        rel = (last.avg_7d - last.avg_30d) / abs(last.avg_30d)
        assert r.trend_direction == ("up" if rel > 0.05 else "down" if rel < -0.05 else "flat")
        assert [p["value"] for p in r.sparkline] == pytest.approx(e.value.tail(30).tolist())
        assert r.record_count == int((kpi_frame.kpi_name == r.kpi_name).sum())
        assert r.card_value == pytest.approx({"latest": last.value, "avg_7d": last.avg_7d,
                                              "avg_30d": last.avg_30d}[r.card_display_value])
    row = got.set_index("kpi_name")
    assert row.at["csat", "card_display_value"] == "avg_7d"
    assert row.at["escalation_rate", "polarity"] == "lower_better"
    assert row.at["avg_handle_time", "unit"] == "seconds"
    assert row.at["self_serve_rate", "display_name"] == "Self Serve Rate"
    assert got.attrs["date_range"] == {"min_date": "2026-01-01", "max_date": "2026-02-14"}


def test_planted_kpi_trend_is_up_and_bad(ctx_for, kpi_yaml):
    got = kpi.kpi_panels(ctx_for("kpi"), filters={"source_name": "Nova"}).set_index("kpi_name")
    assert got.at["escalation_rate", "trend_direction"] == "up"
    assert got.at["escalation_rate", "polarity"] == "lower_better"


def test_visible_kpis_per_source(ctx_for, _config_dir):
    cfg = {"visible_kpis": ["csat"], "visible_kpis_per_source": {"Nova": ["tickets_handled", "csat"]}}
    (_config_dir / "kpi.yaml").write_text(yaml.safe_dump({"kpi": cfg}))
    assert kpi.kpi_panels(ctx_for("kpi")).kpi_name.tolist() == ["csat"]
    nova = kpi.kpi_panels(ctx_for("kpi"), filters={"source_name": "Nova"})
    assert sorted(nova.kpi_name) == ["csat", "tickets_handled"]
    assert nova.set_index("kpi_name")["order"].to_dict() == {"tickets_handled": 0, "csat": 1}


def test_kpi_composition(ctx_for, kpi_frame, kpi_yaml):
    got = kpi.kpi_composition(ctx_for("kpi"))
    exp = pandas_daily(kpi_frame, set())
    cur = {k: exp[exp.kpi_name == k].value.iloc[-1] for k in ("self_serve_rate", "agent_assist_rate")}
    vals = dict(zip(got.label, got.value))
    assert vals["Self-serve"] == pytest.approx(cur["self_serve_rate"])
    assert vals["Human only"] == pytest.approx(1 - sum(cur.values()))
    hist = kpi.kpi_composition(ctx_for("kpi"), history=True)
    assert hist.date.nunique() == exp[exp.kpi_name == "self_serve_rate"].date.nunique()


@pytest.mark.parametrize("cfg,key", [
    ({"card_display_value": "median"}, "card_display_value"),
    ({"trend_lines": ["daily", "avg_90d"]}, "trend_lines[1]"),
    ({"kpi_overrides": {"csat": {"unit": "stars"}}}, "kpi_overrides.csat.unit"),
    ({"kpi_overrides": {"csat": {"polarity": "up"}}}, "kpi_overrides.csat.polarity"),
    ({"display_per_source": {"Nova": {"card": "latest"}}}, "display_per_source.Nova.card"),
    ({"composition_charts": [{"kpis": []}]}, "composition_charts[0].title"),
    ({"composition_charts": [{"title": "x", "kpis": [{"label": "a"}]}]}, "composition_charts[0].kpis[0].kpi_name"),
    ({"categories": {"q": {"colour": "red"}}}, "categories.q.colour"),
    ({"visible_kpis_per_source": {"Nova": "csat"}}, "visible_kpis_per_source.Nova"),
])
def test_kpi_config_errors_name_the_key(cfg, key):
    with pytest.raises(ConfigError) as e:
        monitoring_config.validate_kpi(cfg)
    assert key in str(e.value)


def test_kpi_display_resolution():
    cfg = monitoring_config.validate_kpi({
        "card_display_value": "avg_30d",
        "kpi_overrides": {"csat": {"unit": "score", "card_display_value": "avg_7d", "display_name": "CSAT"}},
        "display_per_source": {"Nova": {"card_display_value": "latest",
                                        "kpi_overrides": {"csat": {"display_name": "Nova CSAT"}}}}})
    assert monitoring_config.kpi_display(cfg, "csat")["card_display_value"] == "avg_7d"
    assert monitoring_config.kpi_display(cfg, "other")["card_display_value"] == "avg_30d"
    nova = monitoring_config.kpi_display(cfg, "csat", "Nova")
    assert nova["display_name"] == "Nova CSAT" and nova["card_display_value"] == "latest"
    assert monitoring_config.kpi_display(cfg, "tickets_handled")["display_name"] == "Tickets Handled"
