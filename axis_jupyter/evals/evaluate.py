"""``axis.evaluate``: score a dataset or file (after the agent filled its empty outputs)
and store the results as an :class:`~axis_jupyter.evals.results.EvalRun`.

Above :mod:`axis_jupyter.evals.api` (mapping, checks, storing) and
:mod:`axis_jupyter.evals.results` (the run object) so neither imports the other's caller.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from .agent import fill_outputs
from .agent_config import AgentConfig
from .api import check_fields, check_metrics, prepare_items, present_fields, required_of, run_config, store_results
from .results import EvalRun
from .runner import score_items


def evaluate(store, source: Any, metrics: list, mapping: dict[str, str] | None = None,
             name: str | None = None, *, judge: Any = None, max_concurrent: int = 8,
             detail: bool = True, on_progress: Callable[[int, int], None] | None = None,
             thresholds: dict[str, float] | None = None, agent: Any = None,
             provider: str | None = None, model: str | None = None):
    """Score ``source`` with ``metrics`` and load the results as evaluation dataset ``name``.

    ``mapping``: canonical field -> your column (e.g. ``{"actual_output": "answer_v2"}``),
    merged over the suggested mapping (``None``/``""`` drops a suggested field).
    ``agent``: fill empty outputs first from your agent (see
    :mod:`axis_jupyter.evals.agent_config`: ``{"url", "body", "answer_path", "headers_env"}``
    or ``{"mode": "prompt", ...}``). ``provider``/``model``: the judges' (see
    :mod:`axis_jupyter.llm.providers`; a metric given as ``{"key", "provider", "model"}``
    picks its own). Returns the results as an :class:`~axis_jupyter.evals.results.EvalRun`
    (a Dataset with ``export``, ``failed``, ``rerun_failed``). Refused before any work:
    LLM metrics without their provider's key (``LLMNotConfigured``), metrics whose required
    fields are not mapped or empty everywhere (``MissingFields``), bad agent settings
    (``AgentConfigError``). For a background run with progress and cancellation see
    :func:`axis_jupyter.evals.runs.start_run`.
    """
    specs = check_metrics(metrics, judge, thresholds, provider, model)
    agent_cfg = AgentConfig.parse(agent)
    run_id = uuid.uuid4().hex[:12]
    name = name or f"eval_{run_id}"
    _, items = prepare_items(store, source, mapping, name)
    check_fields(specs, present_fields(items, required_of(specs), agent=agent_cfg is not None))
    if agent_cfg is not None:
        items, _stats = fill_outputs(items, agent_cfg, concurrency=max_concurrent)
    results = score_items(items, metrics, judge=judge, max_concurrent=max_concurrent, detail=detail,
                          on_progress=on_progress, thresholds=thresholds, provider=provider,
                          model=model)
    config = run_config(source, metrics, mapping, thresholds, agent_cfg, provider, model, max_concurrent)
    ds = store_results(store, results, items, name, run_id, config)
    return EvalRun(store, ds.name, ds.kind)
