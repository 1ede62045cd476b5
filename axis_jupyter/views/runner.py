"""The evaluation runner view (reference: upstream-ui.md §1.2 "Runner").

``axis_jupyter.views.runner.Runner(dataset=None, store=None)`` or ``%axis show runner [DATASET]``.

Pick a dataset, check the suggested column mapping (canonical field -> column; ``dataset_id``,
``query`` and ``actual_output`` are required), choose metrics from the catalogue (filtered
to those whose required fields are mapped), name the run and its concurrency, start it and
watch the progress bar; the result summary (metric, mean, pass rate) has an "Open
scorecard" button that shows :class:`~axis_jupyter.views.scorecard.Scorecard` of the results
dataset below the runner (in an ``ipywidgets.Output`` the widget owns: ``Runner.output``;
``Runner.container`` holds both and is what the magic returns and what displaying a Runner
shows).

Runs go through :mod:`axis_jupyter.evals.runs` where the store lives: on the Jupyter
server (a server job with SSE progress) for the shared store, else a worker thread of the
kernel. The front end polls ``status`` every ~500 ms.

Actions (``action(store, dataset, **params) -> dict``; ``dataset`` is unused — the runner
works across datasets; over HTTP they are ``POST {base}axis/api/views/runner/{action}``):

``setup``   {source?} -> datasets, the source's columns, a 3-row preview, the suggested
            mapping, the canonical fields (required flags), the metric catalogue with
            ``compatible`` flags for the suggested mapping, whether an LLM key is set,
            recent runs and defaults (name, concurrency)
``start``   {source (a dataset name, never a file path), metrics, mapping?, name?,
            concurrency?} -> {run_id, status}
            (LLM metrics without a key: an error with the LLMNotConfigured message)
``status``  {run_id} -> the run status (state, done/total, fraction, running means, errors,
            summary once finished, ...; see ``axis_jupyter.evals.runs``)
``cancel``  {run_id} -> the run status after asking it to stop
"""

from __future__ import annotations

import html
from typing import Any

import traitlets

from ..errors import QueryError
from . import ViewSpec, register_view
from .base import AxisView, _server_base, is_remote, jsonable, records, resolve, run_action

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
            "compatible": set(req) <= mapped,
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
    return jsonable({
        "datasets": datasets, "source": source or None, "columns": columns, "preview": preview,
        "mapping": mapping, "required": REQUIRED,
        "fields": [{"field": f, "label": label, "required": req} for f, label, req in FIELDS],
        "metrics": _catalogue(mapped), "llm_configured": configured(),
        "runs": runs, "defaults": {"name": _default_name(names, source), "concurrency": 8},
    })


def start(store, dataset=None, *, source: str, metrics: list, mapping: dict | None = None,
          name: str | None = None, concurrency: int = 8) -> dict:
    """Start a run of ``metrics`` over dataset ``source``; answers its id and first status."""
    from ..evals.runs import run_status, start_run

    if not source or not isinstance(source, str):
        raise QueryError("pick a dataset to evaluate.")
    if not isinstance(metrics, list) or not metrics:
        raise QueryError("select at least one metric.")
    mapping = dict(mapping or {})
    for field in ("query", "actual_output"):
        if not mapping.get(field):
            raise QueryError(f"map a column to the required field {field!r}.")
    # Datasets only: this action also answers HTTP requests, and must not load server files.
    run_id = start_run(store, source, metrics, mapping=mapping, name=name or None,
                       concurrency=concurrency, allow_files=False, public_errors=True)
    return jsonable({"run_id": run_id, "status": run_status(run_id)})


def status(store, dataset=None, *, run_id: str) -> dict:
    from ..evals.runs import run_status

    return jsonable(run_status(run_id))


def cancel(store, dataset=None, *, run_id: str) -> dict:
    from ..evals.runs import cancel_run

    return jsonable(cancel_run(run_id))


ACTIONS = {"setup": setup, "start": start, "status": status, "cancel": cancel}


