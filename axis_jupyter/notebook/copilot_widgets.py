"""The copilot and report widgets (payloads: ``payloads/copilot.py``, ``payloads/report.py``;
front ends: ``widgets/src/views/copilot.js``, ``report.js``)."""

from __future__ import annotations

from typing import Any

from ..errors import QueryError
from .widgets import AxisView


class Copilot(AxisView):
    """Ask the data in plain words: the thoughts and tool calls (with their SQL) stream in a
    panel, the answer shows as Markdown with the queries behind it, follow-ups continue the
    conversation. ``Copilot()`` covers every dataset of the shared store, ``Copilot(ds)``
    one dataset. Without ``ANTHROPIC_API_KEY`` it gives rule-based quick insights.
    ``w.call("ask", {"question": "..."})`` starts a question as the front end does."""

    view_name = "copilot"
    payload_action = "setup"
    payload_keys = ()
    needs_dataset = False

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        if options:
            raise QueryError(f"%axis show copilot takes a dataset at most (got options "
                             f"{', '.join(sorted(options))}).")
        return cls(dataset, store=store)


class Report(AxisView):
    """The AI report generator of an evaluation dataset: mode, type, threshold, sampling,
    metric and context-field pills; the report streams with its thoughts, then shows with
    its statistics and insight patterns, ready to copy or download as Markdown.
    ``Report(ds, node="Accuracy")`` preselects a branch of the metric tree."""

    view_name = "report"
    payload_action = "setup"
    payload_keys = ("node",)
    options = ("node",)

    def __init__(self, ds_or_name=None, store=None, *, node: str | None = None, **kwargs: Any):
        super().__init__(ds_or_name, store, params={"node": node} if node else {}, **kwargs)

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        from .widgets import _only_dataset

        cls.check_options(options)
        return cls(dataset or _only_dataset(store, cls.view_name), store=store, **options)
