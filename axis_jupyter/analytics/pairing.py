"""Which two experiments are compared and how their scores pair up by test case.

The building blocks of the comparison analytics (:mod:`.compare`, :mod:`.compare_cases`):
the case key, the experiments of a dataset, the baseline/challenger pair, the per-case
scores of both sides, and checks of numeric parameters.
"""

from __future__ import annotations

import ibis

from .. import params as schemas
from ..errors import QueryError
from .context import AnalyticContext
from .evals import as_list, scores_table


def case_key(t: ibis.Table) -> str:
    if "dataset_id" in t.columns:
        return "dataset_id"
    if "_axis_rid" in t.columns:
        return "_axis_rid"
    raise QueryError("this dataset has no dataset_id column to identify test cases.")


def experiments_of(ctx: AnalyticContext, filters: dict | None = None) -> list[str]:
    """The experiments (distinct evaluation_name values), sorted."""
    if not filters:
        known = (ctx.info.get("filter_values") or {}).get("evaluation_name")
        if known:
            return list(known)
    t = scores_table(ctx, filters)
    if "evaluation_name" not in t.columns:
        return []
    df = ctx.execute(t.filter(t.evaluation_name.notnull()).select("evaluation_name").distinct())
    return sorted(str(v) for v in df["evaluation_name"])


def resolve_pair(ctx: AnalyticContext, baseline, challenger, filters=None) -> tuple[str, str]:
    """Check (or, with exactly two experiments, choose) the baseline and the challenger."""
    t = ctx.table("scores")
    if "evaluation_name" not in t.columns:
        raise QueryError("this dataset has no evaluation_name column, so there are no experiments "
                         "to compare.")
    exps = experiments_of(ctx, filters)
    if baseline is None and challenger is None and len(exps) == 2:
        return exps[0], exps[1]
    if baseline is None or challenger is None:
        raise QueryError("pass baseline= and challenger= (experiments: "
                         f"{', '.join(exps) or 'none'}).")
    baseline, challenger = str(baseline), str(challenger)
    if baseline == challenger:
        raise QueryError(f"baseline and challenger are both {baseline!r}; pick two different experiments.")
    if exps and not filters:
        for role, name in (("baseline", baseline), ("challenger", challenger)):
            if name not in exps:
                raise QueryError(f"{role} {name!r} is not an experiment of this dataset "
                                 f"(experiments: {', '.join(exps)}).")
    return baseline, challenger


def _valid_scores(ctx, filters, metrics, experiments: list[str], *extra: str) -> tuple[ibis.Table, str]:
    t = scores_table(ctx, filters, *extra)
    key = case_key(t)
    s = t.metric_score
    t = t.filter(t.evaluation_name.isin(experiments), t.metric_name.notnull(), s.notnull(),
                 ~s.isnan(), t[key].notnull())
    metrics = as_list(metrics)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    return t, key


def case_scores(ctx: AnalyticContext, baseline: str, challenger: str, metrics=None,
                filters=None) -> ibis.Table:
    """Ibis table: one row per (metric_name, case_id) with ``b`` and ``c``, the baseline's and
    the challenger's mean score of that case (null when that side did not score it)."""
    t, key = _valid_scores(ctx, filters, metrics, [baseline, challenger])
    is_b = t.evaluation_name == baseline
    return t.group_by(["metric_name", t[key].cast("string").name("case_id")]).aggregate(
        b=t.metric_score.mean(where=is_b), c=t.metric_score.mean(where=~is_b))


def case_overall(k: ibis.Table) -> ibis.Table:
    """Per case: the mean over the metrics both sides scored (``baseline_score``,
    ``challenger_score``), their difference and the number of shared metrics."""
    both = k.b.notnull() & k.c.notnull()
    o = k.group_by("case_id").aggregate(
        baseline_score=k.b.mean(where=both), challenger_score=k.c.mean(where=both),
        n_metrics=_ones(both).sum(),
        baseline_only=_ones(k.b.notnull() & k.c.isnull()).sum(),
        challenger_only=_ones(k.c.notnull() & k.b.isnull()).sum())
    return o.mutate(delta=o.challenger_score - o.baseline_score)


def outcome_expr(delta, tie_band: float):
    """'challenger' when delta > tie_band, 'baseline' when delta < -tie_band, else 'tie'."""
    return ibis.cases((delta > tie_band, "challenger"), (delta < -tie_band, "baseline"),
                      else_="tie")


def _ones(cond):
    """1 where ``cond`` holds, else 0 (portable: PostgreSQL cannot cast boolean to bigint)."""
    return ibis.ifelse(cond, 1, 0)


def _num(value, name: str, lo: float | None = None, hi: float | None = None) -> float:
    return float(schemas.coerce(name, value, schemas.number(lo, hi)))


def _int(value, name: str, lo: int, hi: int) -> int:
    return schemas.coerce(name, value, schemas.integer(lo, hi))
