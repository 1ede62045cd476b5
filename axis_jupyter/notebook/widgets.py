"""The views as notebook widgets (anywidget), and how a face runs a view action.

A view is three small parts: its payload module in the engine (``axis_jupyter/payloads/``,
what it shows), its front end (``widgets/src/views/<view>.js``, listed in
``widgets/src/registry.js``; one bundle holds every view) and a widget class here that names
the view and its first parameters. Every widget derives from :class:`AxisView`.

Synced traits:
  ``view``        the view's registry name
  ``dataset``     the dataset name ("" for views without one)
  ``params``      the view's current parameters (filters, ...) — set by the front end when the
                  user changes them (the monitor: once the view has redrawn, as the snapshot),
                  readable from Python (``w.params["filters"]``)
  ``snapshot``    the last payload the front end rendered; computed in Python on creation and
                  updated by the front end after each render, so a notebook saved with widget
                  state shows the last rendered state without a kernel
  ``transport``   ``"server"`` when the dataset lives in the Jupyter server's store (the front
                  end then calls ``{base_url}axis/api`` directly and stays interactive while a
                  cell runs) or ``"kernel"`` (calls go through this widget)
  ``server_base`` the base_url path of that server ("/user/x/"), so the front end only uses
                  HTTP when its page is served by the same server

The kernel protocol (anywidget custom messages):
  front end -> kernel  ``{"kind": "axis-call", "id": str, "action": str, "params": {...}}``
  kernel -> front end  ``{"kind": "axis-reply", "id": str, "result": {...}, "ms": float}`` or
                       ``{"kind": "axis-reply", "id": str, "error": "message", "ms": float}``
The HTTP transport sends the same params as the JSON body of ``POST {base_url}axis/api/
datasets/{dataset}/views/{view}/{action}`` and gets the same result: both run
:func:`call_action`.
"""

from __future__ import annotations

import html
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import anywidget
import traitlets

from ..errors import AxisError, QueryError
from ..payloads import params as view_params
from ..payloads import registry
from ..wire import jsonable
from . import charts, static_html

STATIC = Path(__file__).resolve().parent.parent / "static"
#: the one front-end bundle of every view (widgets/src/axis.js, built by `make widgets`)
BUNDLE = "axis"
API_SUFFIX = "axis/api/"


def bundle(ext: str = "js") -> Path | str:
    """The built front end of every view: ``axis_jupyter/static/axis.<ext>``.

    All views share one module (its ``render`` picks the view named by the ``view`` trait),
    so Vega is shipped once. When the bundle has not been built (a source checkout without
    ``make``), returns a tiny module that says how to build it instead of failing at import
    time (and no CSS).
    """
    path = STATIC / f"{BUNDLE}.{ext}"
    if path.exists():
        return path
    if ext == "css":
        return ""
    return ("export default { render({ model, el }) { el.textContent = "
            "'AXIS: the ' + model.get('view') + ' front end is not built; run `make widgets` "
            "(cd widgets && npm ci && npm run build).'; } };")


# ----------------------------------------------------------------------------- running actions
def call_action(store, dataset: str | None, view: str, action: str, params: dict | None = None) -> dict:
    """Run a view action in this process and build the charts it names: what the widget's
    kernel transport and the server extension's HTTP route both answer."""
    return charts.attach(registry.call_action(store, dataset, view, action, params))


def is_remote(store) -> bool:
    """True when ``store`` is a client of the Jupyter server's store (not embedded here)."""
    from ..store.local import LocalStore

    return not isinstance(store, LocalStore)


def run_action(store, dataset: str | None, view: str, action: str, params: dict | None) -> dict:
    """Run a view action where the data lives: in this process for an embedded store, or
    on the server for a remote store (``store.view_action``, which runs :func:`call_action`
    there)."""
    if is_remote(store) and hasattr(store, "view_action"):
        return store.view_action(view, action, dataset=dataset, **(params or {}))
    return call_action(store, dataset, view, action, params)


def _server_base(store) -> str:
    """The base_url path of the Jupyter server whose store this is ("" when unknown)."""
    url = getattr(store, "url", None) or os.environ.get("AXIS_SERVER_URL") or ""
    if not isinstance(url, str) or not url:
        return ""
    path = urlparse(url).path or "/"
    if not path.endswith("/"):
        path += "/"
    if path.endswith(API_SUFFIX):
        path = path[: -len(API_SUFFIX)]
    return path or "/"


