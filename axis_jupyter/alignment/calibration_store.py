"""Calibration runs in the store: who labelled what, what the judge said, the metrics,
and the analyses made of a run; and the labelled records a run starts from."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pandas as pd

from ..errors import NotFoundError, ParameterError
from . import records, tables
from .annotation_rows import iso, now_utc
from .judges import JudgeSpec, from_dict
from .metrics import AgreementMetrics


def labelled(store, dataset: str, annotator: str | None = None) -> pd.DataFrame:
    """The human label of each labelled record (judgment 0/1): record_id, human, annotator,
    critique. With several annotators and no ``annotator`` given, the newest label wins."""
    tables.ensure(store)
    store.info(dataset)
    where, args = "dataset = ? AND judgment IS NOT NULL", [dataset]
    if annotator is not None:
        where += " AND annotator = ?"
        args.append(annotator)
    sql = (f"SELECT record_id, arg_max(judgment, (updated_at, revision)) AS human, "
           f"arg_max(annotator, (updated_at, revision)) AS annotator, "
           f"arg_max(critique, (updated_at, revision)) AS critique FROM {tables.ANNOTATIONS} "
           f"WHERE {where} GROUP BY record_id")
    return store.read(lambda cur: cur.execute(sql, args).df())


def labelled_items(store, dataset: str, annotator: str | None = None) -> list[dict]:
    """Labelled records with their fields, in the dataset's order: record_id, human,
    critique, fields{...}."""
    humans = labelled(store, dataset, annotator)
    if humans.empty:
        return []
    recs = records.frame(store, dataset, list(humans["record_id"]))
    by_id = {r["record_id"]: r for r in humans.to_dict("records")}
    out = []
    for rec in recs.to_dict("records"):
        h = by_id.get(rec["record_id"])
        if h is None:
            continue
        fields = {k: _clean(v) for k, v in rec.items() if k != "record_id"}
        out.append({"record_id": rec["record_id"], "human": int(h["human"]),
                    "annotator": h["annotator"], "critique": _clean(h["critique"]),
                    "fields": fields})
    return out


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


def save_run(store, dataset: str, spec: JudgeSpec, rows: list[dict], metrics: AgreementMetrics,
             *, annotator: str | None, created_by: str | None, usage: dict) -> str:
    run_id = uuid.uuid4().hex[:12]
    frame = pd.DataFrame(rows, columns=["record_id", "human", "judge", "aligned", "reasoning",
                                        "error"])
    frame.insert(0, "run_id", run_id)
    frame["human"] = frame["human"].astype("Int64")
    frame["judge"] = frame["judge"].astype("Int64")
    frame["aligned"] = frame["aligned"].astype("boolean")

    def tx(cur):
        cur.execute(f"INSERT INTO {tables.CALIBRATIONS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, dataset, spec.name, spec.version, annotator, spec.model, now_utc(),
                     created_by, metrics.n, json.dumps(metrics.to_dict()), json.dumps(usage)])
        cur.register("_axis_cal_rows", frame)
        try:
            cur.execute(f"INSERT INTO {tables.CAL_RECORDS} SELECT run_id, record_id, human, judge, "
                        "aligned, reasoning, error FROM _axis_cal_rows")
        finally:
            cur.unregister("_axis_cal_rows")

    store.write(tx)
    return run_id


def load_run(store, run_id: str) -> dict:
    """{run: {...}, judge: {...}, records: [...], metrics: {...}} of one run."""
    tables.ensure(store)

    def read(cur):
        run = cur.execute(f"SELECT run_id, dataset, judge_name, judge_version, annotator, model, "
                          f"created_at, created_by, n, metrics, usage FROM {tables.CALIBRATIONS} "
                          "WHERE run_id = ?", [run_id]).fetchone()
        if run is None:
            return None
        recs = cur.execute(f"SELECT c.record_id, c.human, c.judge, c.aligned, c.reasoning, c.error "
                           f"FROM {tables.CAL_RECORDS} c WHERE c.run_id = ?", [run_id]).df()
        judge = cur.execute(f"SELECT config FROM {tables.JUDGES} WHERE name = ? AND version = ?",
                            [run[2], run[3]]).fetchone()
        return run, recs, judge

    got = store.read(read)
    if got is None:
        raise NotFoundError(f"no calibration run {run_id!r}.")
    run, recs, judge = got
    keys = ("run_id", "dataset", "judge_name", "judge_version", "annotator", "model",
            "created_at", "created_by", "n")
    info = dict(zip(keys, run[:9]))
    info["created_at"] = iso(info["created_at"])
    order = {rid: i for i, rid in enumerate(records.frame(store, info["dataset"],
                                                          list(recs["record_id"]))["record_id"])}
    recs = recs.assign(_o=recs["record_id"].map(lambda r: order.get(r, len(order)))) \
        .sort_values(["_o", "record_id"]).drop(columns="_o")
    spec = from_dict(json.loads(judge[0]), name=info["judge_name"]) if judge else None
    if spec is not None:
        spec.version = info["judge_version"]
    return {"run": info, "judge": spec.to_dict() if spec else None,
            "records": [_record(r) for r in recs.to_dict("records")],
            "metrics": json.loads(run[9]), "usage": json.loads(run[10] or "{}")}


def _record(r: dict) -> dict:
    out = {}
    for k, v in r.items():
        if v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            out[k] = None
        elif k in ("human", "judge") and v is not None:
            out[k] = int(v)
        elif k == "aligned" and v is not None:
            out[k] = bool(v)
        else:
            out[k] = v
    return out


def runs(store, dataset: str | None = None) -> pd.DataFrame:
    """Calibration runs, newest first: run_id, dataset, judge_name, judge_version, model,
    annotator, created_at, n, kappa, kappa_ci_low, kappa_ci_high, accuracy, precision,
    recall, specificity, f1, verdict."""
    tables.ensure(store)
    where, args = ("WHERE dataset = ? ", [dataset]) if dataset else ("", [])
    df = store.read(lambda cur: cur.execute(
        f"SELECT run_id, dataset, judge_name, judge_version, model, annotator, created_at, n, "
        f"metrics FROM {tables.CALIBRATIONS} {where}ORDER BY created_at DESC, run_id", args).df())
    metrics = [json.loads(m) for m in df["metrics"]]
    for key in ("kappa", "kappa_ci_low", "kappa_ci_high", "accuracy", "precision", "recall",
                "specificity", "f1", "verdict", "kappa_band"):
        df[key] = [m.get(key) for m in metrics]
    df["created_at"] = df["created_at"].map(iso)
    return df.drop(columns=["metrics"])


def versions_history(store, dataset: str, judge_name: str | None = None) -> pd.DataFrame:
    """Judge versions and the metrics of their latest run on ``dataset``, side by side:
    judge_name, judge_version, runs, run_id, created_at, n, kappa (+ interval), accuracy,
    precision, recall, specificity, f1, verdict, evaluation_criteria."""
    df = runs(store, dataset)
    if judge_name is not None:
        df = df[df["judge_name"] == judge_name]
    if df.empty:
        return df.assign(runs=pd.Series(dtype=int), evaluation_criteria=pd.Series(dtype=str))
    counts = df.groupby(["judge_name", "judge_version"]).size().rename("runs")
    latest = df.drop_duplicates(["judge_name", "judge_version"], keep="first")
    latest = latest.merge(counts, on=["judge_name", "judge_version"])
    criteria = {}
    for name in latest["judge_name"].unique():
        from .judges import versions

        v = versions(store, name)
        criteria.update({(name, int(r["version"])): r["evaluation_criteria"]
                         for r in v.to_dict("records")})
    latest["evaluation_criteria"] = [criteria.get((n, int(v))) for n, v in
                                     zip(latest["judge_name"], latest["judge_version"])]
    cols = ["judge_name", "judge_version", "runs", "run_id", "created_at", "model", "n", "kappa",
            "kappa_ci_low", "kappa_ci_high", "kappa_band", "accuracy", "precision", "recall",
            "specificity", "f1", "verdict", "evaluation_criteria"]
    return latest.sort_values(["judge_name", "judge_version"])[cols].reset_index(drop=True)


def save_result(store, run_id: str, kind: str, result: dict, created_by: str | None) -> None:
    if kind not in ("misalignment", "optimization"):
        raise ParameterError("kind must be misalignment or optimization.", param="kind")

    def tx(cur):
        cur.execute(f"INSERT INTO {tables.RESULTS} VALUES (?, ?, ?, ?, ?)",
                    [run_id, kind, json.dumps(result, ensure_ascii=False), now_utc(), created_by])

    store.write(tx)


def latest_result(store, run_id: str, kind: str) -> dict | None:
    tables.ensure(store)
    row = store.read(lambda cur: cur.execute(
        f"SELECT result FROM {tables.RESULTS} WHERE run_id = ? AND kind = ? ORDER BY created_at "
        "DESC LIMIT 1", [run_id, kind]).fetchone())
    return json.loads(row[0]) if row else None
