"""Run every benchmark at the sizes the issues name, one after another (``make bench``).

Each script prints a markdown table and writes ``benchmarks/results/<name>.json``; the
tables are copied into ``benchmarks/README.md``. Run on an otherwise idle machine: two
cores are easily disturbed, which is why the scripts interleave rounds and report CPU time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_ingest.py", "bench_analytics.py", "bench_monitoring.py", "bench_compare.py",
           "bench_evals.py", "bench_agent_run.py", "bench_sync.py", "bench_view.py",
           "bench_monitor_view.py", "bench_reports.py", "bench_copilot.py", "bench_signals.py",
           "bench_graph.py", "bench_summaries.py"]


def main() -> int:
    only = set(sys.argv[1:])
    failed = []
    for script in SCRIPTS:
        if only and script.removeprefix("bench_").removesuffix(".py") not in only:
            continue
        print(f"\n## {script}\n", flush=True)
        if subprocess.run([sys.executable, str(HERE / script)], cwd=HERE.parent).returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
