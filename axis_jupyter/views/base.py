"""AxisView: the anywidget base class every AXIS view derives from.

A view is three things (see ``axis_jupyter/views/__init__.py`` for the registry):

1. **Actions** — plain functions ``action(store, dataset, **params) -> dict`` registered on a
   :class:`~axis_jupyter.views.ViewSpec`. They compute what the front end shows (aggregates,
   one page of rows, a small Vega-Lite spec) and return JSON-able dicts (use
   :func:`jsonable`). Both transports run them through
   :func:`axis_jupyter.views.call_action`: the server extension for HTTP, and this class's
   message handler for the kernel fallback.
2. **A widget class** — a subclass of :class:`AxisView` that sets ``view_name`` and
   optionally overrides :meth:`AxisView.static_html`. Its ``_esm`` and ``_css`` are this
   class's: the one bundle of every view (``axis_jupyter/static/axis.js`` and ``.css``).
3. **A front end** — ``widgets/src/views/<view>.js`` exporting ``render({model, el})``,
   listed in ``widgets/src/registry.js`` under ``view_name`` (see ``widgets/README.md``).

Synced traits:
  ``view``        the view's registry name
  ``dataset``     the dataset name
  ``params``      the view's current parameters (filters, ...) — set by the front end when the
                  user changes them, readable from Python (``w.params["filters"]``)
  ``snapshot``    the last payload the front end rendered; computed in Python on creation and
                  updated by the front end after each render, so a notebook saved with widget
                  state shows the last rendered state without a kernel
  ``transport``   hint: ``"server"`` when the dataset lives in the Jupyter server's store (the
                  front end then calls ``{base_url}axis/api`` directly and stays interactive
                  while a cell runs) or ``"kernel"`` (calls go through this widget)
  ``server_base`` the base_url path of that server ("/user/x/"), so the front end only uses
                  HTTP when its page is served by the same server

The kernel protocol (anywidget custom messages):
  front end -> kernel  ``{"kind": "axis-call", "id": str, "action": str, "params": {...}}``
  kernel -> front end  ``{"kind": "axis-reply", "id": str, "result": {...}}`` or
                       ``{"kind": "axis-reply", "id": str, "error": "message"}``
The HTTP transport sends the same params as the JSON body of ``POST {base_url}axis/api/
datasets/{dataset}/views/{view}/{action}`` and gets the same result dict back.
"""

from __future__ import annotations

import html
import json
import math
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import anywidget
import traitlets

from ..errors import AxisError, QueryError

STATIC = Path(__file__).resolve().parent.parent / "static"
#: the one front-end bundle of every view (widgets/src/axis.js, built by `make widgets`)
BUNDLE = "axis"


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


def jsonable(obj: Any) -> Any:
    """Make ``obj`` strict-JSON safe: NaN/inf -> None, numpy scalars -> Python, tuples -> lists."""
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, int):
        return obj
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and not hasattr(obj, "__len__"):  # numpy scalar
        return jsonable(obj.item())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    try:
        import pandas as pd

        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(obj, "tolist"):
        return jsonable(obj.tolist())
    return str(obj)


def records(df) -> list[dict]:
    """A DataFrame as strict-JSON-safe row dicts, as ``jsonable(df.to_dict("records"))``
    gives them (except that a missing timestamp is None, not "NaT"), converted column by
    column: pandas' row-wise to_dict and a jsonable walk of every value cost ~2 ms per frame,
    and views send several frames per update."""
    cols = [_json_column(df[name]) for name in df.columns]
    names = [str(c) for c in df.columns]
    return [dict(zip(names, row)) for row in zip(*cols)] if cols else [{} for _ in range(len(df))]


def _json_column(s) -> list:
    import numpy as np
    import pandas as pd

    kind = s.dtype.kind
    if kind in "iub":  # numpy ints/bools hold no missing values; nullable Int64/boolean may
        if isinstance(s.dtype, np.dtype) or not s.hasnans:
            return s.tolist()
        return [jsonable(v) for v in s.tolist()]
    if kind == "f":
        a = s.to_numpy(dtype="float64")
        finite = np.isfinite(a)
        return a.tolist() if finite.all() else np.where(finite, a, None).tolist()
    if kind == "M" and not isinstance(s.dtype, pd.DatetimeTZDtype):
        a = s.to_numpy()
        ok = ~np.isnat(a)
        ticks = a.astype("int64")
        per_s = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}.get(np.datetime_data(a.dtype)[0])
        if per_s and (per_s < 10**9 or (ticks[ok] % 1000 == 0).all()):
            # as Timestamp.isoformat: whole seconds without a fraction, else microseconds
            whole = ticks % per_s == 0
            text = np.datetime_as_string(a, unit="s")
            if not whole[ok].all():
                text = np.where(whole, text, np.datetime_as_string(a, unit="us"))
            return np.where(ok, text, None).tolist()
    if kind == "M":
        return [None if v is None or v != v else v.isoformat() for v in s.tolist()]
    if isinstance(s.dtype, pd.StringDtype):  # str, or a float NaN / NA when missing
        return [v if isinstance(v, str) else None for v in s.tolist()]
    return [jsonable(v) for v in s.tolist()]


