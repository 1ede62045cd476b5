"""The decision-memory widgets: the rules dashboard and the knowledge-graph explorer
(payloads: ``payloads/memory.py``, ``payloads/graph.py``; front ends:
``widgets/src/views/memory.js``, ``graph.js``)."""

from __future__ import annotations

from ..params import parse_text
from ..payloads import params as view_params
from .widgets import _PlainView


class RulesDashboard(_PlainView):
    """Decision memory of a rules dataset: summary, rules (filters, decision paths, editor),
    decision quality, hard stops, knowledge graph, batches. ``RulesDashboard(ds)``."""

    view_name = "memory"
    payload_keys = ("filters",)


class GraphExplorer(_PlainView):
    """The knowledge graph of a rules dataset on a canvas: search, type filters, expand a
    node's neighbourhood, node details. ``GraphExplorer(ds)``; ``limit=`` edges at first."""

    view_name = "graph"
    payload_keys = ("types", "limit", "filters")
    options = ("limit",)

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        """``%axis show graph [NAME] [limit=N]`` (NAME: the store's only rules dataset)."""
        cls.check_options(options)
        if "limit" in options:
            options["limit"] = parse_text("limit", str(options["limit"]), view_params.VIEW_PARAMS["limit"])
        return super().from_magic(store, dataset, **options)
