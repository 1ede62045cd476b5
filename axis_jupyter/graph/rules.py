"""Decision memory: create, update and delete the rules of a rules dataset, with history.

The rules live in the store (the reference kept them in process memory and lost them on
restart). Each change is one transaction of the store's writer API: the rule row, a
history row (``before`` and ``after`` as JSON) and the dataset's metadata (row count and a
new ``rules_revision``, so every reader and the knowledge graph know the rules moved)
commit together or not at all. The graph follows after the commit (:func:`.api.rule_changed`).

Fields are named by role or by canonical column (``name`` or ``rule_name``, ``group_by``
or ``risk_factor``; see :mod:`axis_jupyter.memory_config`); values reach SQL only as
parameters. Like the reference: a new rule needs the required roles except ``id`` (made
up when missing), ``batch`` (``"manual"``) and ``status`` (``"pending"``); ``created_at``
is now; list roles default to []; an update changes only the fields given (``None`` leaves
a field as it is).

History rows carry the dataset version they changed, and stay when the dataset is
reloaded (a new version starts) or dropped; :func:`history` shows them, newest first.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from .. import memory_config
from ..errors import ConflictError, NotFoundError, ParameterError
from ..ingest.readers import quote_ident
from ..ingest.rules import as_text_list
from . import api
from .schema import node_id

HISTORY_TABLE = "_axis_rules_history"
MAX_TEXT = 10_000
MAX_ITEMS = 200
AUTO_DEFAULTS = {"batch": "manual", "status": "pending"}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _column(key: str, columns: list[str]) -> str:
    """The table column a field name means (a role or a column), else a ParameterError."""
    canon = memory_config.ROLE_COLUMNS.get(key, key)
    if canon not in columns or canon.startswith("_axis"):
        known = sorted(set(memory_config.ROLES) | {c for c in columns if not c.startswith("_axis")})
        raise ParameterError(f"{key!r} is not a rule field (fields: {', '.join(known)}).", param=key)
    return canon


def _value(key: str, canon: str, value: Any, list_cols: set[str], typ: str) -> Any:
    """A field value checked and converted to what the column holds."""
    if canon in list_cols:
        if isinstance(value, str):
            items = as_text_list(value)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                      for v in value):
            items = [str(v).strip() for v in value if str(v).strip()]
        else:
            raise ParameterError(f"{key} must be a list of text, not {type(value).__name__}.", param=key)
        if len(items) > MAX_ITEMS or any(len(v) > MAX_TEXT for v in items):
            raise ParameterError(f"{key} may hold at most {MAX_ITEMS} items of {MAX_TEXT} characters.",
                                 param=key)
        return items
    if canon in memory_config.TIME_ROLES:
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            ts = pd.NaT
        if isinstance(value, bool) or ts is pd.NaT or pd.isna(ts):
            raise ParameterError(f"{key} must be a date/time (ISO 8601, e.g. 2026-01-27 14:05).",
                                 param=key)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.to_pydatetime()
    if typ.startswith(("DOUBLE", "FLOAT", "DECIMAL", "INT", "BIGINT", "REAL")):  # a numeric confidence
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or number != number or number in (float("inf"), float("-inf")):
            raise ParameterError(f"{key} must be a number.", param=key)
        return number
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParameterError(f"{key} must be text, not {type(value).__name__}.", param=key)
    text = str(value).strip()
    if len(text) > MAX_TEXT or "\x00" in text:
        raise ParameterError(f"{key} must be text of at most {MAX_TEXT} characters.", param=key)
    return text or None


def _fields(fields: dict, columns: list[str], types: dict[str, str], cfg: dict) -> dict[str, Any]:
    if not isinstance(fields, dict):
        raise ParameterError("the rule's fields must be a JSON object {field: value}.")
    list_cols = {c for c, t in types.items() if t.endswith("[]")}
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if not isinstance(key, str):
            raise ParameterError("field names must be text.")
        if value is None:
            continue
        canon = _column(key, columns)
        if canon in out:
            raise ParameterError(f"{key!r} names the field {canon} a second time.", param=key)
        out[canon] = _value(key, canon, value, list_cols, types.get(canon, ""))
    return out


def _json(row: dict | None) -> str | None:
    """A rule as strict JSON text (times ISO 8601, NaN as null) for the history table."""
    if row is None:
        return None
    return json.dumps(_public(row), default=str, allow_nan=False)


def _ensure_history(cur) -> None:
    cur.execute(f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (seq BIGINT, dataset VARCHAR, "
                "version INTEGER, changed_at TIMESTAMP, op VARCHAR, rule_id VARCHAR, before VARCHAR, "
                "after VARCHAR)")


def _table(cur, info: dict) -> tuple[str, list[str], dict[str, str]]:
    table = info["scores_table"]
    desc = cur.execute(f"DESCRIBE {quote_ident(table)}").fetchall()
    return table, [r[0] for r in desc], {r[0]: str(r[1]).upper() for r in desc}


def _row(cur, table: str, rule_id: str) -> dict | None:
    res = cur.execute(f"SELECT * FROM {quote_ident(table)} WHERE id = ?", [rule_id])
    names = [d[0] for d in res.description]
    row = res.fetchone()
    return dict(zip(names, row)) if row else None


def _rules_info(store, dataset: str) -> dict:
    info = store.info(dataset)
    if info.get("kind") != "rules":
        raise ParameterError(f"{dataset} is a {info.get('kind')} dataset, not a rules dataset.",
                             param="dataset")
    return info


def _change(store, dataset: str, op: str, rule_id: str | None, fields: dict | None) -> dict:
    """One rule change in one transaction; the committed rule (after, or before for delete)."""
    cfg = memory_config.load()
    out: dict[str, Any] = {}

    def tx(cur):
        info = _rules_info(store, dataset)
        _ensure_history(cur)
        table, columns, types = _table(cur, info)
        vals = _fields(fields or {}, columns, types, cfg)
        t = quote_ident(table)
        if op == "create":
            rid = vals.get("id") or f"R-{uuid.uuid4().hex[:10]}"
            vals["id"] = rid
            for role, default in AUTO_DEFAULTS.items():
                col = memory_config.ROLE_COLUMNS[role]
                if col in columns:
                    vals.setdefault(col, default)
            vals.setdefault("created_at", _now())
            missing = [r for r in cfg["required_roles"]
                       if memory_config.ROLE_COLUMNS[r] not in vals and r not in ("id", *AUTO_DEFAULTS)]
            if missing:
                raise ParameterError(f"a new rule needs {', '.join(missing)} "
                                     f"({', '.join(memory_config.ROLE_COLUMNS[r] for r in missing)}).",
                                     param=missing[0])
            for c, typ in types.items():
                if typ.endswith("[]") and c not in vals:
                    vals[c] = []
            if _row(cur, table, rid) is not None:
                raise ConflictError(f"a rule with id {rid!r} exists already; update it instead.")
            cols = list(vals)
            cur.execute(f"INSERT INTO {t} ({', '.join(quote_ident(c) for c in cols)}) VALUES "
                        f"({', '.join('?' for _ in cols)})", [vals[c] for c in cols])
            before, after = None, _row(cur, table, rid)
        else:
            rid = str(rule_id)
            before = _row(cur, table, rid)
            if before is None:
                raise NotFoundError(f"no rule with id {rid!r} in {dataset}.")
            if op == "update":
                if "id" in vals and vals["id"] != rid:
                    raise ParameterError("a rule's id cannot change; create a new rule instead.",
                                         param="id")
                vals.pop("id", None)
                if not vals:
                    raise ParameterError("give at least one field to change.")
                cols = list(vals)
                cur.execute(f"UPDATE {t} SET {', '.join(f'{quote_ident(c)} = ?' for c in cols)} "
                            "WHERE id = ?", [vals[c] for c in cols] + [rid])
                after = _row(cur, table, rid)
            else:
                cur.execute(f"DELETE FROM {t} WHERE id = ?", [rid])
                after = None
        seq = cur.execute(f"SELECT coalesce(max(seq), 0) + 1 FROM {HISTORY_TABLE}").fetchone()[0]
        cur.execute(f"INSERT INTO {HISTORY_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [seq, dataset, info.get("version"), _now(), op, rid, _json(before), _json(after)])
        new = dict(info)
        n = cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        new["rows"] = new["records"] = int(n)
        new["rules_revision"] = int(info.get("rules_revision", 0)) + 1
        new["updated"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        store.save_info(cur, dataset, new)
        out.update(old_stamp=api.stamp_of(info), new_stamp=api.stamp_of(new), before=before,
                   after=after, rid=rid)

    store.write(tx)
    api.rule_changed(store, dataset, out["old_stamp"], out["new_stamp"],
                     node_id("Rule", out["rid"]) if out["before"] is not None else None, out["after"])
    return _public(out["after"] if op != "delete" else out["before"])


def _public(row: dict | None) -> dict:
    """A rule row as plain JSON values: times as ISO 8601 text, NaN as None, lists as lists."""
    if row is None:
        return {}
    out = {}
    for k, v in row.items():
        if k.startswith("_axis"):
            continue
        if isinstance(v, datetime):
            v = v.isoformat(sep=" ")
        elif hasattr(v, "isoformat"):
            v = v.isoformat()
        elif isinstance(v, float) and v != v:
            v = None
        elif isinstance(v, tuple):
            v = list(v)
        out[k] = v
    return out


def create_rule(store, dataset: str, fields: dict) -> dict:
    return _change(store, dataset, "create", None, fields)


def update_rule(store, dataset: str, rule_id: str, fields: dict) -> dict:
    return _change(store, dataset, "update", rule_id, fields)


def delete_rule(store, dataset: str, rule_id: str) -> dict:
    return _change(store, dataset, "delete", rule_id, None)


def get_rule(store, dataset: str, rule_id: str) -> dict:
    info = _rules_info(store, dataset)
    row = store.read(lambda cur: _row(cur, info["scores_table"], str(rule_id)))
    if row is None:
        raise NotFoundError(f"no rule with id {str(rule_id)!r} in {dataset}.")
    return _public(row)


HISTORY_COLUMNS = ["seq", "changed_at", "op", "rule_id", "version", "before", "after"]


def history(store, dataset: str, rule_id: str | None = None, limit: int = 100) -> pd.DataFrame:
    """The changes made to ``dataset``'s rules (one rule's with ``rule_id``), newest first:
    seq, changed_at, op (create/update/delete), rule_id, version, before, after (dicts)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise ParameterError("limit must be an integer from 1 to 10000.", param="limit")

    def run(cur):
        exists = cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                             [HISTORY_TABLE]).fetchone()[0]
        if not exists:
            return pd.DataFrame(columns=HISTORY_COLUMNS)
        q = f"SELECT {', '.join(HISTORY_COLUMNS)} FROM {HISTORY_TABLE} WHERE dataset = ?"
        args: list = [dataset]
        if rule_id is not None:
            q += " AND rule_id = ?"
            args.append(str(rule_id))
        return cur.execute(q + " ORDER BY seq DESC LIMIT ?", args + [limit]).df()

    df = store.read(run)
    for c in ("before", "after"):
        df[c] = [json.loads(v) if isinstance(v, str) else None for v in df[c]]
    return df


