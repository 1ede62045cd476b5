"""Decision memory and the knowledge graph (FalkorDB).

    axis = axis_jupyter.connect()
    ds = axis.load("rules.csv", kind="rules", roles={"name": "title"})
    ds.rules_summary(); ds.hard_stops(); ds.conflicts()      # analytics (analytics/rules.py)
    rules = axis.rules("rules")                               # create / update / delete, history
    rules.update("R000001", action="refer")
    g = axis.graph("rules")                                   # FalkorDB, kept in step
    g.summary(); g.search("debt"); g.neighbourhood("RiskFactor:debt_to_income", depth=2)

Modules: :mod:`.schema` (node and edge types, ids, allowlists), :mod:`.model` (rules ->
nodes and edges), :mod:`.connection` (embedded falkordblite or ``AXIS_GRAPH_URL``),
:mod:`.build` (whole builds, one rule's change), :mod:`.queries` (reads),
:mod:`.api` (``axis.graph()`` on an embedded store), :mod:`.rules` (rule CRUD and history),
:mod:`.client` (both over HTTP for a server's store), :mod:`.demo` (generated rules).
"""

from __future__ import annotations

from .schema import EDGE_TYPES, NODE_TYPES


def open_graph(store, name: str | None = None):
    """The knowledge graph of rules dataset ``name`` (None: the store's only one): a
    :class:`~.api.KnowledgeGraph`, or a :class:`~.client.RemoteGraph` for a server's store.
    (Not named ``graph`` or ``rules``: those are this package's own names and modules.)"""
    from ..store.remote import RemoteStore
    from .api import graph_for, pick_dataset

    if isinstance(store, RemoteStore):
        from .client import RemoteGraph

        return RemoteGraph(store, pick_dataset(store, name))
    return graph_for(store, name)


def open_rules(store, name: str | None = None):
    """Rule changes (create, update, delete, history) of rules dataset ``name``: a
    :class:`~.rules.Rules`, or a :class:`~.client.RemoteRules` for a server's store."""
    from ..store.remote import RemoteStore
    from .api import pick_dataset

    dataset = pick_dataset(store, name)
    if isinstance(store, RemoteStore):
        from .client import RemoteRules

        return RemoteRules(store, dataset)
    from .rules import Rules

    return Rules(store, dataset)


__all__ = ["EDGE_TYPES", "NODE_TYPES", "open_graph", "open_rules"]
