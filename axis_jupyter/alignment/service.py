"""The alignment operations as JSON in, JSON out: what the HTTP routes and the views call.

Each function takes the store, the dataset and the *annotator decided by the caller* (the
server passes the authenticated user, never a request field) and returns plain JSON-ready
values. Parameters are checked here, so the routes, the views and Python refuse the same
bad input with the same message.
"""

from __future__ import annotations

from typing import Any

from .. import params as P
from ..errors import ParameterError
from . import annotation_store as S
from . import calibration as C
from . import calibration_store as CS
from . import judges as J
from . import records as R
from .annotations import export_frame

MAX_PAGE = 500

# Parameter schemas, shared by the routes (openapi.json) and the checks below.
LABEL_FIELDS = {
    "record_id": {**P.STRING, "minLength": 1, "maxLength": 1000,
                  "description": "the record (its dataset_id)"},
    "judgment": {"anyOf": [{"type": "integer", "enum": [0, 1]}, P.BOOL,
                           {"type": "string", "enum": ["accept", "reject"]}], "nullable": True,
                 "description": "1/accept, 0/reject, or null to clear"},
    "score": {**P.NUMBER, "nullable": True, "description": "a numeric score, or null"},
    "tags": {**P.STRINGS, "maxItems": 50, "nullable": True, "description": "tag list"},
    "critique": {**P.STRING, "maxLength": 20000, "nullable": True, "description": "notes"},
    "flagged": {**P.BOOL, "description": "flag the record for review"},
}
PAGE_QUERY = {
    "status": {**P.one_of(*R.STATUSES), "description": "which records"},
    "search": {**P.STRING, "maxLength": 200, "description": "text in the id, query or output"},
    "offset": {**P.integer(0, 10**9), "description": "first position (0-based)"},
    "limit": {**P.integer(1, MAX_PAGE), "description": f"records per page (1-{MAX_PAGE})"},
    "run_id": {**P.STRING, "maxLength": 64, "description": "calibration run (status=disagreements)"},
}
JUDGE_BODY = {"anyOf": [{**P.STRING, "maxLength": 100}, P.OBJECT],
              "description": "a saved judge's name (name@version) or a judge object "
                             "{model, system_prompt, evaluation_criteria, few_shot_examples, "
                             "temperature, fields}"}


def _records(df) -> list[dict]:
    return df.to_dict("records")


def records_page(store, dataset: str, annotator: str, status: str = "all",
                 search: str | None = None, offset: int = 0, limit: int = 100,
                 run_id: str | None = None) -> dict:
    if run_id is None and status == "disagreements":
        latest = CS.runs(store, dataset)
        run_id = latest["run_id"].iloc[0] if len(latest) else None
    page = R.page(store, dataset, annotator, status=status, search=search, offset=offset,
                  limit=min(int(limit), MAX_PAGE), run_id=run_id)
    page["records"] = _records(page["records"])
    page["annotator"] = annotator
    page["run_id"] = run_id
    return page


def record(store, dataset: str, annotator: str, record_id: str | None = None,
           position: int | None = None, status: str = "all", search: str | None = None,
           run_id: str | None = None, after: str | None = None,
           before: str | None = None) -> dict:
    if run_id is None and status == "disagreements":
        latest = CS.runs(store, dataset)
        run_id = latest["run_id"].iloc[0] if len(latest) else None
    out = R.record_at(store, dataset, annotator, position=position, record_id=record_id,
                      after=after, before=before, status=status, search=search, run_id=run_id)
    out["mine"] = next((a for a in out["annotations"] if a["annotator"] == annotator), None)
    return out


def set_label(store, dataset: str, annotator: str, body: dict) -> dict:
    """Change the label fields given in ``body`` (a JSON ``null`` clears one)."""
    nulls = {k for k, v in body.items() if v is None and k in ("judgment", "score", "tags",
                                                              "critique")}
    checked = P.check_fields("an annotation", {k: v for k, v in body.items() if k not in nulls},
                             LABEL_FIELDS, required=("record_id",))
    given = {k: checked[k] for k in ("judgment", "score", "tags", "critique", "flagged")
             if k in checked}
    given.update({k: None for k in nulls})
    if not given:
        raise ParameterError("give at least one of judgment, score, tags, critique, flagged.",
                             param="judgment")
    return S.set_label(store, dataset, checked["record_id"], annotator, **given)


