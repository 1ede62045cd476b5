"""What the evaluation runner shows (reference: upstream-ui.md §1.2 "Runner").

Pick a dataset, check the suggested column mapping (canonical field -> column; ``dataset_id``,
``query`` and ``actual_output`` are required), choose metrics from the catalogue (filtered
to those whose required fields are mapped), name the run and its concurrency, start it and
follow its progress. Runs go through :mod:`axis_jupyter.evals.runs` where the store lives:
on the Jupyter server (a server job with SSE progress) for the shared store, else a worker
thread of this process. The runner works across datasets: ``dataset`` is unused, and over
HTTP its actions are ``POST {base}axis/api/views/runner/{action}``.

``setup``   {source?} -> datasets, the source's columns, a 3-row preview, the suggested
            mapping, the canonical fields (required flags), the metric catalogue with
            ``compatible`` flags for the suggested mapping, whether an LLM key is set,
            recent runs and defaults (name, concurrency)
``start``   {source (a dataset name, never a file path), metrics, mapping?, name?,
            concurrency?, agent?, provider?, model?, metric_params?} -> {run_id, status};
            ``metric_params`` {metric key: {parameter: value}} configures metrics that need it
            (the custom binary judge's ``instruction``: the catalogue's ``params`` say which)
            (LLM metrics without a key: an error with the LLMNotConfigured message; the agent
            is called from where the run executes — the Jupyter server for a server's store)
``status``  {run_id} -> the run status (state, done/total, fraction, running means, errors,
            summary once finished, ...; see ``axis_jupyter.evals.runs``)
``cancel``  {run_id} -> the run status after asking it to stop
``test_agent`` {agent, query?} -> one call to the agent: ok, status, latency_ms, request, raw
            reply, extracted answer, error ("Test connection")
``open_run`` {dataset} -> a stored run: its settings, summary, failed rows, and the earlier
            runs of the same source it can be compared with
``export``  {dataset, format} -> {filename, mime, size, base64}: the results as a download
``rerun``   {dataset} -> {run_id, status}: score only the failed rows again (a run to follow)
``compare`` {dataset, earlier} -> {dataset, baseline, challenger}: both runs in one dataset
            for the compare view
"""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError, QueryError
from ..wire import jsonable, records
from .registry import ViewSpec

VIEW = "runner"

# Canonical fields, in the order of the reference's mapping step. (field, label, required)
FIELDS: list[tuple[str, str, bool]] = [
    ("dataset_id", "ID", True),
    ("query", "Query", True),
    ("actual_output", "Actual Output", True),
    ("expected_output", "Expected Output", False),
    ("retrieved_content", "Retrieved Content", False),
    ("conversation", "Conversation", False),
    ("latency", "Latency", False),
    ("tools_called", "Tools Called", False),
    ("expected_tools", "Expected Tools", False),
    ("acceptance_criteria", "Acceptance Criteria", False),
]
REQUIRED = [f for f, _, req in FIELDS if req]
# Columns of scored data that are never inputs.
_RESULT_COLUMNS = {"metric_name", "metric_score", "metric_type", "parent", "weight", "explanation",
                   "signals", "passed", "threshold", "metric_key", "metric_metadata", "cost_estimate",
                   "tokens_in", "tokens_out", "model_name", "llm_provider", "version", "error", "run_id"}
PREVIEW_ROWS, PREVIEW_COLUMNS = 3, 5
# What the runner asks for before it can start a metric: {metric key: [parameter]}. The
# custom binary judge is an instruction and nothing else; without one it cannot run.
METRIC_PARAMS: dict[str, list[dict]] = {
    "binary_judge": [{"name": "instruction", "label": "Judge instruction", "required": True,
                      "placeholder": "Score 1 when the answer follows the policy and cites a source; "
                                     "else 0."}],
}
MAX_PARAM_CHARS = 20_000


def _datasets(store) -> list[dict]:
    df = store.datasets()
    if not len(df):
        return []
    keep = [c for c in ("name", "kind", "layout", "rows", "records", "columns") if c in df.columns]
    return records(df[keep])


def _columns(store, name: str) -> list[str]:
    info = store.info(name)
    cols = [c["name"] if isinstance(c, dict) else str(c) for c in info.get("columns", [])]
    return [c for c in cols if c not in _RESULT_COLUMNS]


