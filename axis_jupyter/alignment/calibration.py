"""``axis.calibrate(name, judge=...)``: measure an LLM judge against the people's labels.

    cal = axis.calibrate("support_answers", judge={"evaluation_criteria": "..."})
    cal.metrics.kappa, cal.metrics.kappa_ci_low, cal.metrics.verdict
    cal.records                  # record_id, human, judge, aligned, reasoning
    cal.misalignment()           # summary, patterns with example ids, recommendations
    cal.optimize()               # rewritten criteria, suggestions and their rationale
    cal2 = cal.apply()           # save the optimised criteria as a new judge version, re-run
    cal.history()                # the judge's versions and their metrics side by side

The run is a job (``calibration``) of the store's job runner — on a server's store, a
server job whose progress streams as Server-Sent Events — and is saved in the store with
the judge version it used. Without an API key it is refused before anything runs.
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from ..errors import ParameterError
from ..params import coerce, integer
from . import analysis, calibration_store as CS, judges
from .calibration_run import judge_records, make_judge, usage_of
from .fewshot import examples_for_judge, suggest
from .metrics import AgreementMetrics, agreement
from .transport import call, is_remote

RUN_KIND = "calibration"
RECORD_COLUMNS = ["record_id", "human", "judge", "aligned", "reasoning", "error"]


def _run(coro):
    from ..patterns import run_coroutine

    return run_coroutine(coro)


def start(store, dataset: str, judge: Any = None, *, annotator: str | None = None,
          created_by: str | None = None, runner=None, max_concurrent: int = 5):
    """Check everything that can be checked (the dataset, the judge, labelled records, the
    API key), then start the calibration job and return it (local stores only)."""
    max_concurrent = coerce("max_concurrent", max_concurrent, integer(1, 64))
    store.info(dataset)
    spec = judges.resolve(store, judge, created_by=created_by)
    items = CS.labelled_items(store, dataset, annotator)
    if not items:
        who = f" by {annotator}" if annotator else ""
        raise ParameterError(f"no records of {dataset!r} are labelled accept/reject{who} yet: "
                             "label some first (axis.annotations(name).set(...) or %axis show "
                             "annotate).", param="dataset")
    client = make_judge(spec, max_concurrent)  # LLMNotConfigured: refused before any work
    runner = runner or store.jobs

    def work(job):
        job.progress(done=0, total=len(items), stage="judging", judge=f"{spec.name}@{spec.version}")
        verdicts = _run(judge_records(
            spec, [{"record_id": i["record_id"], **i["fields"]} for i in items], client,
            on_done=lambda d, t: job.progress(done=d, total=t), cancel=job.cancel_event))
        job.check_cancelled()
        humans = {i["record_id"]: i["human"] for i in items}
        rows = [{"record_id": v["record_id"], "human": humans[v["record_id"]], "judge": v["judge"],
                 "aligned": None if v["judge"] is None else v["judge"] == humans[v["record_id"]],
                 "reasoning": v["reasoning"], "error": v["error"]} for v in verdicts]
        metrics = agreement([r["human"] for r in rows], [r["judge"] for r in rows])
        failed = sum(1 for r in rows if r["judge"] is None)
        if failed:
            job.log(f"{failed} record(s) got no verdict (the judge call failed); they are left "
                    "out of the metrics.", "warning")
        job.progress(stage="saving")
        run_id = CS.save_run(store, dataset, spec, rows, metrics, annotator=annotator,
                             created_by=created_by, usage=usage_of(client))
        return {"run_id": run_id, "dataset": dataset, "judge_name": spec.name,
                "judge_version": spec.version, "n": metrics.n, "failed": failed,
                "metrics": metrics.to_dict()}

    return runner.start(RUN_KIND, work, key=f"{RUN_KIND}:{dataset}", owner=created_by,
                        params={"dataset": dataset, "judge": f"{spec.name}@{spec.version}",
                                "records": len(items), "annotator": annotator})


def calibrate(store, dataset: str, judge: Any = None, *, annotator: str | None = None,
              max_concurrent: int = 5, progress: Callable[[str, Any], None] | None = None,
              created_by: str | None = None) -> "Calibration":
    """Run the judge over the labelled records of ``dataset`` and wait for the result.
    ``judge``: a dict, a YAML path, a saved judge's name (``"name@2"``) or None (the
    default judge). ``annotator``: only their labels (default: the newest label of each
    record). ``progress(event, data)`` sees the job's events."""
    if is_remote(store):
        body = {"judge": judge if isinstance(judge, (dict, str)) or judge is None else None,
                "max_concurrent": max_concurrent}
        if isinstance(judge, judges.JudgeSpec):
            body["judge"] = judge.to_dict()
        if annotator is not None:
            body["annotator"] = annotator
        if isinstance(judge, str) and judge.lower().endswith((".yaml", ".yml")):
            body["judge"] = judges.from_yaml(judge).to_dict()
        resp = call(store, "POST", "datasets", dataset, "calibrations",
                    json={k: v for k, v in body.items() if v is not None})
        job = store.wait_job(resp["job"]["id"], on_event=progress)
        return Calibration.load(store, job["result"]["run_id"])
    from .identity import default_annotator

    job = start(store, dataset, judge, annotator=annotator,
                created_by=created_by or default_annotator(), max_concurrent=max_concurrent)
    job.follow(progress)
    result = job.outcome()
    return Calibration.load(store, result["run_id"])


