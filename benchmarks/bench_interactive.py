"""Interactive benchmark (issue 18): a filter change in the scorecard and in the monitor view
on the data of ``interactive_data.py`` (default 100,000,000 long evaluation rows and as many
monitoring rows), in a real JupyterLab (the AXIS server extension owns the store) and
headless Chromium, side by side with the raw DuckDB query of the same request.

Measured, in one run:

* **raw DuckDB** of each request, in-process on the same file: the scorecard's SQL on the raw
  table (``bench_summaries.raw_floor``: per-node stats and histogram, distinct test cases)
  and the monitor payload's DuckDB time on the raw path;
* **the views from summaries**: a lab started with ``AXIS_MEMORY_LIMIT`` (3GB by default);
  the time from the ``<select>`` change event to the re-rendered view, measured in the page,
  and the same request's server and DuckDB times; the path the scorecard reports;
* **the views on the raw path**: a second lab with ``AXIS_SUMMARIES=off`` (every request as
  with ``exact=True``), the same rounds;
* the **peak memory** (VmHWM) of each lab's server process, which owns the store.

Views (``VIEWS``): the scorecard; the monitor over all time in daily buckets; the monitor as
it opens (the last 24 hours, hourly buckets).

    flock /tmp/axis-bench.lock .venv/bin/python benchmarks/bench_interactive.py --rows 100000000

Writes benchmarks/results/interactive_<rows>.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the JupyterLab/Chromium launcher
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from common import DATA, RESULTS  # noqa: E402
from interactive_data import store_path  # noqa: E402

# (dataset, view test id, filter-bar key, values): raw_duckdb times each value alone ("" =
# no filter); the page ticks and unticks the values in the filter bar, one change at a time
SCORECARD = ("ev", "axis-scorecard", "evaluation_name", ["exp_1", "exp_3", ""])
MONITOR = ("mon", "axis-monitor", "environment", ["prod", "staging", ""])
# view name -> (widget class, spec, the widget's keyword arguments): the monitor over all
# time in daily buckets (the day tables), and as it opens (the last 24 hours, hourly: the
# hour tables)
VIEWS = {"scorecard": ("Scorecard", SCORECARD, {}),
         "monitor": ("Monitor", MONITOR, {"time": "all", "granularity": "day"}),
         "monitor_24h": ("Monitor", MONITOR, {"time": "24h", "granularity": "hour"})}
# each step toggles one checkbox: [a], [a, b], [b], [] (all)
STEPS = [("tick", 0, "one"), ("tick", 1, "two"), ("untick", 0, "one"), ("untick", 1, "all")]


def med(xs):
    xs = [x for x in xs if x == x]
    return round(statistics.median(xs), 1) if xs else None


def rebuild(path: Path) -> dict:
    """Seconds to (re)build each dataset's summaries alone (``%axis summaries build``)."""
    import axis_jupyter
    from axis_jupyter.summaries.rebuild import rebuild as build

    store = axis_jupyter.LocalStore(path)
    out = {}
    try:
        for name in ("ev", "mon"):
            t0 = time.perf_counter()
            meta = build(store, name)
            out[name] = {"build_s": round(time.perf_counter() - t0, 1),
                         "parts_s": meta.get("build_s"),  # each step's seconds, and the whole
                         **{k: meta.get(k) for k in ("keys", "day_keys", "bin_keys", "latency_keys", "day_bin_keys",
                                                     "lat_day_keys", "hour_keys", "hour_bin_keys", "lat_hour_keys")}}
            print(name, out[name], flush=True)
    finally:
        store.close()
    return out


