"""The store's DuckDB database is a sandbox: DuckDB itself refuses to reach outside it.

Why not only parse the SQL? A parser-based guard (``sqlguard``) has to know every way a
SELECT can name a file — ``FROM 'x.csv'``, ``read_text``, globs, a CTE that shadows a quoted
path — and one miss hands ``axis:query`` the server's files (the Jupyter runtime file with
its token included). So the guard stays, as the second layer, and the first layer is
DuckDB's own configuration, applied to the whole database instance when the store opens it:

* ``enable_external_access = false``: no file is read or written from SQL (``FROM 'f.csv'``,
  ``read_csv``, ``read_text``, ``glob``, ``COPY … TO``, ``ATTACH 'file'``), no extension is
  installed or loaded, nothing goes to the network, ``getenv`` does not exist.
* ``allowed_directories = [<staging dir>, <spill dir>]``: the one exception, for our own loading
  (DuckDB adds its spill folder ``<store>.tmp`` itself, so big sorts still spill).
* ``autoinstall_known_extensions = false``, ``autoload_known_extensions = false``.
* ``lock_configuration = true``, last: no ``SET``/``RESET`` can change any of it again.
  (``enable_external_access`` cannot be turned back on anyway, and ``allowed_directories``
  cannot change once it is off; the lock also stops ``SET temp_directory`` and the like.)

DuckDB accepts ``allowed_directories`` only after the database has started and before
external access is switched off, and the settings belong to the database instance (every
cursor shares them), so :func:`connect` applies them in that order right after opening, and
the store locks them once its own setup (metadata table, the Ibis backend that sets its
session time zone) is done.

How files still get in. The design choice is a *staging directory*, one per store: the
store file's name plus ``.staging`` beside it (same file system, so staging a file is a hard
link, not a copy), or a temporary folder for ``:memory:`` stores. It is emptied of our own
leftovers at open (we hold the store's lock) and removed at close for temporary stores.

* ``axis.load(path)`` (and server uploads, which the server writes there directly) hands
  DuckDB a hard link (else a copy) of the file inside the staging directory, so DuckDB's own
  CSV/Parquet/JSON readers — their sniffing, reject tables and line numbers — work as before,
  and the link is removed when the load ends. Symbolic links would not do: DuckDB resolves
  them and refuses the target.
* The PostgreSQL sync streams ``COPY`` output through named pipes created there (it used
  ``/dev/fd/N`` before, which the sandbox refuses).
* Frames (pandas, polars, Arrow) are registered as Arrow views, which needs no file access.

What a query can still see: only the staging folder's files while a load is in flight (and
the SQL guard refuses table functions before DuckDB would be asked).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from .. import config
from ..errors import StoreError

PREFIXES = ("axis-stage-", "axis-pipe-", "axis-upload-")


def staging_dir_for(path: str) -> tuple[Path, bool]:
    """The staging folder of the store at ``path`` and whether it is temporary."""
    if path == ":memory:":
        return Path(tempfile.mkdtemp(prefix="axis-staging-")).resolve(), True
    folder = Path(path + ".staging").resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder, False


def clear_leftovers(folder: Path) -> None:
    """Remove what an earlier process (killed mid-load) left in the staging folder."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(PREFIXES):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
        except OSError:
            pass


def connect(path: str, staging: Path) -> duckdb.DuckDBPyConnection:
    """Open the store's database with external access off except for ``staging``."""
    con = duckdb.connect(path, config={"autoinstall_known_extensions": False,
                                       "autoload_known_extensions": False})
    try:
        # DuckDB shares one database instance per file within a process: a second LocalStore
        # on the same file would find it set up and locked by the first.
        if con.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0]:
            raise StoreError(f"this process already has the AXIS store {path} open; use "
                             "axis_jupyter.connect(path), which returns that same store.")
        con.execute("SET allowed_directories = ?", [[str(staging) + os.sep]])
        con.execute("SET enable_external_access = false")
        # A bulk insert (a load, a sync streaming 5M rows) buffers this many finished row
        # groups, uncompressed, before it writes them (DuckDB's default 5, up to 20% of the
        # memory limit per thread): 350 MB of the sync benchmark's 1.1 GB peak. One at a
        # time bounds that buffer to ~70 MB, at the same speed (benchmarks/README.md,
        # issue 20); queries are unaffected.
        con.execute("SET write_buffer_row_group_count = 1")
        limit = config.memory_limit()
        if limit is not None:
            try:
                con.execute("SET memory_limit = ?", [limit])
            except duckdb.Error:
                raise StoreError(f"AXIS_MEMORY_LIMIT must be a size such as 4GB or 512MB, "
                                 f"not {limit!r}.") from None
    except BaseException:
        con.close()
        raise
    return con


def lock(con: duckdb.DuckDBPyConnection) -> None:
    """No SQL may change the database's configuration from now on."""
    con.execute("SET lock_configuration = true")


def inside(folder: Path, path: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder) and not path.is_symlink()
    except OSError:
        return False


@contextmanager
def staged(folder: Path, path: str | os.PathLike) -> Iterator[Path]:
    """A path to ``path``'s content that DuckDB may read: inside the staging folder.

    A file already there (a server upload) is used as it is; any other is hard-linked in
    (copied when linking is impossible: another file system, a protected file) and the link
    or copy is removed afterwards.
    """
    src = Path(path).expanduser()
    if inside(folder, src):
        yield src.resolve()
        return
    target = folder / f"axis-stage-{uuid.uuid4().hex[:12]}{src.suffix.lower()}"
    try:
        os.link(src, target)
    except OSError:
        shutil.copyfile(src, target)
    try:
        yield target
    finally:
        try:
            target.unlink()
        except OSError:
            pass


def new_pipe(folder: Path) -> Path:
    """A fresh named pipe in the staging folder (for the sync's COPY streams)."""
    path = folder / f"axis-pipe-{uuid.uuid4().hex[:12]}.csv"
    os.mkfifo(path, 0o600)
    return path


def pipe_folder(cur) -> Path | None:
    """Where a sandboxed database can read named pipes, or None when it may read anything
    (``/dev/fd/N`` works there)."""
    try:
        external = cur.execute("SELECT current_setting('enable_external_access')").fetchall()[0][0]
        if external in (True, "true", "True"):
            return None
        dirs = cur.execute("SELECT current_setting('allowed_directories')").fetchall()[0][0]
    except duckdb.Error:
        return None
    for d in dirs or []:
        if Path(d).name.endswith(".staging") or Path(d).name.startswith("axis-staging-"):
            return Path(d)
    return None
