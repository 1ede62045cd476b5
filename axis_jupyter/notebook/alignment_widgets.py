"""The widget classes of the alignment views: :class:`Annotate` and :class:`Calibrate`
(their payloads: ``axis_jupyter/payloads/annotate.py`` and ``calibrate.py``)."""

from __future__ import annotations

from ..errors import QueryError
from .widgets import AxisView


class Annotate(AxisView):
    """Label a dataset's records one at a time, keyboard first: the record (query, response,
    expected output, retrieved context, conversation), accept/reject or a 1-5 or custom
    score, tags, a critique, a flag, undo up to 20 steps, and a progress sidebar with the
    pending / done / flagged / disagreements lists. Labels are rows of the store.

    ``Annotate(ds)`` or ``Annotate("name")``; ``status="pending"`` opens a list,
    ``mode="1-5"`` (or ``"custom"`` with ``min``/``max``) the score buttons,
    ``run_id=`` the disagreements of a calibration run (default: the latest).
    """

    view_name = "annotate"
    options = ("status", "mode", "min", "max", "search", "run_id", "position")
    payload_keys = ("status", "search", "run_id", "position")

    def __init__(self, ds_or_name=None, store=None, *, params: dict | None = None, **options):
        self.check_options(options)
        given = {k: v for k, v in options.items() if v is not None}
        for key in ("min", "max", "position"):  # %axis show passes text
            if isinstance(given.get(key), str):
                try:
                    given[key] = int(given[key])
                except ValueError:
                    raise QueryError(f"{key} must be an integer, not {given[key]!r}.") from None
        super().__init__(ds_or_name, store, params={**(params or {}), **given})

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        if dataset is None:
            raise QueryError("name the dataset: %axis show annotate NAME")
        return cls(dataset, store=store, **options)


class Calibrate(AxisView):
    """Calibrate an LLM judge against the labels people gave: pattern insights from their
    critiques, the judge editor (model, prompt, few-shot examples), a run with progress,
    the comparison, the metrics (kappa with its interval, confusion matrix), misalignment
    analysis and optimised criteria with "Apply & re-run", and the judge version history.

    ``Calibrate(ds)`` or ``Calibrate("name")``; ``run_id=`` opens that run (default: the
    latest)."""

    view_name = "calibrate"
    options = ("run_id",)
    payload_keys = ("run_id",)

    def __init__(self, ds_or_name=None, store=None, *, run_id: str | None = None,
                 params: dict | None = None, **kwargs):
        p = dict(params or {})
        if run_id:
            p["run_id"] = run_id
        super().__init__(ds_or_name, store, params=p, **kwargs)

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        cls.check_options(options)
        if dataset is None:
            raise QueryError("name the dataset: %axis show calibrate NAME")
        return cls(dataset, store=store, **options)
