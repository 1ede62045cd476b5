"""``axis.graph(name)``: the knowledge graph of a rules dataset, kept in step with it.

The DuckDB store is the truth; the FalkorDB graph is derived. Each graph carries the
*stamp* of the rules state it shows (the dataset's version, its rule-change revision and
its update time). Every read compares it with the store's: a graph that is missing or
stale (the dataset was reloaded, the graph file was lost, another process changed the
rules) is rebuilt first, under a lock, so a read never answers from old rules. Rule
changes made through :mod:`.rules` update a current graph in place and move its stamp
along (:func:`rule_changed`), which keeps small edits cheap.
"""

from __future__ import annotations

import time
from typing import Callable

import pandas as pd

from ..errors import NotFoundError, QueryError
from . import build as graph_build
from . import queries
from .connection import GraphServer, existing, server_for
from .model import graph_parts


def stamp_of(info: dict) -> str:
    """Which state of a rules dataset a graph must show."""
    return f"{info.get('version')}.{info.get('rules_revision', 0)}.{info.get('updated')}"


def rules_datasets(store) -> list[str]:
    df = store.datasets()
    return sorted(df.loc[df["kind"] == "rules", "name"].tolist()) if len(df) else []


def pick_dataset(store, name: str | None) -> str:
    """``name`` checked to be a rules dataset; None: the only one there is."""
    if name is None:
        names = rules_datasets(store)
        if not names:
            raise NotFoundError("the store has no rules dataset; load one with "
                                "axis.load(path, kind='rules').")
        if len(names) > 1:
            raise QueryError(f"the store has several rules datasets ({', '.join(names)}); name "
                             f"one: axis.graph({names[0]!r}).")
        return names[0]
    info = store.info(name)
    if info.get("kind") != "rules":
        raise QueryError(f"{name} is a {info.get('kind')} dataset; the knowledge graph is built "
                         "from rules (kind='rules').")
    return name


def read_rules(store, dataset: str) -> list[dict]:
    """Every rule of ``dataset`` as a dict of canonical columns."""
    from ..ingest.readers import quote_ident

    table = store.info(dataset)["scores_table"]
    return store.read(lambda cur: cur.sql(f"SELECT * FROM {quote_ident(table)}")
                      .to_arrow_table().to_pylist())


class KnowledgeGraph:
    """The knowledge graph of rules dataset ``dataset`` in ``store`` (an embedded store:
    a server's store is reached over HTTP by :class:`~.client.RemoteGraph`)."""

    def __init__(self, store, dataset: str, server: GraphServer | None = None):
        self.store, self.dataset = store, dataset
        self.server = server or server_for(store)

    def __repr__(self) -> str:
        return f"<KnowledgeGraph of {self.dataset!r} in {self.server!r}>"

    # ------------------------------------------------------------------ freshness
    def _current(self, progress: Callable[[int, int], None] | None = None):
        """The FalkorDB graph showing the dataset's current rules (built if needed)."""
        info = self.store.info(self.dataset)
        if info.get("kind") != "rules":
            raise QueryError(f"{self.dataset} is no longer a rules dataset.")
        stamp = stamp_of(info)
        ptr = graph_build.pointer(self.server, self.dataset)
        if ptr and ptr.get("stamp") == stamp:
            return self.server.graph(ptr["graph"])
        with self.server.build_lock:
            info = self.store.info(self.dataset)
            stamp = stamp_of(info)
            ptr = graph_build.pointer(self.server, self.dataset)
            if ptr and ptr.get("stamp") == stamp:
                return self.server.graph(ptr["graph"])
            parts = graph_parts(read_rules(self.store, self.dataset))
            key = graph_build.build(self.server, self.dataset, parts, stamp, progress)
            return self.server.graph(key)

    def _read(self, fn):
        """``fn(graph)`` on the current graph. A rebuild that finishes meanwhile switches the
        dataset to a new graph and deletes the one being read, which then fails (an empty
        key, or a label the client's schema cache no longer has): the read runs once more on
        the graph that replaced it."""
        g = self._current()
        try:
            return fn(g)
        except Exception:
            ptr = graph_build.pointer(self.server, self.dataset)
            if not ptr or ptr.get("graph") == g.name:
                raise  # not a swap: a real error
            return fn(self._current())

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> dict:
        """Build the graph from the rules now (even if it is current), as a job of the
        store's runner; ``progress(done, total)`` follows it. The counts and seconds."""
        job = start_rebuild(self.store, self.dataset)

        def on_event(event, data):
            if progress is not None and event == "progress" and isinstance(data, dict) \
                    and "done" in data:
                progress(data["done"], data.get("total") or 0)

        job.follow(on_event)
        return job.outcome()

    # ------------------------------------------------------------------ reads
    def status(self) -> dict:
        """Whether FalkorDB answers, where it runs, and whether the graph is current."""
        ok = self.server.ping()
        ptr = graph_build.pointer(self.server, self.dataset) if ok else None
        return {"connected": ok, "mode": self.server.mode, "dataset": self.dataset,
                "current": bool(ptr and ptr.get("stamp") == stamp_of(self.store.info(self.dataset))),
                "message": "ok" if ok else "FalkorDB does not answer"}

    def summary(self) -> dict:
        """total_nodes, total_edges, nodes_by_type, edges_by_relation, rules_by_action,
        rules_by_product."""
        return self._read(queries.summary)

    def subgraph(self, types=None, limit: int = 500, metadata: bool = True,
                 **filters) -> queries.Subgraph:
        """Up to ``limit`` edges with their nodes: an end of one of ``types`` (node types,
        e.g. ``["Mitigant"]``) and the rule end matching the filters (``action``,
        ``product_type``, ``risk_category``, ``risk_factor``, ``threshold_type``,
        ``decision_quality``, ``ingestion_status``, ``batch_id``; a value or a list).
        ``metadata=False``: nodes without their other properties."""
        return self._read(lambda g: queries.subgraph(g, types=types, limit=limit, metadata=metadata,
                                                     **filters))

    def search(self, text: str, limit: int = 20, types=None) -> pd.DataFrame:
        """Nodes whose name contains ``text`` (any case) or the rule with that id, most
        connected first: node_id, label, type, connected_nodes, snippet."""
        return self._read(lambda g: queries.search(g, text, limit=limit, types=types))

    def neighbourhood(self, node_id: str, depth: int = 1, limit: int = 500,
                      metadata: bool = True) -> queries.Subgraph:
        """Nodes within ``depth`` (1-3) edges of ``node_id`` (``Rule:R000001``,
        ``RiskFactor:credit_score``) and the edges among them, at most ``limit`` nodes.
        ``metadata=False``: nodes (but the focal one) without their other properties."""
        return self._read(lambda g: queries.neighbourhood(g, node_id, depth=depth, limit=limit,
                                                          metadata=metadata))

    neighborhood = neighbourhood

    def node(self, node_id: str) -> dict:
        """One node's properties, its edges and its neighbours (the view's detail panel)."""
        sg = self.neighbourhood(node_id, depth=1, limit=queries.MAX_LIMIT)
        return {"node": sg.focal_node, "neighbours": [n for n in sg.node_list if n["distance"] == 1],
                "edges": sg.edge_list}