class Calibration:
    """One calibration run: ``records``, ``metrics``, ``judge`` and what to do next."""

    def __init__(self, store, data: dict):
        self.store = store
        self.data = data
        run = data["run"]
        self.run_id: str = run["run_id"]
        self.dataset: str = run["dataset"]
        self.judge = judges.JudgeSpec(**data["judge"]) if data.get("judge") else None
        self.records = pd.DataFrame(data["records"], columns=RECORD_COLUMNS)
        for col in ("human", "judge"):
            self.records[col] = self.records[col].astype("Int64")
        self.records["aligned"] = self.records["aligned"].astype("boolean")
        self.metrics = AgreementMetrics(**data["metrics"])

    @classmethod
    def load(cls, store, run_id: str) -> "Calibration":
        if is_remote(store):
            return cls(store, call(store, "GET", "calibrations", run_id))
        return cls(store, CS.load_run(store, run_id))

    def __repr__(self) -> str:
        m = self.metrics
        kappa = "undefined" if m.kappa is None else f"{m.kappa:.3f}"
        judge = f"{self.data['run']['judge_name']}@{self.data['run']['judge_version']}"
        return (f"<Calibration {self.run_id} of {self.dataset!r} with judge {judge}: n={m.n}, "
                f"kappa={kappa} ({m.kappa_band}), verdict={m.verdict}>")

    # -- reading ---------------------------------------------------------------------------
    def disagreements(self) -> pd.DataFrame:
        """The misaligned records (the queue the annotation view's ``disagreements`` filter
        shows): false positives first."""
        mis = self.records[self.records["aligned"] == False]  # noqa: E712 - nullable boolean
        return mis.sort_values("judge", ascending=False, kind="stable").reset_index(drop=True)

    def history(self) -> pd.DataFrame:
        """This judge's versions on this dataset with the metrics of their latest runs."""
        name = self.data["run"]["judge_name"]
        if is_remote(self.store):
            data = call(self.store, "GET", "datasets", self.dataset, "calibrations", "history",
                        params={"judge": name})
            return pd.DataFrame(data["history"])
        return CS.versions_history(self.store, self.dataset, name)

    # -- LLM analyses ----------------------------------------------------------------------
    def misalignment(self) -> dict:
        """Why the judge disagrees: total_misaligned, false_positives, false_negatives,
        summary, patterns ({pattern_type, description, example_ids, count}),
        recommendations. Saved with the run."""
        return self._analysis("misalignment")

    def optimize(self) -> dict:
        """Rewritten criteria: original_criteria, evaluation_criteria (the new ones),
        optimized_prompt, suggestions ({aspect, suggestion, rationale}),
        expected_improvement, changed. Saved with the run."""
        return self._analysis("optimization")

    def _analysis(self, kind: str) -> dict:
        if is_remote(self.store):
            route = "misalignment" if kind == "misalignment" else "optimize"
            return call(self.store, "POST", "calibrations", self.run_id, route)
        from .identity import default_annotator

        return analyse(self.store, self.run_id, kind, created_by=default_annotator())

    def apply(self, criteria: str | None = None, *, rerun: bool = True, note: str | None = None):
        """Save the optimised criteria (or ``criteria``) as a new version of this judge and,
        with ``rerun`` (default), calibrate it on the same dataset: the new Calibration
        (else the new judge version)."""
        if criteria is None:
            criteria = self.optimize()["evaluation_criteria"]
        if not isinstance(criteria, str) or not criteria.strip():
            raise ParameterError("criteria must be non-empty text.", param="criteria")
        spec = self.judge.with_criteria(criteria)
        if is_remote(self.store):
            saved = call(self.store, "POST", "judges", json={"judge": spec.to_dict(), "note": note or
                         f"applied to run {self.run_id}"})["judge"]
        else:
            from .identity import default_annotator

            saved = judges.save(self.store, spec, created_by=default_annotator(),
                                note=note or f"applied to run {self.run_id}").to_dict()
        if not rerun:
            return judges.JudgeSpec(**saved)
        return calibrate(self.store, self.dataset, f"{saved['name']}@{saved['version']}",
                         annotator=self.data["run"].get("annotator"))

    def suggest_examples(self, strategy: str = "balanced", count: int = 4, seed: int = 0) -> dict:
        """Few-shot examples from the labelled records (``balanced``, ``misalignment`` —
        guided by this run — or ``pattern``): {examples, strategy_used}."""
        if is_remote(self.store):
            return call(self.store, "POST", "datasets", self.dataset, "fewshot", json={
                "strategy": strategy, "count": count, "seed": seed, "run_id": self.run_id})
        return suggest_for(self.store, self.dataset, strategy, count, run_id=self.run_id,
                           seed=seed)

    def with_examples(self, examples: list[dict]) -> judges.JudgeSpec:
        """This run's judge with ``examples`` as its few-shot examples (not saved)."""
        d = self.judge.to_dict()
        d.update(few_shot_examples=examples_for_judge(examples), version=None)
        return judges.from_dict(d)