def labels(store, dataset: str, annotator: str | None = None) -> dict:
    return {"annotations": _records(S.frame(store, dataset, annotator))}


def history(store, dataset: str, record_id: str | None = None,
            annotator: str | None = None) -> dict:
    return {"history": _records(S.history(store, dataset, record_id, annotator))}


def import_rows(store, dataset: str, annotator: str, rows: Any) -> dict:
    if not isinstance(rows, list):
        raise ParameterError("rows must be a list of label objects.", param="rows")
    return S.import_rows(store, dataset, rows, annotator, allow_other_annotators=False)


def export(store, dataset: str, include_unlabelled: bool = True) -> dict:
    df = export_frame(store, dataset, include_unlabelled)
    return {"columns": list(df.columns), "rows": _records(df)}


# ----------------------------------------------------------------------------- judges
def judge_list(store, name: str | None = None) -> dict:
    return {"judges": _records(J.versions(store, name))}


def judge_get(store, name: str, version: int | None = None) -> dict:
    return {"judge": J.load(store, J.check_name(name, "judge"), version).to_dict()}


def judge_save(store, body: dict, user: str) -> dict:
    judge = body.get("judge")
    if not isinstance(judge, dict):
        raise ParameterError("judge must be an object.", param="judge")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise ParameterError("note must be text.", param="note")
    spec = J.save(store, J.from_dict(judge), created_by=user, note=note)
    return {"judge": spec.to_dict()}


def resolve_judge(store, judge: Any, user: str) -> J.JudgeSpec:
    """A judge from a request: a saved name (never a file path) or an object."""
    if isinstance(judge, str):
        name, version = J.parse_ref(judge)
        return J.load(store, name, version)
    return J.resolve(store, judge, created_by=user)


# ----------------------------------------------------------------------------- calibration
def start_calibration(store, dataset: str, body: dict, user: str, runner):
    spec = resolve_judge(store, body.get("judge"), user)
    annotator = body.get("annotator")
    return C.start(store, dataset, spec, annotator=annotator, created_by=user, runner=runner,
                   max_concurrent=body.get("max_concurrent", 5))


def runs(store, dataset: str) -> dict:
    return {"runs": _records(CS.runs(store, dataset))}


def versions_history(store, dataset: str, judge: str | None = None) -> dict:
    return {"history": _records(CS.versions_history(store, dataset, judge))}


def run(store, run_id: str) -> dict:
    out = CS.load_run(store, run_id)
    out["misalignment"] = CS.latest_result(store, run_id, "misalignment")
    out["optimization"] = CS.latest_result(store, run_id, "optimization")
    return out


def analyse(store, run_id: str, kind: str, user: str) -> dict:
    return C.analyse(store, run_id, kind, created_by=user)


def fewshot(store, dataset: str, body: dict) -> dict:
    return C.suggest_for(store, dataset, body.get("strategy", "balanced"), body.get("count", 4),
                         run_id=body.get("run_id"), seed=body.get("seed", 0),
                         annotator=body.get("annotator"))


# ----------------------------------------------------------------------------- patterns
PATTERN_KIND = "patterns"


def start_patterns(store, dataset: str, body: dict, user: str, runner):
    """Pattern discovery over the dataset's critiques as a job (its result is the
    :class:`~axis_jupyter.patterns.PatternResult` as JSON)."""
    from ..patterns.pipeline import prepare, adiscover
    from .annotations import Annotations

    method = body.get("method", "local")
    distill = body.get("distill", "auto")
    notes = Annotations(store, dataset, annotator=user).notes()
    _, judge, _, _ = prepare(notes, method, distill, None)  # refuses up front without a key
    options = {k: body[k] for k in ("recurrence", "max_items") if body.get(k) is not None}

    async def work(job):
        result = await adiscover(notes, method, judge=judge, distill=distill,
                                 on_progress=lambda stage, d, t: job.progress(stage=stage, done=d,
                                                                              total=t),
                                 **options)
        return result.to_dict()

    return runner.start(PATTERN_KIND, _sync(work), key=f"{PATTERN_KIND}:{dataset}", owner=user,
                        params={"dataset": dataset, "method": method, "notes": len(notes)})


def _sync(coro_fn):
    """A job function running ``coro_fn(job)`` on its own event loop in the job's thread."""
    def work(job):
        from ..patterns import run_coroutine

        return run_coroutine(coro_fn(job))

    return work
