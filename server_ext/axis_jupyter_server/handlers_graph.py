"""HTTP API of the knowledge graph (issue: decision memory and the knowledge graph).

Routes, relative to ``{base_url}axis/api/`` (``auth_resource = "axis:graph"``); ``{name}``
is a rules dataset, whose graph the server's embedded FalkorDB (or ``AXIS_GRAPH_URL``)
holds and rebuilds whenever the rules changed:

  GET  graph/{name}/status         {connected, mode, dataset, current, message}
  GET  graph/{name}/summary        total_nodes, total_edges, nodes_by_type, edges_by_relation,
                                   rules_by_action, rules_by_product
  GET  graph/{name}/subgraph       ?types=&limit=&action=&product_type=&… -> {nodes, edges,
                                   node_counts, edge_counts, truncated}
  GET  graph/{name}/search         ?q=&limit=&types= -> {results, query, total}
  GET  graph/{name}/neighbourhood  ?node_id=&depth=1..3&limit= -> {focal_node, nodes, edges, depth}
  GET  graph/{name}/node           ?node_id= -> {node, neighbours, edges}
  POST graph/{name}/rebuild        -> 202 {job}: rebuild as a server job (progress over SSE)

Node types and filter names are checked against the graph's allowlists (a 400 names the
parameter); values reach FalkorDB only as query parameters.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P
from axis_jupyter.graph import schema

from .base import AxisHandler
from .params import Param, Spec

NAME = r"(?P<name>[^/]+)"
TYPES = {"type": "array", "items": P.one_of(*schema.NODE_TYPES), "maxItems": len(schema.NODE_TYPES)}
NODE_ID = {"type": "string", "minLength": 3, "maxLength": schema.MAX_ID_CHARS}
FILTER_VALUES = {"type": "array", "items": {"type": "string", "maxLength": 500}, "minItems": 1,
                 "maxItems": 1000}


def _graph(store, name: str):
    from axis_jupyter.graph import open_graph

    return open_graph(store, name)


class _GraphBase(AxisHandler):
    auth_resource = "axis:graph"

    async def call(self, name: str, method: str, *args, **kwargs):
        def run():
            return getattr(_graph(self.store, name), method)(*args, **kwargs)
        return await self.run_blocking(run)


class StatusHandler(_GraphBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Whether FalkorDB answers and whether the dataset's graph is current."""
        self.write_json(await self.call(name, "status"))


class SummaryHandler(_GraphBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Node counts per type, edge counts per relation, rules per action and product."""
        self.write_json(await self.call(name, "summary"))


class SubgraphHandler(_GraphBase):
    params = {"get": Spec(query=(
        Param("types", TYPES, "node types: an edge shows if one end is of these types"),
        Param("limit", P.integer(1, 20_000), "at most this many edges (default 500)"),
        Param("metadata", P.BOOL, "with each node's other properties (default true)"),
        *(Param(f, FILTER_VALUES, f"rules whose {f} is one of these values")
          for f in schema.RULE_FILTERS)))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Part of the graph: edges whose rule end matches the filters, with their nodes."""
        args = self.query_args()
        sg = await self.call(name, "subgraph", types=args.pop("types", None),
                             limit=args.pop("limit", 500), metadata=args.pop("metadata", True), **args)
        self.write_json(sg.to_dict())


class SearchHandler(_GraphBase):
    params = {"get": Spec(query=(
        Param("q", {"type": "string", "minLength": 1, "maxLength": 200},
              "text to find in node names (any case), or a rule id", required=True),
        Param("limit", P.integer(1, 100), "at most this many results (default 20)"),
        Param("types", TYPES, "only nodes of these types")))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Nodes whose name contains the text, most connected first."""
        args = self.query_args()
        df = await self.call(name, "search", args["q"], limit=args.get("limit", 20),
                             types=args.get("types"))
        self.write_json({"results": df.to_dict("records"), "query": args["q"],
                         "total": df.attrs.get("total", len(df))})


class NeighbourhoodHandler(_GraphBase):
    params = {"get": Spec(query=(
        Param("node_id", NODE_ID, "Type:key, e.g. Rule:R000001 or RiskFactor:credit_score",
              required=True),
        Param("depth", P.integer(1, 3), "edges away from the node (default 1)"),
        Param("limit", P.integer(1, 20_000), "at most this many nodes (default 500)"),
        Param("metadata", P.BOOL, "with each node's other properties (default true)")))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """The nodes within depth edges of a node and the edges among them."""
        args = self.query_args()
        sg = await self.call(name, "neighbourhood", args["node_id"], depth=args.get("depth", 1),
                             limit=args.get("limit", 500), metadata=args.get("metadata", True))
        self.write_json(sg.to_dict())


class NodeHandler(_GraphBase):
    params = {"get": Spec(query=(
        Param("node_id", NODE_ID, "Type:key, e.g. Rule:R000001", required=True),))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """One node: its properties, its edges and its neighbours."""
        args = self.query_args()
        self.write_json(await self.call(name, "node", args["node_id"]))


class RebuildHandler(_GraphBase):
    openapi = {"post": {"responses": {"202": "the rebuild job (events at jobs/{id}/events)"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Rebuild the dataset's graph from its rules, as a server job."""
        from axis_jupyter.graph.api import start_rebuild

        self.body_args()
        job = await self.run_blocking(start_rebuild, self.store, name, self.jobs)
        self.job_accepted(job)


def routes() -> list[tuple[str, type]]:
    return [
        (rf"graph/{NAME}/status", StatusHandler),
        (rf"graph/{NAME}/summary", SummaryHandler),
        (rf"graph/{NAME}/subgraph", SubgraphHandler),
        (rf"graph/{NAME}/search", SearchHandler),
        (rf"graph/{NAME}/neighbourhood", NeighbourhoodHandler),
        (rf"graph/{NAME}/node", NodeHandler),
        (rf"graph/{NAME}/rebuild", RebuildHandler),
    ]
