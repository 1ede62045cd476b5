"""What the calibration view shows (reference: upstream-ui.md §1.7 "CaliberHQ").

``payload``      {run_id?} -> labelled counts, whether an LLM key is set, the judge (of the
                 run, else the latest saved one, else the default), defaults, saved judge
                 versions, runs, the run (records with query and response excerpts,
                 metrics, its latest misalignment analysis and optimisation) and the
                 version history on this dataset
``start``        {judge: object | "name@version", annotator?} -> {job_id} (a calibration job)
``status``       {job_id} -> the job (state, progress, result)
``misalignment`` {run_id} / ``optimize`` {run_id} -> the LLM analysis (saved with the run)
``save_judge``   {judge, note?} -> {judge} (a new version when it changed)
``fewshot``      {strategy?, count?, run_id?} -> {examples, strategy_used}
``patterns``     {method?} -> {job_id} (pattern discovery over the critiques)
"""

from __future__ import annotations

from ..alignment import calibration_store as CS
from ..alignment import judges as J
from ..alignment import service
from ..alignment.identity import current_annotator
from ..errors import NotFoundError, ParameterError
from ..llm import configured
from ..wire import jsonable
from .registry import ViewSpec

VIEW = "calibrate"
# Any dataset with records can be labelled and calibrated; these are the usual ones.
KINDS = ("evals", "annotations", "monitoring", "signals")
EXCERPT = 2000


def _labelled(store, dataset) -> dict:
    items = CS.labelled_items(store, dataset)
    return {"total": len(items), "accepts": sum(i["human"] == 1 for i in items),
            "rejects": sum(i["human"] == 0 for i in items),
            "with_notes": sum(bool((i.get("critique") or "").strip()) for i in items),
            "fields": {i["record_id"]: i["fields"] for i in items}}


def _run(store, run_id: str, fields: dict) -> dict:
    run = service.run(store, run_id)
    for r in run["records"]:
        f = fields.get(r["record_id"]) or {}
        r["query"] = str(f.get("query") or "")[:EXCERPT]
        r["actual_output"] = str(f.get("actual_output") or "")[:EXCERPT]
    return run


def _judge_for(store, run: dict | None) -> dict:
    if run and run.get("judge"):
        return run["judge"]
    saved = J.versions(store)
    if len(saved):
        last = saved.sort_values("created_at").iloc[-1]
        return J.load(store, last["name"], int(last["version"])).to_dict()
    return J.JudgeSpec().to_dict()


def payload(store, dataset, *, run_id: str | None = None) -> dict:
    labelled = _labelled(store, dataset)
    fields = labelled.pop("fields")
    runs = CS.runs(store, dataset)
    if run_id is None and len(runs):
        run_id = str(runs["run_id"].iloc[0])
    run = _run(store, run_id, fields) if run_id else None
    if run is not None and run["run"]["dataset"] != dataset:
        raise NotFoundError(f"run {run_id} is not a run of {dataset!r}.")
    judge = _judge_for(store, run)
    return jsonable({
        "dataset": dataset, "annotator": current_annotator(), "llm_configured": configured(),
        "labelled": labelled, "judge": judge, "defaults": J.defaults(),
        "judges": service.judge_list(store, judge["name"])["judges"],
        "runs": service.runs(store, dataset)["runs"], "run": run,
        "history": service.versions_history(store, dataset, judge["name"])["history"],
    })


def _runner(store):
    runner = getattr(store, "jobs", None)
    if runner is None:
        raise ParameterError("this store runs no jobs here.", param="job_id")
    return runner


def start(store, dataset, *, judge=None, annotator: str | None = None) -> dict:
    body = {"judge": judge, **({"annotator": annotator} if annotator else {})}
    job = service.start_calibration(store, dataset, body, current_annotator(), _runner(store))
    return {"job_id": job.id, "job": jsonable(job.to_dict(result=False))}


def status(store, dataset, *, job_id: str) -> dict:
    job = _runner(store).get(job_id)
    if job.kind not in ("calibration", service.PATTERN_KIND):
        raise NotFoundError(f"job {job_id} is not a calibration or pattern job.")
    return jsonable(job.to_dict())


def misalignment(store, dataset, *, run_id: str) -> dict:
    return jsonable(service.analyse(store, run_id, "misalignment", current_annotator()))


def optimize(store, dataset, *, run_id: str) -> dict:
    return jsonable(service.analyse(store, run_id, "optimization", current_annotator()))


def save_judge(store, dataset, *, judge, note: str | None = None) -> dict:
    return jsonable(service.judge_save(store, {"judge": judge, "note": note}, current_annotator()))


def fewshot(store, dataset, *, strategy: str = "balanced", count: int = 4,
            run_id: str | None = None) -> dict:
    return jsonable(service.fewshot(store, dataset, {"strategy": strategy, "count": count,
                                                     "run_id": run_id}))


def patterns(store, dataset, *, method: str = "local") -> dict:
    job = service.start_patterns(store, dataset, {"method": method}, current_annotator(),
                                 _runner(store))
    return {"job_id": job.id}


SPEC = ViewSpec(
    name=VIEW,
    description="Calibration: an LLM judge against people's labels, analysed and improved",
    actions={"payload": payload, "patterns": patterns, "status": status, "save_judge": save_judge,
             "fewshot": fewshot, "start": start, "misalignment": misalignment,
             "optimize": optimize},
    kinds=KINDS,
)