def _default_name(existing: set[str], source: str | None) -> str:
    base = f"{source}_eval" if source else "eval_run"
    name, i = base, 2
    while name in existing:
        name, i = f"{base}_{i}", i + 1
    return name


def _catalogue(mapped: set[str]) -> list[dict]:
    from ..evals.api import metrics_catalogue

    out = []
    for m in metrics_catalogue().to_dict("records"):
        req = list(m.get("required_fields") or [])
        out.append({
            "key": m["key"], "name": m["name"], "needs_llm": bool(m["needs_llm"]),
            "required_fields": req, "optional_fields": list(m.get("optional_fields") or []),
            "threshold": m.get("threshold"), "direction": m.get("direction"),
            "tags": list(m.get("tags") or []), "description": m.get("description") or "",
            "compatible": set(req) <= mapped, "params": METRIC_PARAMS.get(m["key"], []),
        })
    return out


def setup(store, dataset=None, *, source: str | None = None) -> dict:
    """Everything the runner shows before a run starts."""
    from ..evals.api import suggest_mapping
    from ..evals.runs import list_runs
    from ..llm import configured

    datasets = _datasets(store)
    names = {d["name"] for d in datasets}
    if source is not None and source != "" and source not in names:
        store.info(source)  # NotFoundError naming the datasets
    columns: list[str] = []
    preview: dict[str, Any] = {"columns": [], "rows": []}
    mapping: dict[str, str] = {}
    if source:
        columns = _columns(store, source)
        mapping = suggest_mapping(columns)
        frame, _total = store.rows(source, page=1, page_size=PREVIEW_ROWS)
        shown = [c for c in columns if c in frame.columns][:PREVIEW_COLUMNS]
        preview = {"columns": shown, "rows": jsonable(frame[shown].head(PREVIEW_ROWS).values.tolist())}
    mapped = set(mapping) | ({"dataset_id"} if source else set())
    try:
        runs = list_runs(5)
    except Exception:  # noqa: BLE001 - the list is a convenience
        runs = []
    from ..evals.results import list_runs as stored_runs
    from ..llm.providers import PROVIDERS, env_provider, resolve

    results = records(stored_runs(store)[["name", "source", "metrics", "agent", "records", "updated"]])
    return jsonable({
        "datasets": datasets, "source": source or None, "columns": columns, "preview": preview,
        "mapping": mapping, "required": REQUIRED,
        "fields": [{"field": f, "label": label, "required": req} for f, label, req in FIELDS],
        "metrics": _catalogue(mapped), "llm_configured": configured(),
        "providers": {p: configured(provider=p) for p in PROVIDERS},
        "judge": dict(zip(("provider", "model"), resolve())), "default_provider": env_provider(),
        "runs": runs, "results": results,
        "defaults": {"name": _default_name(names, source), "concurrency": 8},
    })


def configured_metrics(metrics: list, metric_params: dict | None) -> list:
    """``metrics`` with the parameters each needs: a key stays a key, a configured one
    becomes {key, **parameters}; a required parameter that is missing or empty is an error
    naming it (before the run starts, so the runner shows it beside its Start button)."""
    given = metric_params or {}
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise ParameterError("metric_params must be an object {metric: {parameter: value}}.",
                             param="metric_params")
    unknown = [k for k in given if k not in metrics]
    if unknown:
        raise ParameterError(f"metric_params names {unknown[0]!r}, which is not a selected metric.",
                             param="metric_params")
    out: list = []
    for key in metrics:
        spec = METRIC_PARAMS.get(key, [])
        values = dict(given.get(key) or {})
        known = {p["name"] for p in spec}
        extra = [n for n in values if n not in known]
        if extra:
            raise ParameterError(f"{key} has no parameter {extra[0]!r}"
                                 + (f" (parameters: {', '.join(sorted(known))})." if known else "."),
                                 param=f"metric_params.{key}.{extra[0]}")
        for p in spec:
            v = values.get(p["name"])
            if isinstance(v, str):
                v = values[p["name"]] = v.strip()
            if p.get("required") and not v:
                raise ParameterError(f"{key} needs its {p['label'].lower()}: write what the judge should check.",
                                     param=f"metric_params.{key}.{p['name']}")
            if v is not None and (not isinstance(v, str) or len(v) > MAX_PARAM_CHARS):
                raise ParameterError(f"{key}'s {p['label'].lower()} must be text of at most "
                                     f"{MAX_PARAM_CHARS:,} characters.", param=f"metric_params.{key}.{p['name']}")
        out.append({"key": key, **values} if values else key)
    return out


