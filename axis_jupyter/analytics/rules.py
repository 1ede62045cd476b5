"""Decision-memory analytics for ``kind="rules"`` datasets (reference §8.2; UI §1.8).

Rows are rules under canonical columns (see :mod:`axis_jupyter.memory_config`); list roles
(``mitigants``) are lists of text. Every analytic takes ``filters`` (column -> value, a list,
or a ``time_range`` on ``created_at``) and ``config`` (memory settings over ``memory.yaml``:
the hard-stop action, quality values, the soft-threshold value, action colours,
contradictory action pairs). Aggregation runs where the data lives (Ibis: DuckDB or any
other backend); only the answer comes back.
"""

from __future__ import annotations

import ibis
import pandas as pd

from .. import memory_config
from ..errors import NotFoundError
from .context import AnalyticContext
from .filters import apply_filters

RULE_COLUMNS = ["id", "rule_name", "risk_factor", "risk_category", "product_type", "action",
                "outcome_description", "mitigants", "threshold", "threshold_type",
                "compound_trigger", "decision_quality", "ingestion_status", "batch_id"]


def _rules(ctx: AnalyticContext, filters) -> ibis.Table:
    return apply_filters(ctx.table("scores"), filters, time_column="created_at")


def _no_mitigants(t: ibis.Table):
    return t.mitigants.isnull() | (t.mitigants.length() == 0)


def _hard_stop(t: ibis.Table, cfg: dict):
    hs = cfg["hard_stops"]
    pred = t.action == hs["action_value"]
    return pred & _no_mitigants(t) if hs["require_empty_mitigants"] else pred


