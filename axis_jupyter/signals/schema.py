"""The discovered schema of a human-signals dataset, as a table and back.

The build (:mod:`.cases`) saves the schema in the dataset's metadata as the reference's
nested form (``{"metrics": {name: {category, signals, signal_types, values, ...}},
"metadata_keys", "source_fields", "has_timestamp"}``). ``ds.signal_schema()`` shows it as
one row per field (:data:`COLUMNS`): ``role`` is ``signal`` (a metric's signal, column
``<metric>__<signal>``), ``metadata`` (a key common to most metrics, promoted to a case
column), ``source`` (a source field present) or ``timestamp``.
"""

from __future__ import annotations

import pandas as pd

from ..errors import QueryError

COLUMNS = ["role", "metric_name", "category", "signal", "type", "column", "n_values", "values"]


def of(info: dict) -> dict:
    """The schema saved with a signals dataset (QueryError when it has none)."""
    schema = info.get("signals")
    if not isinstance(schema, dict):
        raise QueryError(f"dataset {info.get('name')!r} has no signals schema: load it with "
                         "kind='signals' (rows of metric_name, dataset_id, signals, source_name).")
    return schema


def to_frame(schema: dict) -> pd.DataFrame:
    rows = []
    for m, spec in schema["metrics"].items():
        for s in spec["signals"]:
            vals = spec["values"].get(s, [])
            rows.append({"role": "signal", "metric_name": m, "category": spec["category"], "signal": s,
                         "type": spec["signal_types"].get(s, "unknown"), "column": spec["columns"][s],
                         "n_values": int(spec.get("n_values", {}).get(s, len(vals))), "values": list(vals)})
    for k in schema.get("metadata_keys", []):
        rows.append({"role": "metadata", "metric_name": None, "category": None, "signal": k,
                     "type": schema.get("metadata_types", {}).get(k, "unknown"), "column": k,
                     "n_values": 0, "values": []})
    for f in schema.get("source_fields", []):
        rows.append({"role": "source", "metric_name": None, "category": None, "signal": f,
                     "type": "string", "column": f, "n_values": 0, "values": []})
    if schema.get("has_timestamp"):
        rows.append({"role": "timestamp", "metric_name": None, "category": None, "signal": "timestamp",
                     "type": "timestamp", "column": "timestamp", "n_values": 0, "values": []})
    return pd.DataFrame(rows, columns=COLUMNS)


def from_frame(frame: pd.DataFrame) -> dict:
    """The nested form of a :func:`to_frame` table (as the reference's API returns it)."""
    metrics: dict[str, dict] = {}
    out = {"metrics": metrics, "metadata_keys": [], "metadata_types": {}, "source_fields": [],
           "has_timestamp": False}
    for row in frame.to_dict("records"):
        role = row["role"]
        if role == "signal":
            spec = metrics.setdefault(row["metric_name"], {
                "category": row["category"], "signals": [], "signal_types": {}, "values": {},
                "n_values": {}, "columns": {}})
            s = row["signal"]
            spec["signals"].append(s)
            spec["signal_types"][s] = row["type"]
            spec["columns"][s] = row["column"]
            vals = [str(v) for v in (row["values"] if row["values"] is not None else [])]
            if vals:
                spec["values"][s] = vals
                spec["n_values"][s] = int(row["n_values"])
        elif role == "metadata":
            out["metadata_keys"].append(row["signal"])
            out["metadata_types"][row["signal"]] = row["type"]
        elif role == "source":
            out["source_fields"].append(row["signal"])
        elif role == "timestamp":
            out["has_timestamp"] = True
    return out


def signal_columns(schema: dict) -> dict[str, tuple[str, str, str]]:
    """``<metric>__<signal>`` -> (metric, signal, type), in schema order."""
    return {spec["columns"][s]: (m, s, spec["signal_types"].get(s, "unknown"))
            for m, spec in schema["metrics"].items() for s in spec["signals"]}