def start(store, dataset=None, *, source: str, metrics: list, mapping: dict | None = None,
          name: str | None = None, concurrency: int = 8, agent: dict | None = None,
          provider: str | None = None, model: str | None = None,
          metric_params: dict | None = None) -> dict:
    """Start a run of ``metrics`` over dataset ``source``; answers its id and first status."""
    from ..evals.runs import run_status, start_run

    if not source or not isinstance(source, str):
        raise QueryError("pick a dataset to evaluate.")
    if not isinstance(metrics, list) or not metrics:
        raise QueryError("select at least one metric.")
    metrics = configured_metrics(metrics, metric_params)
    mapping = dict(mapping or {})
    for field in ("query",) if agent else ("query", "actual_output"):
        if not mapping.get(field):
            raise QueryError(f"map a column to the required field {field!r}"
                             + (" (or connect an agent to fill it)." if field == "actual_output" else "."))
    # Datasets only: this action also answers HTTP requests, and must not load server files.
    run_id = start_run(store, source, metrics, mapping=mapping, name=name or None,
                       concurrency=concurrency, allow_files=False, public_errors=True,
                       agent=agent or None, provider=provider or None, model=model or None)
    return jsonable({"run_id": run_id, "status": run_status(run_id)})


def test_agent(store, dataset=None, *, agent: dict, query: str = "Hello, how are you?") -> dict:
    """"Test connection": one call to the agent, from where runs execute."""
    if hasattr(store, "test_agent"):
        return jsonable(store.test_agent(agent, query))
    from ..evals.agent import test_connection

    return jsonable(test_connection(agent, query))


def open_run(store, dataset=None, *, name: str) -> dict:
    """A stored run: settings, summary, failed rows and the runs it can be compared with."""
    from ..evals.results import list_runs, open_run as reopen

    run = reopen(store, name)
    cfg = run.config
    failed = run.failed()
    others = list_runs(store)
    earlier = [n for n, s in zip(others["name"], others["source"]) if s == cfg.get("source") and n != name]
    return jsonable({"dataset": name, "config": {k: v for k, v in cfg.items() if not k.startswith("_")},
                     "run_id": cfg.get("_run_id"), "summary": records(run.summary()),
                     "failed": int(len(failed)), "records": run.info.get("records"), "earlier": earlier})


def export(store, dataset=None, *, name: str, format: str = "csv") -> dict:
    """The results of run ``name`` as a file, base64-encoded for the browser to save."""
    import base64

    from ..evals.results import MIME, export_bytes, open_run as reopen

    if format not in MIME:
        raise QueryError(f"format must be one of {', '.join(MIME)}, not {format!r}.")
    data = export_bytes(reopen(store, name).frame(), format)
    return {"filename": f"{name}.{format}", "mime": MIME[format], "size": len(data),
            "base64": base64.b64encode(data).decode("ascii")}


def rerun(store, dataset=None, *, name: str) -> dict:
    """Score the failed rows of run ``name`` again, as a run the view follows."""
    from ..evals.runs import run_status, start_rerun

    run_id = start_rerun(store, name)
    return jsonable({"run_id": run_id, "status": run_status(run_id)})


def compare(store, dataset=None, *, name: str, earlier: str) -> dict:
    """Runs ``earlier`` and ``name`` in one dataset (``<name>_vs_<earlier>``) to compare."""
    from ..evals.results import open_run as reopen

    ds = reopen(store, name).compare_with(earlier)
    return {"dataset": ds.name, "baseline": earlier, "challenger": name}


def status(store, dataset=None, *, run_id: str) -> dict:
    from ..evals.runs import run_status

    return jsonable(run_status(run_id))


def cancel(store, dataset=None, *, run_id: str) -> dict:
    from ..evals.runs import cancel_run

    return jsonable(cancel_run(run_id))


SPEC = ViewSpec(
    name=VIEW,
    description="Evaluation runner: mapping, metrics, live progress, results",
    actions={"setup": setup, "start": start, "status": status, "cancel": cancel,
             "test_agent": test_agent, "open_run": open_run, "export": export, "rerun": rerun,
             "compare": compare},
    # Actions that write (start a run, store a comparison) or call out (the agent) need
    # ``axis:evals`` write; reading a run or downloading it does not.
    guarded={a: "axis:evals" for a in ("start", "cancel", "test_agent", "rerun", "compare")},
)