def _lists(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """List cells as plain lists of text (backends hand back arrays or None)."""
    for c in cols:
        if c in df.columns:
            df[c] = [[str(x) for x in v] if v is not None and not isinstance(v, float) else []
                     for v in df[c]]
    return df


def rules_summary(ctx: AnalyticContext, filters=None, config=None) -> pd.DataFrame:
    """One row: rules_count, risk_factors_count (distinct risk factors), mitigants_count
    (distinct mitigants), hard_stops_count, batches_count, actions_count."""
    cfg = memory_config.resolve(config)
    t = _rules(ctx, filters)
    counts = ctx.execute(t.aggregate(
        rules_count=t.count(), risk_factors_count=t.risk_factor.nunique(),
        hard_stops_count=ibis.ifelse(_hard_stop(t, cfg), 1, 0).sum(),
        batches_count=t.batch_id.nunique(), actions_count=t.action.nunique()))
    items = t.select(m=t.mitigants.unnest())
    mits = ctx.execute(items.filter(items.m.notnull() & (items.m != "")).aggregate(n=items.m.nunique()))
    row = counts.iloc[0].to_dict()
    out = {"rules_count": row["rules_count"], "risk_factors_count": row["risk_factors_count"],
           "mitigants_count": mits["n"].iloc[0] if len(mits) else 0,
           "hard_stops_count": row["hard_stops_count"], "batches_count": row["batches_count"],
           "actions_count": row["actions_count"]}
    return pd.DataFrame([{k: int(0 if pd.isna(v) else v) for k, v in out.items()}])


def rules_by_action(ctx: AnalyticContext, filters=None, config=None) -> pd.DataFrame:
    """action, count, color: most frequent first (ties by name); the colour from
    ``action_colors``, else the palette in this order."""
    cfg = memory_config.resolve(config)
    t = _rules(ctx, filters)
    t = t.filter(t.action.notnull())
    df = ctx.execute(t.group_by("action").aggregate(count=t.count()))
    df = df.sort_values(["count", "action"], ascending=[False, True], kind="stable").reset_index(drop=True)
    df["count"] = df["count"].astype("int64")
    df["color"] = [memory_config.action_color(cfg, a, i) for i, a in enumerate(df["action"])]
    return df[["action", "count", "color"]]


def rules_by_product(ctx: AnalyticContext, filters=None) -> pd.DataFrame:
    """product_type, count, share (of the rules with a product): most frequent first."""
    t = _rules(ctx, filters)
    t = t.filter(t.product_type.notnull())
    df = ctx.execute(t.group_by("product_type").aggregate(count=t.count()))
    df = df.sort_values(["count", "product_type"], ascending=[False, True], kind="stable").reset_index(drop=True)
    df["count"] = df["count"].astype("int64")
    total = df["count"].sum()
    df["share"] = df["count"] / total if total else 0.0
    return df[["product_type", "count", "share"]]


def hard_stops(ctx: AnalyticContext, filters=None, config=None) -> pd.DataFrame:
    """The rules that stop a decision outright: action == ``hard_stops.action_value``
    ("decline") and, if ``require_empty_mitigants``, no mitigants. Rule columns, by id."""
    cfg = memory_config.resolve(config)
    t = _rules(ctx, filters)
    df = ctx.execute(t.filter(_hard_stop(t, cfg)).select(*RULE_COLUMNS).order_by("id"))
    return _lists(df, "mitigants").reset_index(drop=True)


def decision_quality(ctx: AnalyticContext, filters=None, config=None) -> pd.DataFrame:
    """Rules whose decision quality is one of the configured values: id, rule_name,
    risk_factor, action, decision_quality, quality (aligned, divergent or partial), by
    quality then id."""
    cfg = memory_config.resolve(config)
    qv = cfg["quality_values"]
    t = _rules(ctx, filters)
    t = t.filter(t.decision_quality.isin(list(qv.values())))
    df = ctx.execute(t.select("id", "rule_name", "risk_factor", "action", "decision_quality"))
    key_of = {}
    for k in memory_config.QUALITY_KEYS:  # the first key wins if two share a value
        key_of.setdefault(qv[k], k)
    df["quality"] = df["decision_quality"].map(key_of)
    order = {k: i for i, k in enumerate(memory_config.QUALITY_KEYS)}
    df = df.assign(_o=df["quality"].map(order)).sort_values(["_o", "id"], kind="stable")
    return df.drop(columns="_o").reset_index(drop=True)


def soft_thresholds(ctx: AnalyticContext, filters=None, config=None) -> pd.DataFrame:
    """Rules with threshold_type == ``soft_threshold_value``: id, rule_name, risk_factor,
    threshold, action (by id)."""
    cfg = memory_config.resolve(config)
    t = _rules(ctx, filters)
    t = t.filter(t.threshold_type == cfg["soft_threshold_value"])
    return ctx.execute(t.select("id", "rule_name", "risk_factor", "threshold", "action")
                       .order_by("id")).reset_index(drop=True)


def status_counts(ctx: AnalyticContext, filters=None) -> pd.DataFrame:
    """ingestion_status, count (most frequent first; rules without a status as null)."""
    t = _rules(ctx, filters)
    df = ctx.execute(t.group_by("ingestion_status").aggregate(count=t.count()))
    df["count"] = df["count"].astype("int64")
    df = df.assign(_k=df["ingestion_status"].fillna("")).sort_values(
        ["count", "_k"], ascending=[False, True], kind="stable")
    return df.drop(columns="_k")[["ingestion_status", "count"]].reset_index(drop=True)


def batches(ctx: AnalyticContext, filters=None) -> pd.DataFrame:
    """One row per batch: batch_id, rules_count, created_at (its earliest rule),
    status_counts ({status: count}), categories (sorted distinct risk categories); newest
    batch first."""
    t = _rules(ctx, filters)
    t = t.filter(t.batch_id.notnull())
    base = ctx.execute(t.group_by("batch_id").aggregate(rules_count=t.count(), created_at=t.created_at.min()))
    st = ctx.execute(t.group_by(["batch_id", "ingestion_status"]).aggregate(n=t.count()))
    cats = ctx.execute(t.filter(t.risk_category.notnull()).select("batch_id", "risk_category").distinct())
    status: dict[str, dict] = {}
    for b, s, n in st.itertuples(index=False):
        status.setdefault(b, {})[s if s is not None and not pd.isna(s) else "unknown"] = int(n)
    categories: dict[str, list] = {}
    for b, c in cats.itertuples(index=False):
        categories.setdefault(b, []).append(c)
    base["rules_count"] = base["rules_count"].astype("int64")
    base["status_counts"] = [dict(sorted(status.get(b, {}).items())) for b in base["batch_id"]]
    base["categories"] = [sorted(categories.get(b, [])) for b in base["batch_id"]]
    base = base.assign(_t=base["created_at"].isna()).sort_values(
        ["_t", "created_at", "batch_id"], ascending=[True, False, True], kind="stable")
    return base.drop(columns="_t")[["batch_id", "rules_count", "created_at", "status_counts",
                                    "categories"]].reset_index(drop=True)


def rule_trace(ctx: AnalyticContext, rule_id: str, config=None) -> pd.DataFrame:
    """One rule's decision path (risk factor -> rule [threshold] -> action -> mitigants):
    id, risk_factor, rule_name, threshold_type, threshold, action, action_color,
    outcome_description, mitigants, compound_trigger."""
    cfg = memory_config.resolve(config)
    t = ctx.table("scores")
    df = ctx.execute(t.filter(t.id == str(rule_id)).select(
        "id", "risk_factor", "rule_name", "threshold_type", "threshold", "action",
        "outcome_description", "mitigants", "compound_trigger").limit(1))
    if not len(df):
        raise NotFoundError(f"no rule with id {str(rule_id)!r} in this dataset.")
    actions = rules_by_action(ctx, config=config)["action"].tolist()
    a = df["action"].iloc[0]
    idx = actions.index(a) if a in actions else 0
    df.insert(6, "action_color", memory_config.action_color(cfg, a, idx) if a is not None else None)
    return _lists(df, "mitigants").reset_index(drop=True)


def conflicts(ctx: AnalyticContext, filters=None, config=None) -> pd.DataFrame:
    """Risk factor and product groups whose rules take contradictory actions (a pair of
    ``contradictory_pairs``): risk_factor, product_type, actions (the group's actions in a
    pair), conflicting_rules ([{id, rule_name, action}] of those actions), description."""
    cfg = memory_config.resolve(config)
    cols = ["risk_factor", "product_type", "actions", "conflicting_rules", "description"]
    pairs = [p for p in cfg["contradictory_pairs"] if p[0] != p[1]]
    if not pairs:
        return pd.DataFrame(columns=cols)
    t = _rules(ctx, filters)
    t = t.filter(t.risk_factor.notnull())
    involved = sorted({a for p in pairs for a in p})
    flags = {f"has_{i}": (t.action == a).any() for i, a in enumerate(involved)}
    g = t.group_by(["risk_factor", "product_type"]).aggregate(**flags)
    conflict = None
    for a, b in pairs:
        c = g[f"has_{involved.index(a)}"] & g[f"has_{involved.index(b)}"]
        conflict = c if conflict is None else (conflict | c)
    groups = g.filter(conflict).select("risk_factor", "product_type")
    r = t.filter(t.action.isin(involved))
    joined = r.join(groups, [r.risk_factor == groups.risk_factor,
                             (r.product_type == groups.product_type)
                             | (r.product_type.isnull() & groups.product_type.isnull())])
    rows = ctx.execute(joined.select(r.risk_factor, r.product_type, r.id, r.rule_name, r.action))
    out = []
    for (rf, prod), grp in rows.groupby(["risk_factor", rows["product_type"].fillna("\x00")], sort=True):
        prod = None if prod == "\x00" else prod
        present = set(grp["action"])
        hit = [p for p in pairs if p[0] in present and p[1] in present]
        acts = sorted({a for p in hit for a in p})
        grp = grp[grp["action"].isin(acts)].sort_values(["action", "id"], kind="stable")
        rules = [{"id": i, "rule_name": n, "action": a} for i, n, a in
                 zip(grp["id"], grp["rule_name"], grp["action"])]
        where = f"{rf}" + (f" ({prod})" if prod is not None else "")
        out.append({"risk_factor": rf, "product_type": prod, "actions": acts, "conflicting_rules": rules,
                    "description": f"{where} leads to contradictory actions: {' and '.join(acts)}."})
    return pd.DataFrame(out, columns=cols)


def rule_options(ctx: AnalyticContext, filters=None, config=None) -> pd.DataFrame:
    """The values of the filter roles' columns (and ``batch_id``), for filter bars:
    column, values (sorted, at most 500 per column)."""
    cfg = memory_config.resolve(config)
    t = _rules(ctx, filters)
    cols = list(dict.fromkeys([memory_config.ROLE_COLUMNS[r] for r in cfg["filter_roles"]] + ["batch_id"]))
    out = []
    for c in cols:
        if c not in t.columns or t[c].type().is_array():
            continue
        vals = ctx.execute(t.filter(t[c].notnull()).select(v=t[c].cast("string")).distinct()
                           .order_by("v").limit(500))["v"].tolist()
        out.append({"column": c, "values": vals})
    return pd.DataFrame(out, columns=["column", "values"])

