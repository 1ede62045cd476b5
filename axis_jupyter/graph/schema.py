"""The knowledge graph's vocabulary: node types, edge types, node ids and the allowlists.

Nodes (reference §8.3), made from a rules dataset's canonical columns:

==========  ===============================  =============================================
type        made from                        edges
==========  ===============================  =============================================
Rule        one per rule (``id``)            (RiskFactor)-[:TRIGGERS]->(Rule)
RiskFactor  ``risk_factor`` values           (Rule)-[:RESULTS_IN]->(Outcome)
Outcome     ``action`` values                (Mitigant)-[:OVERRIDES]->(Rule)
Mitigant    items of ``mitigants``           (Rule)-[:DERIVED_FROM]->(Source)
Source      ``source`` values
==========  ===============================  =============================================

A node id is ``Type:key``: for a Rule the rule's own id (``Rule:R000123``), for the others
the slug of the name (lower case, anything but ``a-z0-9_`` as ``_``: ``RiskFactor:debt_to_income``),
so two spellings of one risk factor are one node. Every edge joins a Rule to a node of
another type, which makes the graph bipartite (the neighbourhood search relies on it).

Cypher text never holds a user value: values travel as parameters. The only names written
into query text are node labels and edge types, and only from the allowlists below after
:func:`check_type` / :func:`parse_node_id` have matched them exactly.
"""

from __future__ import annotations

import re

from ..errors import ParameterError

NODE_TYPES = ("RiskFactor", "Rule", "Outcome", "Mitigant", "Source")
EDGE_TYPES = ("TRIGGERS", "RESULTS_IN", "OVERRIDES", "DERIVED_FROM")
#: Each edge type joins a node of the first type to one of the second.
EDGE_ENDS = {"TRIGGERS": ("RiskFactor", "Rule"), "RESULTS_IN": ("Rule", "Outcome"),
             "OVERRIDES": ("Mitigant", "Rule"), "DERIVED_FROM": ("Rule", "Source")}
EDGE_LABELS = {"TRIGGERS": "triggers", "RESULTS_IN": "results in", "OVERRIDES": "overrides",
               "DERIVED_FROM": "derived from"}
#: Colours of the reference's explorer (RiskFactor red, Rule blue, Outcome green, Mitigant
#: purple, Source amber).
NODE_COLORS = {"RiskFactor": "#E74C3C", "Rule": "#3498DB", "Outcome": "#27AE60",
               "Mitigant": "#9B59B6", "Source": "#F39C12"}

#: Rule properties ``subgraph`` filters on (each a Rule node property of the same name).
RULE_FILTERS = ("action", "product_type", "risk_category", "risk_factor", "threshold_type",
                "decision_quality", "ingestion_status", "batch_id")

#: Rule columns copied onto Rule nodes (besides id and name); lists become text.
RULE_PROPERTIES = ("action", "risk_category", "risk_factor", "product_type", "decision_quality",
                   "threshold_type", "threshold", "outcome_description", "mitigants",
                   "ingestion_status", "batch_id", "agent_name", "created_at", "confidence",
                   "compound_trigger", "source", "source_type", "data_fields")

MAX_ID_CHARS = 600
_SLUG = re.compile(r"[^a-z0-9_]")


def slug(name: str) -> str:
    """``"Debt-to-income ratio"`` -> ``"debt_to_income_ratio"``."""
    return _SLUG.sub("_", str(name).strip().lower())


def node_id(node_type: str, key: str) -> str:
    """The id of a node: ``Rule:<rule id>``, else ``<Type>:<slug of name>``."""
    return f"Rule:{key}" if node_type == "Rule" else f"{node_type}:{slug(key)}"


def check_type(value: str, param: str = "node_type") -> str:
    """``value`` if it is one of :data:`NODE_TYPES` exactly, else a ParameterError."""
    if not isinstance(value, str) or value not in NODE_TYPES:
        raise ParameterError(f"{param} must be one of {', '.join(NODE_TYPES)}, not "
                             f"{_shown(value)}.", param=param)
    return value


def check_types(values, param: str = "types") -> list[str]:
    """A list (or comma-separated text) of node types, each checked."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, (list, tuple)):
        raise ParameterError(f"{param} must be a list of node types ({', '.join(NODE_TYPES)}).",
                             param=param)
    return [check_type(v, param) for v in values]


def parse_node_id(value: str, param: str = "node_id") -> tuple[str, str]:
    """``"Rule:R1"`` -> ``("Rule", "Rule:R1")``: the type (checked) and the whole id."""
    if not isinstance(value, str) or ":" not in value or len(value) > MAX_ID_CHARS:
        raise ParameterError(f"{param} must look like Type:key (e.g. Rule:R000001 or "
                             f"RiskFactor:credit_score), not {_shown(value)}.", param=param)
    typ, _, key = value.partition(":")
    if typ not in NODE_TYPES:
        raise ParameterError(f"{param} must start with a node type ({', '.join(NODE_TYPES)}) "
                             f"and a colon, not {_shown(value)}.", param=param)
    if not key:
        raise ParameterError(f"{param} has no key after {typ}:.", param=param)
    return typ, value


def _shown(value) -> str:
    from ..params import shown

    return shown(value)