class Runner(AxisView):
    """The evaluation runner widget; ``Runner.container`` shows it with its scorecard area."""

    view_name = VIEW
    payload_action = "setup"

    #: the run the front end is watching (set by the front end, or by :meth:`start`)
    run_id = traitlets.Unicode("").tag(sync=True)
    #: {"dataset": name, "n": counter}: set by the front end's "Open scorecard" button
    scorecard_request = traitlets.Dict().tag(sync=True)

    def __init__(self, dataset=None, store=None, **kwargs):
        import anywidget
        import ipywidgets

        store, name = resolve(dataset, store)
        if name:
            store.info(name)  # a clear NotFoundError now
        self._store = store
        remote = is_remote(store)
        # AxisView.__init__ requires a dataset; the runner starts without one.
        anywidget.AnyWidget.__init__(
            self, view=VIEW, dataset=name or "", params={"source": name or None},
            transport="server" if remote else "kernel",
            server_base=_server_base(store) if remote else "", **kwargs)
        self.output = ipywidgets.Output()
        self.scorecard = None
        self.on_msg(self._on_custom_msg)
        self.observe(self._on_scorecard_request, names="scorecard_request")
        self.refresh()

    # -- Python API ------------------------------------------------------------------
    def call(self, action: str, params: dict | None = None) -> dict:
        return run_action(self._store, None, VIEW, action, params)

    def payload_params(self) -> dict:
        src = (self.params or {}).get("source") or self.dataset or None
        return {"source": src}

    def start(self, metrics: list, source: str | None = None, mapping: dict | None = None,
              name: str | None = None, concurrency: int = 8) -> str:
        """Start a run from Python (the front end follows it like a clicked Start)."""
        source = source or self.dataset
        if mapping is None:
            mapping = (self.call("setup", {"source": source}) or {}).get("mapping", {})
        out = self.call("start", {"source": source, "metrics": list(metrics), "mapping": mapping,
                                  "name": name, "concurrency": concurrency})
        self.run_id = out["run_id"]
        return self.run_id

    def status(self) -> dict:
        if not self.run_id:
            raise QueryError("no run started from this runner yet.")
        return self.call("status", {"run_id": self.run_id})

    def cancel(self) -> dict:
        if not self.run_id:
            raise QueryError("no run started from this runner yet.")
        return self.call("cancel", {"run_id": self.run_id})

    def open_scorecard(self, dataset: str | None = None):
        """Show the scorecard of ``dataset`` (default: the last run's results) in ``output``."""
        from .scorecard import Scorecard

        if dataset is None:
            dataset = self.status().get("dataset")
        if not dataset:
            raise QueryError("no results dataset to open yet.")
        sc = Scorecard(dataset, store=self._store)
        self.scorecard = sc
        self.output.outputs = ()
        self.output.append_display_data(sc)
        return sc

    def _on_scorecard_request(self, change) -> None:
        req = change.get("new") or {}
        name = req.get("dataset")
        if not name:
            return
        try:
            self.open_scorecard(name)
        except Exception as exc:  # noqa: BLE001 - show it where the scorecard would be
            self.output.outputs = ()
            self.output.append_stdout(f"AXIS: could not open the scorecard of {name!r}: {exc}\n")

    @property
    def container(self):
        """The runner and the area where "Open scorecard" shows the results."""
        import ipywidgets

        box = getattr(self, "_container", None)
        if box is None:
            box = self._container = ipywidgets.VBox([self, self.output])
        return box

    def _ipython_display_(self):
        from IPython.display import display

        display(self.container)

    # -- static fallback --------------------------------------------------------------
    def static_html(self) -> str:
        snap = self.snapshot or {}
        e = html.escape
        st = snap.get("last_status") or {}
        rows = "".join(
            f"<tr><td>{e(str(r.get('metric_name')))}</td><td>{_fmt(r.get('mean'))}</td>"
            f"<td>{_fmt(r.get('pass_rate'), pct=True)}</td></tr>" for r in st.get("summary") or [])
        head = f"AXIS runner — {e(str(snap.get('source') or 'no dataset selected'))}"
        if st:
            head += f" — run {e(str(st.get('run_id')))}: {e(str(st.get('state')))} → {e(str(st.get('dataset')))}"
        table = (f"<table><tr><th>metric</th><th>mean</th><th>pass rate</th></tr>{rows}</table>"
                 if rows else "")
        return f"<div class='axis-static axis-runner'><b>{head}</b>{table}</div>"


def _fmt(v, pct: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v * 100:.1f}%" if pct else f"{v:.3f}"


def widget(store, dataset=None, **options):
    """Factory for ``%axis show runner [DATASET]``: the runner with its scorecard area."""
    if options:
        raise QueryError("%axis show runner takes only an optional dataset name "
                         f"(got {', '.join(sorted(options))}).")
    return Runner(dataset, store=store).container


register_view(ViewSpec(name=VIEW, description="Evaluation runner: mapping, metrics, live progress, results",
                       widget=widget, actions=ACTIONS))

__all__ = ["ACTIONS", "FIELDS", "Runner", "cancel", "setup", "start", "status", "widget"]
