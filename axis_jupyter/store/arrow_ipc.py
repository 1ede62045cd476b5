"""How results travel between the server extension and its clients.

* Arrow IPC *stream* bytes (``application/vnd.apache.arrow.stream``) for tables of any size:
  :func:`to_ipc` / :func:`from_ipc`.
* JSON for small results and pages of rows: :func:`jsonable` turns pandas/numpy/Arrow values
  into strict JSON (NaN and infinities become null, timestamps ISO-8601, bytes base64).

Both sides (server handlers and :class:`~axis_jupyter.store.remote.RemoteStore`) import this
module, so the encodings cannot drift apart.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import json
import math
import uuid
from typing import Any

import pandas as pd
import pyarrow as pa

ARROW_STREAM = "application/vnd.apache.arrow.stream"
TOTAL_HEADER = "X-Axis-Total"


# ----------------------------------------------------------------------------- Arrow
def frame_to_arrow(df: Any) -> pa.Table:
    """A pandas/polars frame or Arrow table/batch as an Arrow table.

    Object columns that Arrow cannot type (mixed Python values) are sent as JSON text.
    """
    if isinstance(df, pa.Table):
        return df
    if isinstance(df, pa.RecordBatch):
        return pa.Table.from_batches([df])
    if hasattr(df, "to_arrow") and not isinstance(df, pd.DataFrame):  # polars
        return df.to_arrow()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"cannot convert {type(df).__name__} to Arrow")
    df = df.reset_index(drop=True)
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        fixed = df.copy()
        for col in fixed.columns:
            try:
                pa.array(fixed[col], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                fixed[col] = fixed[col].map(
                    lambda v: None if _is_missing(v) else json.dumps(jsonable(v)))
        return pa.Table.from_pandas(fixed, preserve_index=False)


def to_ipc(data: Any) -> bytes:
    """Arrow IPC stream bytes of a frame or table."""
    table = frame_to_arrow(data)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_ipc(payload: bytes) -> pa.Table:
    with pa.ipc.open_stream(pa.py_buffer(payload)) as reader:
        return reader.read_all()


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas()


# ----------------------------------------------------------------------------- JSON
def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NaT:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, (str, bytes, list, tuple, dict, set)):
        return False
    try:
        r = pd.isna(v)
    except (TypeError, ValueError):
        return False
    return r if isinstance(r, bool) else bool(getattr(r, "item", lambda: False)()) \
        if getattr(r, "ndim", 1) == 0 else False


def jsonable(v: Any) -> Any:
    """A strict-JSON value for ``v`` (recursively)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, (pd.Timedelta, _dt.timedelta)):
        return pd.Timedelta(v).total_seconds()
    if isinstance(v, decimal.Decimal):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [jsonable(x) for x in v]
    if isinstance(v, pa.Scalar):
        return jsonable(v.as_py())
    # numpy scalars and arrays
    item = getattr(v, "item", None)
    tolist = getattr(v, "tolist", None)
    if tolist is not None and getattr(v, "ndim", 0) > 0:
        return jsonable(tolist())
    if item is not None:
        try:
            return jsonable(item())
        except (ValueError, TypeError):
            pass
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def frame_records(df: pd.DataFrame) -> list[dict]:
    """Rows as a list of {column: value} dicts of strict-JSON values."""
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, (jsonable(x) for x in row)))
            for row in df.itertuples(index=False, name=None)]


def frame_split(df: pd.DataFrame) -> dict:
    """{columns: [...], data: [[...], ...]} of strict-JSON values."""
    return {"columns": [str(c) for c in df.columns],
            "data": [[jsonable(x) for x in row] for row in df.itertuples(index=False, name=None)]}


def split_to_frame(payload: dict) -> pd.DataFrame:
    return pd.DataFrame(payload.get("data", []), columns=payload.get("columns", []))


def dumps(obj: Any) -> str:
    """Strict JSON (never NaN/Infinity tokens)."""
    try:  # most payloads are JSON-safe already (views convert frames with ``records``)
        return json.dumps(obj, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):  # numpy scalars, timestamps, NaN: convert, then encode
        return json.dumps(jsonable(obj), allow_nan=False, separators=(",", ":"))
