"""Re-running only the failed part of a run (``EvalRun.rerun_failed``).

What counts as failed: a result row with an ``error`` (the metric could not score: a judge
that kept failing, a malformed verdict, a missing field on that item), and an item with an
``agent_error`` (the agent did not answer it). The agent is asked again for those items
first; then every failed (item, metric) pair — and every metric of an item the agent
answered this time — is scored again. Rows that succeeded are kept as they were, so a
re-run costs only what failed. The run's settings (metrics with their parameters,
thresholds, judges, agent) come from its ``run_config``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .base import EvalError


def rerun_failed(run: Any, name: str | None, *, result_columns: Any, run_id: str, agent: Any = None,
                 judge: Any = None, provider: str | None = None, model: str | None = None,
                 max_concurrent: int | None = None):
    """The re-run's results stored as ``name`` (default the run's own name) under ``run_id``;
    returns the stored Dataset, or ``run`` itself when nothing failed. ``result_columns``:
    the columns a run adds to its items (the rest of a row is the item)."""
    from .agent import fill_outputs
    from .agent_config import AgentConfig
    from .api import check_metrics, store_results
    from .runner import ROW_COLUMNS, score_items

    cfg = run.config
    raw_specs = cfg.get("metrics") or []
    if not raw_specs:
        raise EvalError(f"{run.name}: the run's settings are missing; run it again with axis.evaluate.")
    thresholds = cfg.get("thresholds")
    provider = provider or cfg.get("provider")
    model = model or cfg.get("model")
    conc = int(max_concurrent or cfg.get("concurrency") or 8)
    specs = check_metrics(raw_specs, judge, thresholds, provider, model)
    by_name = {s.name: raw for s, raw in zip(specs, raw_specs)}

    df = run.frame()
    df["dataset_id"] = df["dataset_id"].astype(str)
    item_cols = [c for c in df.columns if c not in result_columns]
    items = df[item_cols].drop_duplicates("dataset_id", keep="first").reset_index(drop=True)
    errors = df["error"].notna() if "error" in df.columns else pd.Series(False, index=df.index)
    pairs = set(zip(df.loc[errors, "dataset_id"], df.loc[errors, "metric_name"]))

    agent_failed: set[str] = set()
    if "agent_error" in items.columns:
        agent_failed = set(items.loc[items["agent_error"].notna(), "dataset_id"])
    if agent_failed:
        spec = agent if agent is not None else cfg.get("agent")
        if not spec:
            raise EvalError(f"{run.name}: {len(agent_failed)} item(s) have no answer; pass agent=... "
                            "to ask an agent again.")
        if agent is None and any(v == "***" for v in (spec.get("headers") or {}).values()):
            raise EvalError(f"{run.name}: the run's agent had literal headers, which are never stored; "
                            "pass agent=... (the same settings) to ask it again.")
        agent_cfg = AgentConfig.parse(spec)
        todo = items["dataset_id"].isin(agent_failed)
        sub = items[todo].copy()
        sub["actual_output"] = None
        filled, _stats = fill_outputs(sub, agent_cfg, concurrency=conc)
        for col in filled.columns:
            if col not in items.columns:
                items[col] = None
            items[col] = items[col].astype(object)
            items.loc[todo, col] = filled[col].astype(object).values
        pairs |= {(i, s.name) for i in agent_failed for s in specs}

    if not pairs:
        return run  # nothing failed
    parts = []
    for s in specs:
        ids = {i for i, m in pairs if m == s.name}
        if not ids:
            continue
        sub = items[items["dataset_id"].isin(ids)]
        parts.append(score_items(sub, [by_name[s.name]], judge=judge, max_concurrent=conc,
                                 thresholds=thresholds, provider=provider, model=model))
    redo = pd.Series([(i, m) in pairs for i, m in zip(df["dataset_id"], df["metric_name"])], index=df.index)
    kept = df.loc[~redo].reindex(columns=ROW_COLUMNS)
    results = pd.concat([kept, *parts], ignore_index=True)
    config = {k: v for k, v in cfg.items() if not k.startswith("_")}
    config["rerun_of"] = cfg.get("_run_id")
    return store_results(run.store, results, items, name or run.name, run_id, config)