def analyse(store, run_id: str, kind: str, created_by: str | None = None) -> dict:
    """Run a misalignment analysis or an optimisation of a run (local store) and save it."""
    data = CS.load_run(store, run_id)
    spec = judges.JudgeSpec(**data["judge"])
    fields = {i["record_id"]: {**i["fields"], "critique": i.get("critique")}
              for i in CS.labelled_items(store, data["run"]["dataset"])}
    from .analysis import split

    fp, fn = split(data["records"])
    client = make_judge(spec) if (fp or fn) else None  # no key needed when nothing to ask
    fn_ = analysis.misalignment if kind == "misalignment" else analysis.optimize
    result = _run(_closing(fn_(spec, data["records"], fields, client), client))
    CS.save_result(store, run_id, kind, result, created_by)
    return result


async def _closing(coro, client):
    """Await ``coro``, then close the LLM client on the same event loop."""
    try:
        return await coro
    finally:
        if client is not None:
            await client.aclose()


def suggest_for(store, dataset: str, strategy: str = "balanced", count: int = 4, *,
                run_id: str | None = None, seed: int = 0, annotator: str | None = None) -> dict:
    items = CS.labelled_items(store, dataset, annotator)
    run_records = CS.load_run(store, run_id)["records"] if run_id else None
    return suggest(items, strategy, count, run_records=run_records, seed=seed)
