"""What the rules dashboard shows (reference: upstream-ui.md §1.8, catalogue rows 70-72).

A rules dataset (``kind="rules"``); every number comes from the rules analytics
(:mod:`axis_jupyter.analytics.rules`) or one page of the rules, never from all rows.

``payload``     {filters} -> summary cards (rules, risk factors, mitigants, hard stops),
                rules by action (bars, configured colours) and by product (donut), the
                conflicts (banner), status counts, the filter bar's options, the settings
``rules``       {filters, search, sort_by, descending, page, page_size} -> one page of rules
``trace``       {rule_id} -> the rule and its decision path (risk factor -> rule
                [threshold] -> action -> mitigants)
``hard_stops``  {filters, page, page_size} -> one page of hard-stop rules and their count
``quality``     {filters} -> aligned / divergent / partial rules (first 200 each, counts)
                and the soft thresholds
``batches``     {filters} -> one card per batch
``history``     {rule_id, limit} -> the changes, newest first
``create``      {fields} / ``update`` {rule_id, fields} / ``delete`` {rule_id} -> the rule
``graph_*``     the Knowledge graph tab: the graph view's actions (payloads/graph.py)
"""

from __future__ import annotations

from .. import memory_config
from ..errors import QueryError
from ..wire import jsonable, records
from . import graph as graph_view
from . import params
from .registry import ViewSpec

VIEW = "memory"
QUALITY_ROWS = 200


def _filters(filters) -> dict | None:
    return params.filters(filters) if filters else None


def _check_rules(store, dataset) -> str:
    if not dataset:
        raise QueryError("the rules dashboard shows a rules dataset: %axis show memory NAME.")
    kind = store.info(dataset)["kind"]
    if kind != "rules":
        raise QueryError(f"the rules dashboard shows rules datasets; {dataset!r} is {kind}.")
    return dataset


def _options(store, dataset: str) -> dict:
    """Distinct values of each filter role's column (the filter bar's dropdowns)."""
    df = store.analytic(dataset, "rule_options")
    return {c: list(v) for c, v in zip(df["column"], df["values"])}


def payload(store, dataset=None, filters=None) -> dict:
    dataset = _check_rules(store, dataset)
    f = _filters(filters)
    cfg = memory_config.load()
    summary = store.analytic(dataset, "rules_summary", filters=f)
    conflicts = store.analytic(dataset, "conflicts", filters=f)
    return jsonable({
        "dataset": dataset,
        "summary": records(summary)[0] if len(summary) else {},
        "by_action": records(store.analytic(dataset, "rules_by_action", filters=f)),
        "by_product": records(store.analytic(dataset, "rules_by_product", filters=f)),
        "status_counts": records(store.analytic(dataset, "status_counts", filters=f)),
        "conflicts": records(conflicts.head(50)),
        "conflicts_count": int(len(conflicts)),
        "options": _options(store, dataset),
        "config": {"labels": cfg["labels"], "filter_roles": cfg["filter_roles"],
                   "role_columns": memory_config.ROLE_COLUMNS,
                   "required_roles": cfg["required_roles"], "list_fields": cfg["list_fields"],
                   "hard_stop_action": cfg["hard_stops"]["action_value"],
                   "action_colors": cfg["action_colors"],
                   "config_hash": memory_config.config_hash(cfg)},
    })


RULE_COLUMNS = ["id", "rule_name", "action", "risk_factor", "risk_category", "product_type",
                "mitigants", "ingestion_status", "threshold_type", "threshold", "decision_quality",
                "confidence", "compound_trigger", "outcome_description", "batch_id", "source",
                "created_at"]


def rules(store, dataset=None, filters=None, search=None, sort_by=None, descending=False,
          page=1, page_size=15) -> dict:
    dataset = _check_rules(store, dataset)
    df, total = store.rows(dataset, page=page, page_size=page_size, sort_by=sort_by or "id",
                           descending=bool(descending), search=search or None,
                           filters=_filters(filters), columns=RULE_COLUMNS)
    return jsonable({"rows": records(df), "total": int(total), "page": page, "page_size": page_size})


