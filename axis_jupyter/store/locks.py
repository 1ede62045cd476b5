"""Who holds a DuckDB file's write lock, named for a person from DuckDB's error message."""

from __future__ import annotations

import re
from pathlib import Path


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
