"""Shared helpers for the benchmark scripts: timing, peak memory and result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def cpu_seconds() -> float:
    """User + system CPU time of this process (all DuckDB threads included)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def best_of_cpu(fn, repeat: int = 3) -> tuple[float, float, object]:
    """Best wall time and best CPU time of ``repeat`` runs, and the last result.

    CPU time is reported beside wall time because it is far less disturbed by other work
    on a shared two-core machine."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        c0, t0 = cpu_seconds(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return min(walls), min(cpus), result


def median_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"), **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def table(rows: list[tuple], headers: tuple) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def browser_dataset(path: Path, name: str) -> int:
    """For the browser benchmarks: exit unless Debian's chromium is there; the rows of
    dataset ``name`` in the store file ``path``."""
    import sys

    import duckdb

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from browser.labserver import CHROMIUM

    if not Path(CHROMIUM).exists():
        sys.exit(f"Debian chromium is needed at {CHROMIUM}")
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    finally:
        con.close()
    print(f"dataset: {rows:,} rows in {path.name}", flush=True)
    return rows