def is_remote(store) -> bool:
    """True when ``store`` is a client of the Jupyter server's store (not embedded here)."""
    from ..store.local import LocalStore

    return not isinstance(store, LocalStore)


API_SUFFIX = "axis/api/"


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


def resolve(ds_or_name, store=None):
    """(store, dataset name) from a Dataset, or a name plus an optional store."""
    from ..store.base import Dataset

    if isinstance(ds_or_name, Dataset):
        return (store or ds_or_name.store), ds_or_name.name
    if store is None:
        from .. import connect

        store = connect()
    return store, ds_or_name


def experiment_params(experiment=None, threshold=None, filters: dict | None = None) -> dict:
    """A view's initial ``params``: ``filters``, with ``experiment`` (a name, a list or
    "a,b") preselecting experiments, and ``threshold`` the pass threshold."""
    f = dict(filters or {})
    if experiment not in (None, "", []):
        if isinstance(experiment, str) and "," in experiment:
            experiment = [e.strip() for e in experiment.split(",") if e.strip()]
        f["evaluation_name"] = experiment
    params: dict[str, Any] = {"filters": f}
    if threshold not in (None, ""):
        try:
            params["threshold"] = float(threshold)
        except (TypeError, ValueError):
            raise QueryError(f"threshold must be a number, got {threshold!r}.") from None
    return params


def run_action(store, dataset: str, view: str, action: str, params: dict | None) -> dict:
    """Run a view action where the data lives: in this process for an embedded store, or
    on the server for a remote store (``store.view_action``), which runs the same
    :func:`~axis_jupyter.views.call_action` there."""
    from . import call_action

    if is_remote(store) and hasattr(store, "view_action"):
        return store.view_action(view, action, dataset=dataset, **(params or {}))
    return call_action(store, dataset, view, action, params or {})


class AxisView(anywidget.AnyWidget):
    """Base class of AXIS inline views. Subclasses set ``view_name``; the front end (one
    bundle for every view) renders the view of that name."""

    _esm = bundle()
    _css = bundle("css")
    view_name: str = ""
    #: the action whose result is the view's main state (kept in ``snapshot``)
    payload_action: str = "payload"

    view = traitlets.Unicode("").tag(sync=True)
    dataset = traitlets.Unicode("").tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    snapshot = traitlets.Dict().tag(sync=True, echo_update=False)
    transport = traitlets.Unicode("kernel").tag(sync=True)
    server_base = traitlets.Unicode("").tag(sync=True)

    def __init__(self, ds_or_name=None, store=None, *, params: dict | None = None,
                 compute: bool = True, **kwargs):
        store, name = resolve(ds_or_name, store)
        if name is None:
            raise AxisError(f"{type(self).__name__} needs a dataset (a Dataset or its name).")
        store.info(name)  # a clear NotFoundError now rather than an empty widget
        self._store = store
        remote = is_remote(store)
        super().__init__(view=self.view_name, dataset=name, params=dict(params or {}),
                         transport="server" if remote else "kernel",
                         server_base=_server_base(store) if remote else "", **kwargs)
        self.on_msg(self._on_custom_msg)
        if compute:
            self.refresh()

    # -- Python API ------------------------------------------------------------------
    @property
    def store(self):
        return self._store

    def call(self, action: str, params: dict | None = None) -> dict:
        """Run one of this view's actions (what the front end does on a click)."""
        return run_action(self._store, self.dataset, self.view, action, params)

    def refresh(self) -> dict:
        """Recompute the main payload for the current ``params`` and store it in ``snapshot``."""
        self.snapshot = self.call(self.payload_action, self.payload_params())
        return self.snapshot

    def payload_params(self) -> dict:
        """The parameters of the payload action, from ``params`` (override to select keys)."""
        return dict(self.params)

    # -- kernel transport --------------------------------------------------------------
    def handle_call(self, msg: dict) -> dict:
        """Answer one front-end call: run the action, return the reply message."""
        call_id = msg.get("id")
        reply: dict[str, Any] = {"kind": "axis-reply", "id": call_id}
        t0 = time.perf_counter()
        try:
            action = msg.get("action")
            if not isinstance(action, str) or not action:
                raise AxisError("a call needs an action name.")
            params = msg.get("params") or {}
            if not isinstance(params, dict):
                raise AxisError("call params must be an object.")
            reply["result"] = jsonable(self.call(action, params))
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
