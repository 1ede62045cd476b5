"""The knowledge graph and rule changes of a store served by the Jupyter server.

The server owns the store and the embedded FalkorDB; a kernel reaches both through the
``graph/{dataset}/…`` and ``memory/{dataset}/…`` routes. The calls and answers are those
of :class:`~.api.KnowledgeGraph` and :class:`~.rules.Rules`, so a notebook reads the same
whichever store ``connect()`` gave it.
"""

from __future__ import annotations

import json

import pandas as pd

from .queries import Subgraph
from .rules import HISTORY_COLUMNS


def _json_body(body: dict) -> dict:
    return {"content": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}


def _subgraph(d: dict) -> Subgraph:
    return Subgraph(d.get("nodes", []), d.get("edges", []), truncated=bool(d.get("truncated")),
                    focal_node=d.get("focal_node"), depth=d.get("depth"))


def _list_param(v):
    return ",".join(v) if isinstance(v, (list, tuple)) else v


class RemoteGraph:
    """``axis.graph(name)`` for a server's store (see :class:`~.api.KnowledgeGraph`)."""

    def __init__(self, store, dataset: str):
        self.store, self.dataset = store, dataset

    def __repr__(self) -> str:
        return f"<RemoteGraph of {self.dataset!r} at {self.store.location}>"

    def _get(self, what: str, **params):
        params = {k: _list_param(v) for k, v in params.items() if v is not None}
        return self.store.request_json("GET", "graph", self.dataset, what, params=params)

    def status(self) -> dict:
        return self._get("status")

    def summary(self) -> dict:
        return self._get("summary")

    def subgraph(self, types=None, limit: int = 500, metadata: bool = True, **filters) -> Subgraph:
        return _subgraph(self._get("subgraph", types=types, limit=limit,
                                   metadata="true" if metadata else "false", **filters))

    def search(self, text: str, limit: int = 20, types=None) -> pd.DataFrame:
        d = self._get("search", q=text, limit=limit, types=types)
        df = pd.DataFrame(d["results"], columns=["node_id", "label", "type", "connected_nodes", "snippet"])
        df.attrs.update(total=d.get("total", len(df)), query=text)
        return df

    def neighbourhood(self, node_id: str, depth: int = 1, limit: int = 500,
                      metadata: bool = True) -> Subgraph:
        return _subgraph(self._get("neighbourhood", node_id=node_id, depth=depth, limit=limit,
                                   metadata="true" if metadata else "false"))

    neighborhood = neighbourhood

    def node(self, node_id: str) -> dict:
        return self._get("node", node_id=node_id)

    def rebuild(self, progress=None) -> dict:
        started = self.store.request_json("POST", "graph", self.dataset, "rebuild", **_json_body({}))
        job = started["job"]

        def on_event(event, data):
            if progress is not None and event == "progress" and isinstance(data, dict) and "done" in data:
                progress(data["done"], data.get("total") or 0)

        final = self.store.wait_job(job["id"], on_event)
        return final.get("result") or {}


class RemoteRules:
    """``axis.rules(name)`` for a server's store (see :class:`~.rules.Rules`)."""

    def __init__(self, store, dataset: str):
        self.store, self.dataset = store, dataset

    def __repr__(self) -> str:
        return f"<RemoteRules of {self.dataset!r} at {self.store.location}>"

    def create(self, fields: dict | None = None, **kw) -> dict:
        return self.store.request_json("POST", "memory", self.dataset, "rules",
                                       **_json_body({**(fields or {}), **kw}))["rule"]

    def update(self, rule_id: str, fields: dict | None = None, **kw) -> dict:
        return self.store.request_json("PUT", "memory", self.dataset, "rules", str(rule_id),
                                       **_json_body({**(fields or {}), **kw}))["rule"]

    def delete(self, rule_id: str) -> dict:
        return self.store.request_json("DELETE", "memory", self.dataset, "rules", str(rule_id))["rule"]

    def get(self, rule_id: str) -> dict:
        return self.store.request_json("GET", "memory", self.dataset, "rules", str(rule_id))["rule"]

    def history(self, rule_id: str | None = None, limit: int = 100) -> pd.DataFrame:
        params = {"limit": limit, **({"rule_id": rule_id} if rule_id is not None else {})}
        d = self.store.request_json("GET", "memory", self.dataset, "history", params=params)
        return pd.DataFrame(d["history"], columns=HISTORY_COLUMNS)

    def frame(self) -> pd.DataFrame:
        df, _ = self.store.rows(self.dataset, page=1, page_size=1_000_000)
        return df
