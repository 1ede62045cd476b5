"""How results travel: one encoding for the HTTP API and the kernel alike.

* Arrow IPC *stream* bytes (``application/vnd.apache.arrow.stream``) for tables of any size:
  :func:`to_ipc` / :func:`from_ipc`.
* Strict JSON for small results and pages of rows: :func:`jsonable` turns pandas, numpy,
  Arrow and standard-library values into JSON values (NaN and infinities become null,
  timestamps ISO-8601, durations seconds, bytes base64); :func:`records` and
  :func:`frame_split` convert a DataFrame column by column; :func:`dumps` writes the text.

The server handlers, :class:`~axis_jupyter.store.remote.RemoteStore`, the view payloads and
the widgets' kernel replies all use this module, so the two transports cannot drift apart.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import json
import math
import uuid
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

ARROW_STREAM = "application/vnd.apache.arrow.stream"
TOTAL_HEADER = "X-Axis-Total"


# ----------------------------------------------------------------------------- JSON values
def jsonable(v: Any) -> Any:
    """A strict-JSON value for ``v`` (recursively); anything unknown becomes its ``str``."""
    # The common cases first: payloads are mostly dicts, lists, strings and numbers.
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, float):  # numpy float64 too
        return v if math.isfinite(v) else None
    if isinstance(v, int):
        return v
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [jsonable(x) for x in v]
    if v is pd.NaT:  # before datetime: NaT is one
        return None
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):  # pandas Timestamp too
        return v.isoformat()
    if isinstance(v, _dt.timedelta):  # pandas Timedelta too
        return pd.Timedelta(v).total_seconds()
    if isinstance(v, decimal.Decimal):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, pa.Scalar):
        return jsonable(v.as_py())
    # numpy scalars and arrays
    if getattr(v, "ndim", 0) > 0 and hasattr(v, "tolist"):
        return jsonable(v.tolist())
    if hasattr(v, "item"):
        try:
            return jsonable(v.item())
        except (ValueError, TypeError):
            pass
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def is_missing(v: Any) -> bool:
    """True for None, NaN, NaT and pandas NA (never for containers or text)."""
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
    return bool(r) if isinstance(r, (bool, np.bool_)) else False


# ----------------------------------------------------------------------------- frames as JSON
def records(df: pd.DataFrame) -> list[dict]:
    """A DataFrame as strict-JSON row dicts, as ``jsonable(df.to_dict("records"))`` gives
    them (a missing timestamp is null), converted column by column: pandas' row-wise
    ``to_dict`` and a walk of every value cost ~2 ms per frame, and a view sends several
    frames per update."""
    cols = [_json_column(df.iloc[:, i]) for i in range(df.shape[1])]
    names = [str(c) for c in df.columns]
    return [dict(zip(names, row)) for row in zip(*cols)] if cols else [{} for _ in range(len(df))]


def frame_split(df: pd.DataFrame) -> dict:
    """``{columns: [...], data: [[...], ...]}`` of strict-JSON values."""
    cols = [_json_column(df.iloc[:, i]) for i in range(df.shape[1])]
    return {"columns": [str(c) for c in df.columns],
            "data": [list(row) for row in zip(*cols)] if cols else [[] for _ in range(len(df))]}


def split_to_frame(payload: dict) -> pd.DataFrame:
    """The DataFrame of a :func:`frame_split` payload."""
    return pd.DataFrame(payload.get("data", []), columns=payload.get("columns", []))


def _json_column(s: pd.Series) -> list:
    kind = s.dtype.kind
    if kind in "iub":  # numpy ints/bools hold no missing values; nullable Int64/boolean may
        if isinstance(s.dtype, np.dtype) or not s.hasnans:
            return s.tolist()
        return [jsonable(v) for v in s.tolist()]
    if kind == "f":
        a = s.to_numpy(dtype="float64")
        finite = np.isfinite(a)
        return a.tolist() if finite.all() else np.where(finite, a, None).tolist()
    if kind == "M" and not isinstance(s.dtype, pd.DatetimeTZDtype):
        a = s.to_numpy()
        ok = ~np.isnat(a)
        ticks = a.astype("int64")
        per_s = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}.get(np.datetime_data(a.dtype)[0])
        if per_s and (per_s < 10**9 or (ticks[ok] % 1000 == 0).all()):
            # as Timestamp.isoformat: whole seconds without a fraction, else microseconds
            whole = ticks % per_s == 0
            text = np.datetime_as_string(a, unit="s")
            if not whole[ok].all():
                text = np.where(whole, text, np.datetime_as_string(a, unit="us"))
            return np.where(ok, text, None).tolist()
    if kind == "M":
        return [None if v is None or v != v else v.isoformat() for v in s.tolist()]
    if isinstance(s.dtype, pd.StringDtype):  # str, or a float NaN / NA when missing
        return [v if isinstance(v, str) else None for v in s.tolist()]
    return [jsonable(v) for v in s.tolist()]


def dumps(obj: Any) -> str:
    """Strict JSON text (never NaN/Infinity tokens)."""
    try:  # most payloads are JSON-safe already (views convert frames with ``records``)
        return json.dumps(obj, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):  # numpy scalars, timestamps, NaN: convert, then encode
        return json.dumps(jsonable(obj), allow_nan=False, separators=(",", ":"))


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
                    lambda v: None if is_missing(v) else json.dumps(jsonable(v)))
        return pa.Table.from_pandas(fixed, preserve_index=False)


def to_ipc(data: Any) -> bytes:
    """Arrow IPC stream bytes of a frame or table."""
    table = frame_to_arrow(data)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_ipc(payload: bytes) -> pa.Table:
    """The Arrow table of IPC stream bytes."""
    with pa.ipc.open_stream(pa.py_buffer(payload)) as reader:
        return reader.read_all()
