"""The data manager widget: ``%axis show datasets``, ``axis_jupyter.Datasets()`` and what a
store shows when it is the last expression of a cell.

The view itself is ``payloads/datasets.py`` (engine) and ``widgets/src/views/datasets.js``.
"Open" on a dataset's row sets ``open_request``; the widget then shows that view of the
dataset in its ``output`` area below the table (the same pattern as the runner's
"Open scorecard").
"""

from __future__ import annotations

import traitlets

from ..errors import QueryError
from . import static_html
from .widgets import WIDGETS, AxisView, _WithOutputArea, resolve, widget_class


class Datasets(_WithOutputArea, AxisView):
    """Every dataset of the store (kind, layout, rows, records, time range, size) with upload
    (drag and drop or a file picker, a preview of the first rows and the column mapping
    before anything is loaded), delete with confirmation and "open" for each view of a
    dataset. ``Datasets()`` (the shared store) or ``Datasets(store)``."""

    view_name = "datasets"
    needs_dataset = False

    #: {"view", "dataset", "n"}: set by the front end's "Open" buttons
    open_request = traitlets.Dict().tag(sync=True)

    def __init__(self, store=None, **kwargs):
        store, _ = resolve(None, store)
        super().__init__(None, store, **kwargs)
        self._make_output_area()
        self.opened = None
        self.observe(self._on_open_request, names="open_request")

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        """``%axis show datasets``: the data manager and the area where "Open" shows a view."""
        if dataset is not None or options:
            raise QueryError("%axis show datasets takes no dataset or options.")
        return cls(store).container

    def open_view(self, view: str, dataset: str):
        """Show ``view`` of ``dataset`` in ``output`` (what the row's Open button does)."""
        w = widget_class(view)(dataset, store=self._store)
        self.opened = w
        self._show_below(w)
        return w

    def _on_open_request(self, change) -> None:
        req = change.get("new") or {}
        if not req.get("view") or not req.get("dataset"):
            return
        try:
            self.open_view(req["view"], req["dataset"])
        except Exception as exc:  # noqa: BLE001 - say it where the view would be
            self._say_below(f"could not open {req['view']} of {req['dataset']!r}: {exc}")


def display_store(store) -> None:
    """What ``axis`` (a store) shows as a cell's value: the data manager."""
    from IPython.display import display

    display(Datasets(store).container)


def _static(snapshot: dict) -> str:
    """The data manager as plain HTML (nbviewer, GitHub, a notebook saved without widgets)."""
    import html

    from ..store.display import human_bytes

    rows = "".join(
        f"<tr><td>{html.escape(d['name'])}</td><td>{html.escape(str(d['kind']))}</td>"
        f"<td>{html.escape(str(d.get('layout') or ''))}</td><td>{d['rows']:,}</td>"
        f"<td>{d['records']:,}</td><td>{human_bytes(d.get('size_bytes'))}</td></tr>"
        for d in snapshot.get("datasets", []))
    return ("<div class='axis-static'><b>AXIS datasets</b><table><tr><th>name</th><th>kind</th>"
            f"<th>layout</th><th>rows</th><th>records</th><th>size</th></tr>{rows}</table></div>")


static_html.RENDERERS.setdefault("datasets", _static)
WIDGETS[Datasets.view_name] = Datasets