class Rules:
    """``axis.rules(name)``: one rules dataset's rules, changed one at a time with history.

    ``create(**fields)``, ``update(rule_id, **fields)``, ``delete(rule_id)`` and ``get(rule_id)``
    return the rule as a dict; ``history()`` the changes; ``frame()`` every rule."""

    def __init__(self, store, dataset: str):
        self.store, self.dataset = store, dataset
        _rules_info(store, dataset)

    def __repr__(self) -> str:
        return f"<Rules of {self.dataset!r}>"

    def create(self, fields: dict | None = None, **kw) -> dict:
        return create_rule(self.store, self.dataset, {**(fields or {}), **kw})

    def update(self, rule_id: str, fields: dict | None = None, **kw) -> dict:
        return update_rule(self.store, self.dataset, rule_id, {**(fields or {}), **kw})

    def delete(self, rule_id: str) -> dict:
        return delete_rule(self.store, self.dataset, rule_id)

    def get(self, rule_id: str) -> dict:
        return get_rule(self.store, self.dataset, rule_id)

    def history(self, rule_id: str | None = None, limit: int = 100) -> pd.DataFrame:
        return history(self.store, self.dataset, rule_id, limit)

    def frame(self) -> pd.DataFrame:
        df, _ = self.store.rows(self.dataset, page=1, page_size=10**9)
        return df