def trace(store, dataset=None, rule_id=None) -> dict:
    dataset = _check_rules(store, dataset)
    path = store.analytic(dataset, "rule_trace", rule_id=str(rule_id))
    return jsonable({"trace": records(path)[0]})


def hard_stops(store, dataset=None, filters=None, page=1, page_size=10) -> dict:
    dataset = _check_rules(store, dataset)
    df = store.analytic(dataset, "hard_stops", filters=_filters(filters))
    start = (page - 1) * page_size
    return jsonable({"rows": records(df.iloc[start:start + page_size]), "total": int(len(df)),
                     "page": page, "page_size": page_size})


def quality(store, dataset=None, filters=None) -> dict:
    dataset = _check_rules(store, dataset)
    f = _filters(filters)
    df = store.analytic(dataset, "decision_quality", filters=f)
    groups = {}
    for key in memory_config.QUALITY_KEYS:
        part = df[df["quality"] == key]
        groups[key] = {"count": int(len(part)), "rows": records(part.head(QUALITY_ROWS))}
    soft = store.analytic(dataset, "soft_thresholds", filters=f)
    return jsonable({"groups": groups, "soft_thresholds": records(soft.head(QUALITY_ROWS)),
                     "soft_count": int(len(soft))})


def batches(store, dataset=None, filters=None) -> dict:
    dataset = _check_rules(store, dataset)
    return jsonable({"batches": records(store.analytic(dataset, "batches", filters=_filters(filters)))})


def _rules_of(store, dataset):
    from ..graph import open_rules

    return open_rules(store, dataset)


def history(store, dataset=None, rule_id=None, limit=50) -> dict:
    dataset = _check_rules(store, dataset)
    return jsonable({"history": records(_rules_of(store, dataset).history(rule_id, limit=limit))})


def create(store, dataset=None, fields=None) -> dict:
    dataset = _check_rules(store, dataset)
    return jsonable({"rule": _rules_of(store, dataset).create(fields or {})})


def update(store, dataset=None, rule_id=None, fields=None) -> dict:
    dataset = _check_rules(store, dataset)
    return jsonable({"rule": _rules_of(store, dataset).update(str(rule_id), fields or {})})


def delete(store, dataset=None, rule_id=None) -> dict:
    dataset = _check_rules(store, dataset)
    return jsonable({"rule": _rules_of(store, dataset).delete(str(rule_id))})


# The Knowledge graph tab: the graph explorer's actions on this dashboard's dataset.
def graph_payload(store, dataset=None, types=None, limit=graph_view.FIRST_EDGES, filters=None) -> dict:
    return graph_view.payload(store, _check_rules(store, dataset), types=types, limit=limit, filters=filters)


def graph_search(store, dataset=None, text=None, limit=20) -> dict:
    return graph_view.search(store, _check_rules(store, dataset), text=text, limit=limit)


def graph_neighbourhood(store, dataset=None, node_id=None, depth=1, limit=500) -> dict:
    return graph_view.neighbourhood(store, _check_rules(store, dataset), node_id=node_id, depth=depth,
                                    limit=limit)


def graph_node(store, dataset=None, node_id=None) -> dict:
    return graph_view.node(store, _check_rules(store, dataset), node_id=node_id)


SPEC = ViewSpec(VIEW, "Decision memory: rules, hard stops, decision quality, batches, conflicts",
                actions={"payload": payload, "rules": rules, "trace": trace, "hard_stops": hard_stops,
                         "quality": quality, "batches": batches, "history": history,
                         "create": create, "update": update, "delete": delete,
                         "graph_payload": graph_payload, "graph_search": graph_search,
                         "graph_neighbourhood": graph_neighbourhood, "graph_node": graph_node},
                kinds=("rules",),
                # the rule editor changes the store: granting axis:views never grants that
                guarded={"create": "axis:memory", "update": "axis:memory", "delete": "axis:memory"})
