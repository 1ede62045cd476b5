"""A small streaming ``multipart/form-data`` parser for uploads.

Tornado buffers whole request bodies in memory unless a handler streams them; the upload
handler feeds each received chunk to :class:`MultipartStream`, which writes the file part
straight to a temporary file and keeps the (small) text fields in memory.
"""

from __future__ import annotations

import os
import re
from email.message import Message
from pathlib import Path
from typing import BinaryIO

from axis_jupyter.errors import AxisError

MAX_FIELD_BYTES = 1 << 20  # text fields (name, kind, mapping) are small
MAX_HEADER_BYTES = 16 << 10


class UploadError(AxisError):
    """The upload request is malformed."""


def boundary_from(content_type: str) -> bytes:
    msg = Message()
    msg["content-type"] = content_type or ""
    if msg.get_content_type() != "multipart/form-data":
        raise UploadError("upload the file as multipart/form-data with a field named 'file'.")
    boundary = msg.get_param("boundary")
    if not boundary or not isinstance(boundary, str):
        raise UploadError("multipart/form-data request without a boundary.")
    return boundary.encode("latin-1")


def safe_filename(name: str | None) -> str:
    """The base name of an uploaded file, stripped of anything path-like."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return base[:200] or "upload"


class MultipartStream:
    """Feed chunks with :meth:`feed`; call :meth:`close` at the end.

    ``file_field``'s content goes to ``directory/<safe filename>``; other fields are decoded
    as UTF-8 into :attr:`fields`. :attr:`file_path` and :attr:`filename` describe the file.
    """

    def __init__(self, boundary: bytes, directory: str | os.PathLike, file_field: str = "file"):
        self._delim = b"\r\n--" + boundary
        self._dir = Path(directory)
        self._file_field = file_field
        # Prepend CRLF so the first boundary looks like every other delimiter.
        self._buf = bytearray(b"\r\n")
        self._state = "preamble"  # preamble | headers | body | epilogue
        self._part_name: str | None = None
        self._part_file: BinaryIO | None = None
        self._part_data = bytearray()
        self.fields: dict[str, str] = {}
        self.file_path: Path | None = None
        self.filename: str | None = None
        self.file_bytes = 0

    def feed(self, chunk: bytes) -> None:
        self._buf += chunk
        while True:
            if self._state == "preamble":
                i = self._buf.find(self._delim)
                if i < 0:
                    # keep a tail that might hold the start of the delimiter
                    del self._buf[: max(0, len(self._buf) - len(self._delim))]
                    return
                del self._buf[: i + len(self._delim)]
                self._state = "after_delim"
            elif self._state == "after_delim":
                if len(self._buf) < 2:
                    return
                if self._buf[:2] == b"--":
                    self._state = "epilogue"
                    self._buf.clear()
                    return
                if self._buf[:2] != b"\r\n":
                    raise UploadError("malformed multipart body (bad boundary line).")
                del self._buf[:2]
                self._state = "headers"
            elif self._state == "headers":
                i = self._buf.find(b"\r\n\r\n")
                if i < 0:
                    if len(self._buf) > MAX_HEADER_BYTES:
                        raise UploadError("malformed multipart body (part headers too long).")
                    return
                self._start_part(bytes(self._buf[:i]).decode("utf-8", "replace"))
                del self._buf[: i + 4]
                self._state = "body"
            elif self._state == "body":
                i = self._buf.find(self._delim)
                if i < 0:
                    keep = len(self._delim) - 1
                    if len(self._buf) > keep:
                        self._write(bytes(self._buf[: len(self._buf) - keep]))
                        del self._buf[: len(self._buf) - keep]
                    return
                self._write(bytes(self._buf[:i]))
                del self._buf[: i + len(self._delim)]
                self._end_part()
                self._state = "after_delim"
            else:  # epilogue: ignore
                self._buf.clear()
                return

    def close(self) -> None:
        if self._part_file is not None:
            self._part_file.close()
            self._part_file = None
        if self._state != "epilogue":
            raise UploadError("the upload was cut off before the end of the multipart body.")

    def abort(self) -> None:
        if self._part_file is not None:
            self._part_file.close()
            self._part_file = None

    # -- parts ------------------------------------------------------------------------------
    def _start_part(self, header_text: str) -> None:
        headers = {}
        for line in header_text.split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        msg = Message()
        msg["content-disposition"] = headers.get("content-disposition", "")
        params = dict(msg.get_params(header="content-disposition") or [])
        name = params.get("name")
        if not name:
            raise UploadError("malformed multipart body (a part has no name).")
        self._part_name = name
        self._part_data = bytearray()
        if name == self._file_field:
            if self._part_file is not None or self.file_path is not None:
                raise UploadError("send exactly one 'file' field.")
            self.filename = safe_filename(params.get("filename"))
            self.file_path = self._dir / self.filename
            self._part_file = open(self.file_path, "wb")  # noqa: SIM115 - closed in _end_part

    def _write(self, data: bytes) -> None:
        if not data:
            return
        if self._part_file is not None:
            self._part_file.write(data)
            self.file_bytes += len(data)
        else:
            self._part_data += data
            if len(self._part_data) > MAX_FIELD_BYTES:
                raise UploadError(f"form field {self._part_name!r} is too large "
                                  "(only the 'file' field may be big).")

    def _end_part(self) -> None:
        if self._part_file is not None:
            self._part_file.close()
            self._part_file = None
        elif self._part_name is not None:
            self.fields[self._part_name] = bytes(self._part_data).decode("utf-8", "replace")
        self._part_name = None