def _rebuild(store, dataset: str, server: GraphServer, progress=None) -> dict:
    t0 = time.perf_counter()
    with server.build_lock:
        info = store.info(dataset)
        parts = graph_parts(read_rules(store, dataset))
        graph_build.build(server, dataset, parts, stamp_of(info), progress)
    return {"dataset": dataset, "nodes": parts.node_count(), "edges": parts.edge_count(),
            "seconds": round(time.perf_counter() - t0, 3)}


def start_rebuild(store, dataset: str, runner=None):
    """Rebuild ``dataset``'s graph as a job (kind ``graph_build``, one per dataset at a
    time: a rebuild already running is returned). ``runner``: default the store's."""
    dataset = pick_dataset(store, dataset)
    server = server_for(store)
    runner = runner if runner is not None else store.jobs
    key = f"graph:{dataset}"
    running = runner.running(key)
    if running is not None:
        return running

    def work(job):
        def progress(done, total):
            job.progress(done=done, total=total, stage="graph")
        return _rebuild(store, dataset, server, progress)

    return runner.start("graph_build", work, key=key, params={"dataset": dataset})


def graph_for(store, name: str | None = None) -> KnowledgeGraph:
    """``axis.graph(name)`` for an embedded store."""
    return KnowledgeGraph(store, pick_dataset(store, name))


def rule_changed(store, dataset: str, old_stamp: str, new_stamp: str,
                 rule_node_id: str | None, new_rule: dict | None) -> None:
    """Bring a current graph along with one rule's change (called after the store
    committed it). A graph that was not current (or any failure here) is left to the
    next read, which rebuilds it; no server is started just for this."""
    server = existing(store)
    if server is None:
        return
    from .model import rule_parts

    with server.build_lock:
        try:
            ptr = graph_build.pointer(server, dataset)
            if not ptr or ptr.get("stamp") != old_stamp:
                return
            g = server.graph(ptr["graph"])
            graph_build.set_stamp(server, dataset, ptr["graph"], None)  # stale until done
            graph_build.replace_rule(g, rule_node_id, rule_parts(new_rule) if new_rule else None)
            graph_build.set_stamp(server, dataset, ptr["graph"], new_stamp)
        except Exception:  # the next read rebuilds from the store
            return


def dataset_dropped(store, dataset: str) -> None:
    """Delete the graph of a dropped dataset (if this store has a graph server)."""
    server = existing(store)
    if server is None:
        return
    try:
        graph_build.drop(server, dataset)
    except Exception:
        pass
