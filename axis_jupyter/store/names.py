"""Dataset names: the default one for a source, the rule every name follows, and who holds
a store file's lock (for the message when it cannot be opened)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import IngestError

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def dataset_name_from(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        stem = Path(source).stem
    else:
        stem = "data"
    name = re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_").lower() or "data"
    if name[0].isdigit():
        name = "d_" + name
    return name[:63]


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name) or name.lower().startswith("_axis"):
        raise IngestError(f"dataset name {name!r} is not valid: use letters, digits and _, "
                          "starting with a letter (e.g. 'evals_v2').")
    return name


def lock_holder(message: str) -> str:
    """Describe the process that holds DuckDB's file lock, from DuckDB's message."""
    m = re.search(r"PID (\d+)", message)
    if not m:
        return "another process"
    pid = m.group(1)
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        args = []
    # Look at the program and its first arguments only: paths elsewhere may contain anything.
    prog = Path(args[0]).name if args else ""
    if len(args) > 2 and args[1] == "-m":
        script = args[2]
    elif len(args) > 1 and not args[1].startswith("-"):
        script = Path(args[1]).name
    else:
        script = ""
    head = f"{prog} {script}"
    if "ipykernel" in head:
        kind = "a Jupyter kernel"
    elif "jupyter" in head and any(w in head for w in ("lab", "server", "notebook")):
        kind = "a Jupyter server"
    elif "pytest" in head:
        kind = "a pytest run"
    elif "python" in head:
        kind = "a Python process"
    else:
        kind = "another process"
    return f"{kind} (PID {pid})"
