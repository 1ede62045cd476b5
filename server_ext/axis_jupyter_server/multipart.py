"""A small streaming ``multipart/form-data`` parser for uploads.

Tornado buffers whole request bodies in memory unless a handler streams them; the upload
handler feeds each received chunk to :class:`MultipartStream`, which writes the file part
straight to a temporary file and keeps the (small) text fields in memory.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from email.message import Message
from pathlib import Path
from typing import BinaryIO

from axis_jupyter.errors import AxisError

MAX_FIELD_BYTES = 1 << 20  # text fields (name, kind, mapping) are small
MAX_HEADER_BYTES = 16 << 10


log = logging.getLogger("axis_jupyter_server")

UPLOAD_PREFIX = "axis-upload-"
LEGACY_ORPHAN_AGE_S = 24 * 3600


class UploadError(AxisError):
    """The upload request is malformed."""

    code = "bad_upload"


def upload_tempdir(upload_dir: str | None) -> str:
    """A fresh folder for one upload, named after this process (``axis-upload-<pid>-...``)
    so that a later server can tell a dead server's leftovers from a live one's uploads."""
    return tempfile.mkdtemp(prefix=f"{UPLOAD_PREFIX}{os.getpid()}-", dir=upload_dir)


def _alive_since(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), or None if it is not running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    try:  # Linux: field 22 of /proc/PID/stat is the start in clock ticks after boot
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return 0.0  # alive, start unknown: treat every folder of it as in use


def clean_orphans(upload_dir: str | None) -> list[str]:
    """Remove upload folders left by servers that died mid-upload (``kill -9``, a crash).

    A folder is an orphan when the process named in it is gone, or is a newer process that
    reused the id (it started after the folder was last written). Folders of live servers
    sharing the directory are left alone; old-style names without a process id only once
    they are a day old. Returns the removed paths."""
    base = upload_dir or tempfile.gettempdir()
    removed = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(UPLOAD_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if st.st_uid != os.getuid():
            continue
        m = re.match(rf"{UPLOAD_PREFIX}(\d+)-", entry.name)
        if m:
            pid = int(m.group(1))
            started = None if pid == os.getpid() else _alive_since(pid)
            if pid == os.getpid() or (started is not None and started <= st.st_mtime):
                continue
        elif now - st.st_mtime < LEGACY_ORPHAN_AGE_S:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.exists(entry.path):
            removed.append(entry.path)
    if removed:
        log.info("AXIS: removed %d upload folder(s) left by stopped servers in %s",
                 len(removed), base)
    return removed


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
