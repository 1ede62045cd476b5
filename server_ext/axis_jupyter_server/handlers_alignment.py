"""HTTP API of the alignment workbench: labels, judges, calibration runs, patterns.

Routes, relative to ``{base_url}axis/api/`` (``auth_resource = "axis:alignment"``; under
JupyterHub's scopes reading needs ``custom:axis:read``, labelling, calibrating and the LLM
analyses ``custom:axis:write``)::

  GET  alignment/datasets/{name}/whoami                  who you label as
  GET  alignment/datasets/{name}/records                 a page of records with your status
  GET  alignment/datasets/{name}/record                  one record (record_id= or position=)
  GET  alignment/datasets/{name}/annotations             everyone's current labels
  POST alignment/datasets/{name}/annotations             set your label's fields
  POST alignment/datasets/{name}/annotations/undo        revert one of your changes
  POST alignment/datasets/{name}/annotations/import      merge label rows (your own)
  GET  alignment/datasets/{name}/annotations/history     every change
  GET  alignment/datasets/{name}/annotations/export      the export table
  GET  alignment/datasets/{name}/calibrations            runs on the dataset
  POST alignment/datasets/{name}/calibrations            start a calibration job (202)
  GET  alignment/datasets/{name}/calibrations/history    judge versions side by side
  POST alignment/datasets/{name}/fewshot                 suggest few-shot examples
  POST alignment/datasets/{name}/patterns                pattern discovery job (202)
  GET  alignment/calibrations/{run_id}                   one run: records, metrics, analyses
  POST alignment/calibrations/{run_id}/misalignment      analyse the disagreements (LLM)
  POST alignment/calibrations/{run_id}/optimize          rewrite the criteria (LLM)
  GET  alignment/judges                                  saved judge versions
  POST alignment/judges                                  save a judge (a new version if changed)
  GET  alignment/judges/{judge}                          one saved judge (?version=)
  GET  alignment/defaults                                the default prompt and criteria

Who the annotator is: the authenticated user, never a field of the request (see
:mod:`.identity`: the hub user under JupyterHub; on a plain server the owner, whose one
credential everyone holds: ``$JUPYTERHUB_USER`` or the OS user, as in the owner's kernels).
The view actions of the annotate and calibrate views get the same name (``handlers``
runs every view action as that user, :func:`axis_jupyter.alignment.identity.acting_as`).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P
from axis_jupyter.alignment import judges as J
from axis_jupyter.alignment import records as R
from axis_jupyter.alignment import service
from .base import AxisHandler
from .identity import user_name
from .params import Body, Param, Spec, described

RUN_ID = r"(?P<run_id>[0-9a-f]+)"
DS = r"alignment/datasets/(?P<name>[^/]+)"


def _page_params() -> tuple[Param, ...]:
    return tuple(Param(k, v, v.get("description", "")) for k, v in service.PAGE_QUERY.items())


class _Base(AxisHandler):
    auth_resource = "axis:alignment"

    @property
    def annotator(self) -> str:
        return user_name(self)

    async def call(self, fn, *args, **kwargs):
        return await self.run_blocking(fn, self.store, *args, **kwargs)


class WhoamiHandler(_Base):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Who you label as on this server (the authenticated user)."""
        await self.run_blocking(self.store.info, name)
        self.write_json({"annotator": self.annotator, "dataset": name})


class RecordsHandler(_Base):
    params = {"get": Spec(query=_page_params())}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """A page of records with your status (pending/labelled, flagged) and the counts."""
        args = self.query_args()
        self.write_json(await self.call(service.records_page, name, self.annotator, **args))