def _branding() -> dict:
    from .. import branding

    return branding.load()


def resolve(ds_or_name, store=None):
    """(store, dataset name) from a Dataset, or a name plus an optional store."""
    from ..store.base import Dataset

    if isinstance(ds_or_name, Dataset):
        return (store or ds_or_name.store), ds_or_name.name
    if store is None:
        from .. import connect

        store = connect()
    return store, ds_or_name


# ----------------------------------------------------------------------------- the base class
class AxisView(anywidget.AnyWidget):
    """Base class of the AXIS views. Subclasses set ``view_name``; the front end (one bundle
    for every view) renders the view of that name."""

    _esm = bundle()
    _css = bundle("css")
    view_name: str = ""
    #: the action whose result is the view's main state (kept in ``snapshot``)
    payload_action: str = "payload"
    #: the ``params`` the payload action takes (None: all of them)
    payload_keys: tuple[str, ...] | None = None
    #: what ``%axis show VIEW [DATASET] key=value ...`` accepts
    options: tuple[str, ...] = ()
    #: False for views that show no single dataset
    needs_dataset: bool = True
    #: True for views whose actions must run in this kernel even for a server's store
    kernel_only: bool = False

    view = traitlets.Unicode("").tag(sync=True)
    dataset = traitlets.Unicode("").tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    snapshot = traitlets.Dict().tag(sync=True, echo_update=False)
    transport = traitlets.Unicode("kernel").tag(sync=True)
    server_base = traitlets.Unicode("").tag(sync=True)
    #: theme.yaml palette and agents.yaml registry (axis_jupyter.branding), read once
    branding = traitlets.Dict().tag(sync=True)

    def __init__(self, ds_or_name=None, store=None, *, params: dict | None = None,
                 compute: bool = True, **kwargs):
        store, name = resolve(ds_or_name, store)
        if name is None and self.needs_dataset:
            raise AxisError(f"{type(self).__name__} needs a dataset (a Dataset or its name).")
        if name:
            store.info(name)  # a clear NotFoundError now rather than an empty widget
        self._store = store
        remote = is_remote(store) and not self.kernel_only
        super().__init__(view=self.view_name, dataset=name or "", params=dict(params or {}),
                         transport="server" if remote else "kernel",
                         server_base=_server_base(store) if remote else "",
                         branding=_branding(), **kwargs)
        self.on_msg(self._on_custom_msg)
        if compute:
            self.refresh()

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        """The widget ``%axis show VIEW [DATASET] key=value ...`` displays."""
        cls.check_options(options)
        return cls(dataset or _only_dataset(store, cls.view_name), store=store, **options)

    @classmethod
    def check_options(cls, options: dict) -> None:
        """An option ``%axis show`` does not know for this view is an error naming them all."""
        unknown = set(options) - set(cls.options)
        if unknown:
            raise QueryError(f"{cls.view_name} options are {', '.join(sorted(cls.options))} "
                             f"(got {', '.join(sorted(unknown))}).")

    # -- Python API ------------------------------------------------------------------
    @property
    def store(self):
        return self._store

    @property
    def kpis(self) -> dict:
        return dict(self.snapshot.get("kpis") or {})

    def call(self, action: str, params: dict | None = None) -> dict:
        """Run one of this view's actions (what the front end does on a click)."""
        if self.kernel_only:
            return call_action(self._store, self.dataset or None, self.view, action, params)
        return run_action(self._store, self.dataset or None, self.view, action, params)

    def refresh(self) -> dict:
        """Recompute the main payload for the current ``params`` and store it in ``snapshot``."""
        self.snapshot = self.call(self.payload_action, self.payload_params())
        return self.snapshot

    def payload_params(self) -> dict:
        """The parameters of the payload action, from ``params``."""
        if self.payload_keys is None:
            return dict(self.params)
        return {k: self.params[k] for k in self.payload_keys if k in self.params}

    # -- kernel transport --------------------------------------------------------------
    def handle_call(self, msg: dict) -> dict:
        """Answer one front-end call: run the action, return the reply message."""
        reply: dict[str, Any] = {"kind": "axis-reply", "id": msg.get("id")}
        t0 = time.perf_counter()
        try:
            action = msg.get("action")
            if not isinstance(action, str) or not action:
                raise AxisError("a call needs an action name.")
            call_params = msg.get("params") or {}
            if not isinstance(call_params, dict):
                raise AxisError("call params must be an object.")
            reply["result"] = jsonable(self.call(action, call_params))
        except AxisError as exc:
            reply["error"] = str(exc)
        except Exception as exc:  # a bug: still answer, so the front end does not hang
            reply["error"] = f"{type(exc).__name__}: {exc}"
        reply["ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return reply

    def _on_custom_msg(self, _widget, content, buffers) -> None:
        if isinstance(content, dict) and content.get("kind") == "axis-call":
            self.send(self.handle_call(content))

    # -- static fallback --------------------------------------------------------------
    def static_html(self) -> str:
        """HTML of the last state for renderers without widgets (nbviewer, GitHub, exports)."""
        render = static_html.RENDERERS.get(self.view)
        if render is not None:
            return render(self.snapshot)
        body = html.escape(json.dumps(self.snapshot, indent=1)[:4000])
        return (f"<div class='axis-static'><b>AXIS {html.escape(self.view)}</b> — "
                f"{html.escape(self.dataset)}<pre>{body}</pre></div>")

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if data is None:
            return None
        if isinstance(data, tuple):
            data, meta = data
        else:
            meta = None
        data = dict(data)
        try:
            data["text/html"] = self.static_html()
        except Exception:  # never break display because of the fallback
            pass
        return (data, meta) if meta is not None else data


KIND_LABELS = {"evals": "evaluation", "monitoring": "monitoring"}


def _only_dataset(store, view: str) -> str:
    """The one dataset of the view's kind, for ``%axis show VIEW`` without a name."""
    kind = registry.get_view(view).kinds[0]
    ds = store.datasets()
    names = ds[ds["kind"] == kind]["name"].tolist() if len(ds) else []
    if len(names) != 1:
        raise QueryError(f"name the dataset: %axis show {view} NAME "
                         f"({KIND_LABELS.get(kind, kind)} datasets: {', '.join(names) or 'none'}).")
    return names[0]


# ----------------------------------------------------------------------------- the views
class _WithOutputArea:
    """A view that opens other views below itself (the runner's "Open scorecard", the data
    manager's "Open"): ``output`` is that area and ``container`` (what the magic displays,
    and what displaying the view shows) holds the view and the area."""

    def _make_output_area(self) -> None:
        import ipywidgets

        self.output = ipywidgets.Output()

    def _show_below(self, widget) -> None:
        self.output.outputs = ()
        self.output.append_display_data(widget)

    def _say_below(self, text: str) -> None:
        self.output.outputs = ()
        self.output.append_stdout(f"AXIS: {text}\n")

    @property
    def container(self):
        import ipywidgets

        box = getattr(self, "_container", None)
        if box is None:
            box = self._container = ipywidgets.VBox([self, self.output])
        return box

    def _ipython_display_(self):
        from IPython.display import display

        display(self.container)


class _EvaluationView(AxisView):
    """A view of one evaluation dataset whose first parameters are the experiments shown and
    the pass threshold."""

    payload_keys = ("filters", "threshold")
    options = ("experiment", "threshold")

    def __init__(self, ds_or_name=None, store=None, *, experiment=None, threshold=None,
                 filters: dict | None = None, **kwargs):
        super().__init__(ds_or_name, store, params=view_params.experiment_params(experiment, threshold, filters),
                         **kwargs)


class Scorecard(_EvaluationView):
    """The evaluation scorecard of a dataset: KPI cards, the weighted metric hierarchy
    (expand/collapse, sort, 5-bin sparklines), a tidy metric tree (aggregated or per case),
    a drill-down into each metric's cases and an experiment filter.

    ``Scorecard(ds)``, ``Scorecard("name")`` (shared store) or ``Scorecard("name", store=s)``;
    ``experiment="baseline"`` (or a list, or "a,b") preselects experiments, ``threshold``
    sets the pass threshold (default 0.5). ``w.params["filters"]`` is the filter the user
    picked; ``w.call("cases", {"metric": "tone"})`` runs the same action the front end does.
    """

    view_name = "scorecard"


class DeepDive(_EvaluationView):
    """Deep dive into one evaluation dataset: overview KPIs and charts, distributions,
    tradeoffs (scatter + correlation), response length, conversation turns, metadata
    breakdown and the test-case panel; ``experiment`` and ``threshold`` as for
    :class:`Scorecard`. ``w.call("length", {"metric": "tone"})`` runs the same action the
    front end does."""

    view_name = "deepdive"


class Compare(AxisView):
    """Experiments compared, in two modes: ``mode="cases"`` (the default) shows every
    experiment side by side per test case (search, quick filters such as high variance,
    sort, paging, a case dialog, CSV of everything filtered); ``mode="experiments"`` is the
    head to head of two: verdict, per-metric statistics (paired t / Wilcoxon or Welch,
    Cohen's d, 95% CI, Holm), win/loss, the case diff, charts and export.

    ``Compare(ds, baseline="a", challenger="b", mode="experiments")``;
    ``w.call("test_cases", {"quick": "variance"})`` runs the same action as the front end."""

    view_name = "compare"
    payload_keys = ("baseline", "challenger", "metrics", "filters", "alpha", "tie_band", "threshold")
    options = ("baseline", "challenger", "metrics", "alpha", "mode")

    def __init__(self, ds_or_name=None, store=None, *, baseline=None, challenger=None, metrics=None,
                 filters: dict | None = None, alpha=None, mode=None, **kwargs):
        if mode not in (None, "", "cases", "experiments"):
            raise QueryError(f"mode must be cases or experiments, not {mode!r}.")
        first: dict[str, Any] = {"filters": dict(filters or {})}
        if mode:
            first["mode"] = mode
        for k, v in (("baseline", baseline), ("challenger", challenger), ("metrics", metrics), ("alpha", alpha)):
            if v not in (None, "", []):
                first[k] = float(v) if k == "alpha" else v
        super().__init__(ds_or_name, store, params=first, **kwargs)


class Monitor(AxisView):
    """Production monitoring of a dataset: filters and time window, category tabs, KPI
    cards, score trends with bands, latency histogram, pass rates, failing outputs, a
    trace table and trace details, classification, analysis insights and alerts.

    ``Monitor(ds, time="7d", granularity="day", filters={"environment": "prod"})``;
    ``w.call("traces", {"search": "refund"})`` runs the same action the front end does.
    """

    view_name = "monitor"
    payload_keys = ("filters", "time", "time_range", "anchor", "granularity", "bins", "group_by", "threshold")
    options = ("time", "granularity", "anchor", *view_params.MONITOR_FILTERS)

    def __init__(self, ds_or_name=None, store=None, *, time="24h", granularity=None, filters=None,
                 anchor="data", **kwargs):
        first = {"filters": dict(filters or {}), "time": time, "anchor": anchor,
                 "granularity": granularity or ("day" if time in ("7d", "30d", "all") else "hour")}
        super().__init__(ds_or_name, store, params=first, **kwargs)

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        """``%axis show monitor [DATASET] [time=24h] [granularity=hour] [environment=prod]``."""
        cls.check_options(options)
        filters = {k: options.pop(k) for k in list(options) if k in view_params.MONITOR_FILTERS}
        return cls(dataset or _only_dataset(store, cls.view_name), store=store, filters=filters, **options)


class Production(AxisView):
    """Production overview: Agent KPIs (cards, trends, composition) from a KPI dataset and AI
    Quality (alerts badge, executive summary, source -> component -> metric scorecard) from
    a monitoring dataset. ``Production(mon_ds, kpi="kpi_ds", filters={"source_name": "Atlas"})``."""

    view_name = "production"
    payload_keys = ("filters", "kpi", "signals")
    options = ("kpi", "signals", "source_name", "environment", "segment", "source_type", "source_component")

    def __init__(self, ds_or_name=None, store=None, *, kpi=None, signals=None, filters=None, **kwargs):
        if ds_or_name is None:
            ds_or_name = kpi if kpi is not None else signals
        first: dict[str, Any] = {"filters": dict(filters or {})}
        for key, value in (("kpi", kpi), ("signals", signals)):
            if value:
                first[key] = value if isinstance(value, str) else getattr(value, "name", value)
        super().__init__(ds_or_name, store, params=first, **kwargs)

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        """``%axis show production [MONITORING] [kpi=KPI] [signals=SIGNALS] [source_name=...]``:
        with neither MONITORING nor KPI named, the one monitoring and the one KPI dataset of
        the store."""
        cls.check_options(options)
        kpi = options.pop("kpi", None)
        signals = options.pop("signals", None)
        if dataset is None and kpi is None and signals is not None:
            return cls(None, store=store, signals=signals, filters=options)
        if dataset is None and kpi is None:
            ds = store.datasets()
            mons = ds[ds["kind"] == "monitoring"]["name"].tolist() if len(ds) else []
            kpis = ds[ds["kind"] == "kpi"]["name"].tolist() if len(ds) else []
            if len(mons) > 1 or len(kpis) > 1 or not (mons or kpis):
                raise QueryError("name the datasets: %axis show production MONITORING [kpi=KPI] "
                                 f"(monitoring: {', '.join(mons) or 'none'}; kpi: {', '.join(kpis) or 'none'}).")
            dataset = mons[0] if mons else None
            kpi = kpis[0] if kpis else None
        return cls(dataset, store=store, kpi=kpi, signals=signals, filters=options)


class Signals(AxisView):
    """The human-signals dashboard of a signals dataset: KPI strip with weekly sparklines,
    filters, trends, the chart sections of the display config, the case table and each case
    with its conversation. ``Signals(ds, filters={"environment": "prod"})``."""

    view_name = "signals"
    payload_keys = ("filters", "trend", "page_size")
    options = ("trend", "page_size", "source_name", "source_component", "source_type", "environment")

    def __init__(self, ds_or_name=None, store=None, *, filters=None, trend=None, page_size=25, **kwargs):
        first: dict[str, Any] = {"filters": dict(filters or {}), "page_size": int(page_size)}
        if trend:
            first["trend"] = trend
        super().__init__(ds_or_name, store, params=first, **kwargs)

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        """``%axis show signals [DATASET] [environment=prod] [trend=<metric>__<signal>]``."""
        cls.check_options(options)
        rest = {k: options.pop(k) for k in ("trend", "page_size") if k in options}
        return cls(dataset or _only_dataset(store, cls.view_name), store=store, filters=options, **rest)


class Database(AxisView):
    """Sources, sync status and a PostgreSQL browser (no dataset needed): ``Database(store)``.

    The browser's connections live in this kernel, so every action runs here, even for the
    Jupyter server's store."""

    view_name = "database"
    needs_dataset = False
    kernel_only = True

    def __init__(self, store=None, **kwargs):
        super().__init__(None, store, **kwargs)

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        """``%axis show database``."""
        if dataset is not None or options:
            raise QueryError("%axis show database takes no dataset or options.")
        return cls(store)


class _PlainView(AxisView):
    """A view that needs no Python beyond its payload module: ``%axis show`` options become
    its first ``params``."""

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        if dataset is None and cls.needs_dataset:
            dataset = _only_dataset(store, cls.view_name)
        return cls(dataset, store=store, params=options)


from .copilot_widgets import Copilot, Report  # noqa: E402  (they build on AxisView)
from .runner_widget import Runner  # noqa: E402  (builds on AxisView)
from .memory_widgets import GraphExplorer, RulesDashboard  # noqa: E402  (they build on _PlainView)

# The widget class of each view, by view name.
WIDGETS: dict[str, type[AxisView]] = {cls.view_name: cls for cls in (
    Scorecard, DeepDive, Compare, Monitor, Production, Signals, Runner, Database, Copilot, Report,
    RulesDashboard, GraphExplorer)}


def widget_class(view: str) -> type[AxisView]:
    """The widget class of ``view``: its own, else a :class:`_PlainView` made for it."""
    spec = registry.get_view(view)  # a clear NotFoundError for an unknown view
    if view == "datasets":
        from . import manager  # noqa: F401  (defines and registers Datasets)
    cls = WIDGETS.get(view)
    if cls is None:
        cls = WIDGETS[view] = type(f"{view.title().replace('_', '')}View", (_PlainView,), {
            "view_name": view, "needs_dataset": bool(spec.kinds), "__module__": __name__})
    return cls


def show(view: str, store, dataset: str | None = None, **options):
    """The widget of ``%axis show VIEW [DATASET] key=value ...``."""
    return widget_class(view).from_magic(store, dataset, **options)


def __getattr__(name: str):
    # Datasets lives in manager.py (it derives from AxisView); loaded on first use
    if name == "Datasets":
        from .manager import Datasets

        return Datasets
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Old names, kept: notebooks use them.
DeepDiveView, CompareView, DatabaseView = DeepDive, Compare, Database


# The alignment views' classes live in their own module (they import AxisView from here).
from .alignment_widgets import Annotate, Calibrate  # noqa: E402

WIDGETS.update({cls.view_name: cls for cls in (Annotate, Calibrate)})