def raw_duckdb(path: Path, repeat: int, raw: bool = True) -> dict:
    """Milliseconds of the raw DuckDB work of each request, in this process; and the monitor
    payload in-process with summaries (its path: the page does not show it)."""
    import axis_jupyter
    from axis_jupyter.payloads import monitor as monitor_view

    from bench_summaries import raw_floor

    store = axis_jupyter.LocalStore(path)
    monitors = [v for v in VIEWS if v.startswith("monitor")]
    out = {"scorecard": {}, **{v: {} for v in monitors}, **{f"{v}_in_process_with_summaries": {} for v in monitors}}

    def monitor_runs(view, value):
        f = {"environment": value} if value else None
        return [monitor_view.payload(store, "mon", filters=f, **VIEWS[view][2])["timing"]
                for _ in range(repeat + 1)][1:]
    try:
        for view in monitors:
            for value in MONITOR[3]:
                runs = monitor_runs(view, value)
                out[f"{view}_in_process_with_summaries"][value or "all"] = {
                    "total_ms": med([t["total_ms"] for t in runs]), "duckdb_ms": med([t["duckdb_ms"] for t in runs]),
                    "path": runs[-1]["path"], "paths": runs[-1]["paths"]}
        if not raw:  # the in-process payloads from summaries only
            return {**out, **{v: {x or "all": None for x in MONITOR[3]} for v in monitors},
                    "scorecard": {x or "all": None for x in SCORECARD[3]}}
        os.environ["AXIS_SUMMARIES"] = "off"
        for value in SCORECARD[3]:
            f = {"evaluation_name": value} if value else {}
            raw_floor(store, "ev", f)  # warm
            out["scorecard"][value or "all"] = med([raw_floor(store, "ev", f) for _ in range(repeat)])
        for view in monitors:
            for value in MONITOR[3]:
                out[view][value or "all"] = med([t["duckdb_ms"] for t in monitor_runs(view, value)])
    finally:
        store.close()
        os.environ.pop("AXIS_SUMMARIES", None)
    return out


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def browser_rounds(lab, repeat: int, settle_ms: int = 0) -> dict:
    from playwright.sync_api import sync_playwright

    from browser.labserver import launch_chromium, open_notebook, run_cell

    out = {}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for name, (cls, (dataset, testid, select, values), kw) in VIEWS.items():
            extra = "".join(f", {k}={v!r}" for k, v in kw.items())
            lab.write_notebook(f"{name}.ipynb", [
                f"import axis_jupyter\nfrom axis_jupyter import {cls}\n"
                f"w = {cls}({dataset!r}, store=axis_jupyter.connect(){extra})\nw"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_notebook(page, lab, f"{name}.ipynb")
            run_cell(page, 0, timeout=900_000)
            sel = f"[data-testid={testid}]"
            view = page.locator(sel)
            field = view.locator(f"[data-testid=filterbar] [data-testid=filter-{select}]").first
            field.wait_for(timeout=900_000)
            field.locator("summary").click()  # the menu stays open: one click per change

            def change(action: str, value: str) -> dict:
                if cls == "Monitor":  # the previous update's tables loaded too
                    page.wait_for_function("(s) => document.querySelector(s).dataset.pending === '0'",
                                           arg=sel, timeout=300_000)
                if settle_ms:  # a user's pause: the previous change's trailing work (its
                    page.wait_for_timeout(settle_ms)  # snapshot to the kernel, chart transitions) done
                before = int(view.get_attribute("data-render-seq") or 0)
                box = field.locator(f"input[data-value='{value}']")
                box.check() if action == "tick" else box.uncheck()
                page.wait_for_function(
                    """([s, n]) => { const el = document.querySelector(s);
                                     return Number(el.dataset.renderSeq) > n && !el.classList.contains('axis-busy')
                                            && el.dataset.duckdbMs !== undefined; }""",
                    arg=[sel, before], timeout=300_000)
                return page.evaluate("""(s) => { const el = document.querySelector(s);
                    return {update_ms: Number(el.dataset.updateMs), server_ms: Number(el.dataset.serverMs),
                            duckdb_ms: Number(el.dataset.duckdbMs), path: el.dataset.path || null}; }""", sel)

            a, b = values[0], values[1]
            for action, i, _ in STEPS:  # warm-up: imports, compiled queries, buffers
                change(action, (a, b)[i])
            samples = {label: [] for _, _, label in STEPS}
            for _ in range(repeat):
                for action, i, label in STEPS:
                    samples[label].append(change(action, (a, b)[i]))
            out[name] = samples
            page.close()
        browser.close()
    return out


def lab_run(path: Path, tmp: Path, repeat: int, env: dict, settle_ms: int = 0) -> dict:
    from browser.labserver import start_lab

    shutil.rmtree(tmp, ignore_errors=True)
    lab = start_lab(tmp, path, startup_timeout=300, extra_env=env)
    try:
        rounds = browser_rounds(lab, repeat, settle_ms)
        rounds["server_peak_mb"] = peak_mb(lab.proc.pid)
    finally:
        lab.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    return rounds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--memory-limit", default="3GB")
    ap.add_argument("--rebuild", action="store_true",
                    help="first (re)build the summaries alone, timed (%%axis summaries build)")
    ap.add_argument("--settle-ms", type=int, default=0,
                    help="pause before each change (0: back to back, as soon as the last one rendered)")
    ap.add_argument("--skip-raw-path", action="store_true", help="no second lab with AXIS_SUMMARIES=off")
    ap.add_argument("--views", default=",".join(VIEWS), help="comma-separated subset of " + ", ".join(VIEWS))
    args = ap.parse_args()
    for v in set(VIEWS) - set(args.views.split(",")):
        del VIEWS[v]
    path = store_path(args.rows)
    if not path.exists():
        sys.exit(f"{path} is missing: run benchmarks/interactive_data.py --rows {args.rows} first")
    doc = {"rows_requested": args.rows, "date": time.strftime("%Y-%m-%d %H:%M"), "settle_ms": args.settle_ms,
           "loadavg_before": [round(x, 2) for x in os.getloadavg()], "memory_limit": args.memory_limit}
    if args.rebuild:
        print("rebuilding the summaries ...", flush=True)
        doc["rebuild"] = rebuild(path)
    print("raw DuckDB of each request ...", flush=True)
    doc["raw_duckdb_ms"] = raw_duckdb(path, args.repeat, raw=not args.skip_raw_path)
    print(doc["raw_duckdb_ms"], flush=True)
    env = {"AXIS_MEMORY_LIMIT": args.memory_limit}
    print("views from summaries ...", flush=True)
    doc["summaries"] = lab_run(path, DATA / "interactive-lab", args.repeat, env, args.settle_ms)
    print("views on the raw path (AXIS_SUMMARIES=off) ...", flush=True)
    doc["raw_path"] = {v: {k: [] for k in doc["summaries"][v]} for v in VIEWS} if args.skip_raw_path else lab_run(path, DATA / "interactive-lab", args.repeat, {**env, "AXIS_SUMMARIES": "off"},
                              args.settle_ms)
    doc["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    load = RESULTS / f"interactive_load_{args.rows}.json"
    if load.exists():
        doc["load"] = json.loads(load.read_text())
    lines = ["| view | filter | raw DuckDB ms | from summaries: change -> rendered ms | server ms | "
             "DuckDB in request ms | path | raw path (AXIS_SUMMARIES=off): change -> rendered ms | server ms |",
             "|---|---|---:|---:|---:|---:|---|---:|---:|"]
    for view, (_, spec, _) in VIEWS.items():
        floor_of = {"one": spec[3][0], "two": None, "all": ""}  # the raw floor of one value
        for key, fast in doc["summaries"][view].items():
            slow = doc["raw_path"][view][key]
            value = floor_of[key]
            floor = doc["raw_duckdb_ms"][view][value or "all"] if value is not None else "-"
            label = {"one": f"{spec[2]} = {spec[3][0]} or {spec[3][1]}", "two": f"{spec[2]} in ({spec[3][0]}, {spec[3][1]})",
                     "all": "no filter"}[key]
            row = [view, label, floor, med([s["update_ms"] for s in fast]),
                   med([s["server_ms"] for s in fast]), med([s["duckdb_ms"] for s in fast]),
                   fast[0]["path"] or "-", med([s["update_ms"] for s in slow]), med([s["server_ms"] for s in slow])]
            lines.append("| " + " | ".join(str(c) for c in row) + " |")
    doc["table"] = lines
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = f"_settle{args.settle_ms}" if args.settle_ms else ""
    (RESULTS / f"interactive_{args.rows}{suffix}.json").write_text(json.dumps(doc, indent=2))
    print("\n".join(lines))
    print(f"server peak MB: summaries {doc['summaries']['server_peak_mb']}, raw {doc['raw_path'].get('server_peak_mb')}")


if __name__ == "__main__":
    main()