class RecordHandler(_Base):
    params = {"get": Spec(query=(
        Param("record_id", {**P.STRING, "maxLength": 1000}, "the record"),
        Param("position", P.integer(0, 10**9), "or its position in the filtered list"),
        Param("after", {**P.STRING, "maxLength": 1000}, "or the next one after this record"),
        Param("before", {**P.STRING, "maxLength": 1000}, "or the one before this record"),
        *(p for p in _page_params() if p.name in ("status", "search", "run_id"))))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """One record: its fields, its position and everyone's labels of it."""
        args = self.query_args()
        self.write_json(await self.call(service.record, name, self.annotator, **args))


class AnnotationsHandler(_Base):
    params = {
        "get": Spec(query=(Param("annotator", {**P.STRING, "maxLength": 128},
                                 "only this annotator's labels"),)),
        "post": Spec(body=Body(service.LABEL_FIELDS, required=("record_id",))),
    }

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Everyone's current labels (one per record and annotator)."""
        args = self.query_args()
        self.write_json(await self.call(service.labels, name, args.get("annotator")))

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Set your label's fields (the others keep their value; null clears one)."""
        self.body_args()  # types and unknown fields, naming the wrong one
        body = self.json_body()
        self.write_json(await self.call(service.set_label, name, self.annotator, body))


class UndoHandler(_Base):
    params = {"post": Spec(body=Body({"revision": described(
        P.integer(1, 2**62), "the change to revert (default: your latest one)")}))}
    openapi = {"post": {"responses": {"200": "the label after the undo",
                                      "409": "already undone, or the record changed since"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Revert one of your changes to the value before it."""
        body = self.body_args()
        self.write_json(await self.call(service.S.undo, name, self.annotator,
                                        body.get("revision")))


class ImportHandler(_Base):
    params = {"post": Spec(body=Body({"rows": described(
        {"type": "array", "items": P.OBJECT, "maxItems": 500_000},
        "label rows: record_id (or dataset_id), judgment, score, critique, user_tags/tags, "
        "annotation_flagged/flagged, updated_at; an annotator column may name only you")},
        required=("rows",)))}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Merge label rows: per record the newer updated_at wins; nothing is dropped."""
        rows = self.body_args()["rows"]
        self.write_json(await self.call(service.import_rows, name, self.annotator, rows))


class HistoryHandler(_Base):
    params = {"get": Spec(query=(
        Param("record_id", {**P.STRING, "maxLength": 1000}, "one record"),
        Param("annotator", {**P.STRING, "maxLength": 128}, "one annotator")))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Every change (sets, undos, imports), oldest first."""
        args = self.query_args()
        self.write_json(await self.call(service.history, name, args.get("record_id"),
                                        args.get("annotator")))


class ExportHandler(_Base):
    params = {"get": Spec(query=(Param("include_unlabelled", P.BOOL,
                                       "also records nobody labelled (default true)"),))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """The records with their labels, as the CSV export has them ({columns, rows})."""
        args = self.query_args()
        self.write_json(await self.call(service.export, name,
                                        args.get("include_unlabelled", True)))


class CalibrationsHandler(_Base):
    params = {"post": Spec(body=Body({
        "judge": service.JUDGE_BODY,
        "annotator": described({**P.STRING, "maxLength": 128},
                               "use only this annotator's labels (default: the newest label "
                               "of each record)"),
        "max_concurrent": described(P.integer(1, 64), "judge calls at once (default 5)")}))}
    openapi = {"post": {"responses": {"202": "the calibration job",
                                      "400": "bad judge, no labelled records, or no API key",
                                      "409": "a calibration of this dataset is running"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Calibration runs on the dataset, newest first, with their metrics."""
        await self.run_blocking(self.store.info, name)
        self.write_json(await self.call(service.runs, name))

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Run the judge over the labelled records as a job (progress over SSE)."""
        body = self.body_args()
        job = await self.call(service.start_calibration, name, body, self.annotator, self.jobs)
        self.job_accepted(job)


class VersionsHistoryHandler(_Base):
    params = {"get": Spec(query=(Param("judge", {**P.STRING, "maxLength": 64}, "one judge"),))}

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str):
        """Judge versions and the metrics of their latest run on the dataset."""
        args = self.query_args()
        await self.run_blocking(self.store.info, name)
        self.write_json(await self.call(service.versions_history, name, args.get("judge")))


class FewshotHandler(_Base):
    params = {"post": Spec(body=Body({
        "strategy": described(P.one_of("balanced", "diverse", "representative", "recent",
                                       "misalignment", "edge_cases", "pattern"),
                              "how to choose (default balanced)"),
        "count": described(P.integer(1, 10), "how many (default 4)"),
        "seed": described(P.integer(0, 2**31), "random seed (default 0)"),
        "run_id": described({**P.STRING, "maxLength": 64}, "calibration run (misalignment)"),
        "annotator": described({**P.STRING, "maxLength": 128}, "only this annotator's labels")}))}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Suggest few-shot examples from the labelled records."""
        body = self.body_args()
        self.write_json(await self.call(service.fewshot, name, body))


class PatternsHandler(_Base):
    params = {"post": Spec(body=Body({
        "method": described(P.one_of("local", "llm"), "clustering (default local: no network)"),
        "distill": described({"anyOf": [P.BOOL, P.one_of("auto")]},
                             "distil learnings with the LLM (default auto: when a key is set)"),
        "recurrence": described(P.integer(1, 100), "notes a pattern needs (default 2)"),
        "max_items": described(P.integer(1, 10_000), "notes sampled (default 50)")}))}
    openapi = {"post": {"responses": {"202": "the pattern-discovery job"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str):
        """Cluster the critiques into patterns and distil learnings (a job)."""
        body = self.body_args()
        job = await self.call(service.start_patterns, name, body, self.annotator, self.jobs)
        self.job_accepted(job)


class RunHandler(_Base):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str):
        """One calibration run: judge, records, metrics and its latest analyses."""
        self.write_json(await self.call(service.run, run_id))


class MisalignmentHandler(_Base):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str):
        """Analyse the run's disagreements with the LLM (saved with the run)."""
        self.write_json(await self.call(service.analyse, run_id, "misalignment", self.annotator))


class OptimizeHandler(_Base):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str):
        """Rewrite the run's judge criteria with the LLM (saved with the run)."""
        self.write_json(await self.call(service.analyse, run_id, "optimization", self.annotator))


class JudgesHandler(_Base):
    params = {
        "get": Spec(query=(Param("name", {**P.STRING, "maxLength": 64}, "one judge's versions"),)),
        "post": Spec(body=Body({"judge": described(P.OBJECT, "the judge configuration"),
                                "note": described({**P.STRING, "maxLength": 1000}, "why")},
                               required=("judge",))),
    }

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Saved judge versions (name, version, model, created, criteria)."""
        self.write_json(await self.call(service.judge_list, self.query_args().get("name")))

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Save a judge: a new version when its configuration changed."""
        self.write_json(await self.call(service.judge_save, self.body_args(), self.annotator))


class JudgeHandler(_Base):
    params = {"get": Spec(query=(Param("version", P.integer(1, 10**6), "default: latest"),))}

    @tornado.web.authenticated
    @authorized
    async def get(self, judge: str):
        """One saved judge."""
        self.write_json(await self.call(service.judge_get, judge,
                                        self.query_args().get("version")))


class DefaultsHandler(_Base):
    @tornado.web.authenticated
    @authorized
    async def get(self):
        """The default system prompt, criteria, model and fields, and the record statuses."""
        self.write_json({**J.defaults(), "statuses": list(R.STATUSES)})


def routes():
    return [
        (rf"{DS}/whoami", WhoamiHandler),
        (rf"{DS}/records", RecordsHandler),
        (rf"{DS}/record", RecordHandler),
        (rf"{DS}/annotations", AnnotationsHandler),
        (rf"{DS}/annotations/undo", UndoHandler),
        (rf"{DS}/annotations/import", ImportHandler),
        (rf"{DS}/annotations/history", HistoryHandler),
        (rf"{DS}/annotations/export", ExportHandler),
        (rf"{DS}/calibrations", CalibrationsHandler),
        (rf"{DS}/calibrations/history", VersionsHistoryHandler),
        (rf"{DS}/fewshot", FewshotHandler),
        (rf"{DS}/patterns", PatternsHandler),
        (rf"alignment/calibrations/{RUN_ID}", RunHandler),
        (rf"alignment/calibrations/{RUN_ID}/misalignment", MisalignmentHandler),
        (rf"alignment/calibrations/{RUN_ID}/optimize", OptimizeHandler),
        (r"alignment/judges", JudgesHandler),
        (r"alignment/judges/(?P<judge>[^/]+)", JudgeHandler),
        (r"alignment/defaults", DefaultsHandler),
    ]
