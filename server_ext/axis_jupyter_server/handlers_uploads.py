"""Staged uploads (the data manager's upload): stream, preview, commit as a job, discard.

``POST uploads`` streams a multipart file to disk exactly like ``POST datasets`` (never
held in memory, the kernel never involved) but keeps it staged instead of loading it, and
answers ``201 {upload, filename, bytes, preview}``. ``POST uploads/{upload}/preview``
reads the head again with another mapping or kind; ``POST uploads/{upload}/commit``
loads it as an ``upload`` job (``202 {job, events}``; the staged file stays if the load
fails, so the mapping can be fixed and the commit repeated); ``DELETE uploads/{upload}``
discards it. All of it writes ``axis:datasets``.
"""

from __future__ import annotations

import shutil

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P
from axis_jupyter.ingest import staging
from axis_jupyter.payloads.datasets import commit_staged

from .base import AxisHandler
from .handlers import KINDS, DatasetsHandler, _check_encoding
from .multipart import UploadError
from .params import Body, Spec, described

UPLOAD = r"(?P<upload>[a-f0-9]{16})"
_MAPPING = described({"type": "object", "additionalProperties": P.STRING},
                     "{your_column: canonical_column}")
_KIND = described(P.STRING, f"{', '.join(KINDS)} (default auto)")


@tornado.web.stream_request_body
class UploadsHandler(DatasetsHandler):
    auth_resource = "axis:datasets"
    params = {"post": Spec(body=Body(
        {"file": {"type": "string", "format": "binary", "description": "the CSV, Parquet or JSON-lines file"}},
        required=("file",), content_type="multipart/form-data"))}
    openapi = {"post": {"responses": {"201": "the staged upload {upload, filename, bytes, preview}"}}}
    get = tornado.web.RequestHandler.get  # type: ignore[assignment]  # no listing of staged files

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Stage a file (multipart field ``file``) and preview its first rows; nothing is loaded."""
        up = self._received_upload()
        path, filename, tmpdir = up.file_path, up.filename, self._tmpdir

        def keep():
            try:
                return staging.stage(path, filename, move=True)
            finally:
                shutil.rmtree(tmpdir, ignore_errors=True)

        staged = await self.run_blocking(keep)
        self._tmpdir = None
        try:
            preview = await self.run_blocking(staging.preview, staged["upload"])
        except Exception as exc:  # noqa: BLE001 - an unreadable file: say so, keep nothing
            await self.run_blocking(staging.discard, staged["upload"])
            raise exc
        self.write_json({**staged, "preview": preview}, status=201)


class UploadHandler(AxisHandler):
    auth_resource = "axis:datasets"
    openapi = {"delete": {"responses": {"200": "{upload, discarded}"}}}

    @tornado.web.authenticated
    @authorized
    async def delete(self, upload: str):
        """Discard a staged upload."""
        self.write_json(await self.run_blocking(staging.discard, upload))


class UploadPreviewHandler(AxisHandler):
    auth_resource = "axis:datasets"
    params = {"post": Spec(body=Body({"mapping": _MAPPING, "kind": _KIND,
                                      "encoding": described(P.STRING, "text encoding (default utf-8)")}))}
    openapi = {"post": {"responses": {"200": "{columns: [{name, type, canonical, role}], rows, kind, "
                                             "layout, error}"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self, upload: str):
        """The first rows of a staged upload as ``mapping`` and ``kind`` would load it."""
        body = self.body_args()
        encoding = body.get("encoding") or "utf-8"
        _check_encoding(encoding)
        self.write_json(await self.run_blocking(
            staging.preview, upload, mapping=body.get("mapping"), kind=body.get("kind") or "auto",
            encoding=encoding))


class UploadCommitHandler(AxisHandler):
    auth_resource = "axis:datasets"
    params = {"post": Spec(body=Body({"name": described(P.STRING, "dataset name (default: the file's)"),
                                      "mapping": _MAPPING, "kind": _KIND,
                                      "encoding": described(P.STRING, "text encoding (default utf-8)")}))}
    openapi = {"post": {"responses": {"202": "the upload job {job, events}"}}}

    @tornado.web.authenticated
    @authorized
    async def post(self, upload: str):
        """Load a staged upload as a dataset; runs as an ``upload`` job."""
        from axis_jupyter.store.local import check_name, dataset_name_from

        body = self.body_args()
        meta = staging.staged(upload)  # 404 early
        name = check_name(body.get("name") or dataset_name_from(meta["filename"]))
        kind = body.get("kind") or "auto"
        encoding = body.get("encoding") or "utf-8"
        _check_encoding(encoding)
        mapping, store = body.get("mapping"), self.store

        def work(job):
            from axis_jupyter.ingest import without_contents

            job.progress(stage="loading", filename=meta["filename"], bytes=meta["bytes"])
            with without_contents():  # the error is read over HTTP: no file content
                info = commit_staged(store, upload, name=name, kind=kind, mapping=mapping,
                                      encoding=encoding)
            for w in info.get("warnings") or []:
                job.log(w, level="warning")
            job.progress(stage="done", rows=info.get("rows"))
            return info

        job = self.jobs.start("upload", work, key=f"dataset:{name}",
                              params={"name": name, "kind": kind, "filename": meta["filename"],
                                      "bytes": meta["bytes"], "upload": upload},
                              owner=getattr(self.current_user, "username", None))
        self.job_accepted(job)


def routes() -> list[tuple[str, type]]:
    return [
        (r"uploads", UploadsHandler),
        (rf"uploads/{UPLOAD}", UploadHandler),
        (rf"uploads/{UPLOAD}/preview", UploadPreviewHandler),
        (rf"uploads/{UPLOAD}/commit", UploadCommitHandler),
    ]
