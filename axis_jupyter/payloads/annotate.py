"""What the annotation view shows (reference: upstream-ui.md §1.6 "Annotation Studio").

One record at a time with the current annotator's label, a page of the filtered record
list for the progress sidebar, and the counts. The annotator is never a parameter: it is
the user the face decided (:func:`axis_jupyter.alignment.identity.current_annotator`: the
authenticated user when the server runs the action, the Jupyter user in a kernel).

``payload`` {status?, search?, run_id?, position?} -> annotator, counts, the sidebar page
            around ``position`` and the record there
``page``    {status?, search?, run_id?, offset?, limit?} -> a page of the list and counts
``record``  {record_id? | after? | before? | position?, status?, search?, run_id?} -> one
            record (fields, position, everyone's labels, ``mine``)
``label``   {record_id, judgment?, score?, tags?, critique?, flagged?} -> {label, counts}
``undo``    {revision?} -> {label, counts}
"""

from __future__ import annotations

from ..alignment import records as R
from ..alignment import service
from ..alignment.annotation_store import undo as undo_change
from ..alignment.identity import current_annotator
from ..errors import NotFoundError, ParameterError
from ..wire import jsonable
from .registry import ViewSpec

VIEW = "annotate"
# Any dataset with records can be labelled; these are the usual ones.
KINDS = ("evals", "annotations", "monitoring", "signals")
PAGE = 100


def _counts(page: dict) -> dict:
    return {k: page[k] for k in ("total", "matching", "labelled", "pending", "flagged")}


def payload(store, dataset, *, status: str = "all", search: str | None = None,
            run_id: str | None = None, position: int = 0) -> dict:
    """Everything the view draws first."""
    annotator = current_annotator()
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise ParameterError("position must be an integer >= 0.", param="position")
    offset = (position // PAGE) * PAGE
    page = service.records_page(store, dataset, annotator, status=status, search=search,
                                offset=offset, limit=PAGE, run_id=run_id)
    record = None
    if page["matching"]:
        try:
            record = service.record(store, dataset, annotator,
                                    position=min(position, page["matching"] - 1), status=status,
                                    search=search, run_id=page["run_id"])
        except NotFoundError:  # the list changed meanwhile: start at its top
            record = None
    return jsonable({"annotator": annotator, "dataset": dataset, "status": status,
                     "run_id": page["run_id"], "counts": _counts(page),
                     "page": {"offset": page["offset"], "records": page["records"]},
                     "record": record, "statuses": list(R.STATUSES)})


def page(store, dataset, *, status: str = "all", search: str | None = None,
         run_id: str | None = None, offset: int = 0, limit: int = PAGE) -> dict:
    return jsonable(service.records_page(store, dataset, current_annotator(), status=status,
                                         search=search, offset=offset, limit=limit,
                                         run_id=run_id))


def record(store, dataset, *, record_id: str | None = None, after: str | None = None,
           before: str | None = None, position: int | None = None, status: str = "all",
           search: str | None = None, run_id: str | None = None) -> dict:
    return jsonable(service.record(store, dataset, current_annotator(), record_id=record_id,
                                   position=position, after=after, before=before, status=status,
                                   search=search, run_id=run_id))


def _progress(store, dataset, annotator) -> dict:
    return _counts(service.records_page(store, dataset, annotator, limit=1))


def label(store, dataset, **fields) -> dict:
    """Set the given fields of the annotator's label of ``record_id``."""
    annotator = current_annotator()
    out = service.set_label(store, dataset, annotator, fields)
    return jsonable({"label": out, "counts": _progress(store, dataset, annotator)})


def undo(store, dataset, *, revision: int | None = None) -> dict:
    """Revert change ``revision`` (default: the annotator's latest one not undone)."""
    annotator = current_annotator()
    out = undo_change(store, dataset, annotator, revision)
    return jsonable({"label": out, "counts": _progress(store, dataset, annotator)})


SPEC = ViewSpec(
    name=VIEW,
    description="Annotation: label records one at a time, keyboard first, with progress",
    actions={"payload": payload, "page": page, "record": record, "label": label, "undo": undo},
    kinds=KINDS,
)
