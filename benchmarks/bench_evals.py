"""Evaluation-runner benchmark (issue 7): heuristic throughput, LLM concurrency, cache.

Side by side in one run:

(a) heuristic metrics over N items (default 100,000) x 6 metrics (exact_match, contains,
    levenshtein, token_f1, bleu, rouge_l):
    * axis     - ``score_items(frame, metrics, detail=False)``: the runner's column fast
                 path (one tight loop per metric, rapidfuzz for edit distance / LCS,
                 work in worker threads), building the full long results table;
    * loop     - a straightforward per-item Python loop over the same metric objects:
                 ``for item in items: for m in metrics: m.compute(item).score`` (the
                 per-item API a user would call);
    * loop_raw - the tightest per-item loop: only the metrics' scalar score functions
                 (``m._value(actual, expected)``), no explanations, no result objects;
    goal: axis >= 5x faster than ``loop``. Scores are checked equal.
(b) 1,000 LLM-judge calls (1,000 items x ``conciseness``) against the loopback
    Messages-API server (in its own process) answering in 200 ms, concurrency 16, through ``start_run`` (the
    real anthropic client, a worker thread, progress tracking); compared with the ideal
    1000 x 0.2 / 16 = 12.5 s; goal: within 1.3x.
(c) the same run again, served from the verdict cache; goal: zero LLM requests.

Run: ``.venv/bin/python benchmarks/bench_evals.py [--items N] [--llm-items M] [--repeat R]``.
Writes ``benchmarks/results/evals.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pandas as pd  # noqa: E402

from benchmarks.common import best_of, save, table  # noqa: E402

METRICS = ["exact_match", "contains", "levenshtein", "token_f1", "bleu", "rouge_l"]
WORDS = ("the a an of to in is was for on with as by at from that this it be are or and not "
         "model answer question context score rule ball runner base play light energy plant water "
         "carbon oxygen earth sun axis tilt season summer winter network server request cache "
         "latency token metric judge policy refund shipping order customer account password reset "
         "data value table column query result error retry limit budget team report").split()


def make_items(n: int, seed: int = 7) -> pd.DataFrame:
    """Answer/reference pairs like an eval set: 15-45 words, overlapping, some identical."""
    rng = random.Random(seed)
    ids, queries, actual, expected = [], [], [], []
    for i in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(15, 45))]
        r = rng.random()
        if r < 0.1:
            ans = list(ref)
        else:
            ans = [w if rng.random() < 0.6 else rng.choice(WORDS) for w in ref]
            ans = ans[: max(5, len(ans) - rng.randint(0, 10))] + [rng.choice(WORDS) for _ in range(rng.randint(0, 8))]
        ids.append(f"c{i:06d}")
        queries.append(f"question {i}")
        actual.append(" ".join(ans).capitalize() + ".")
        expected.append(" ".join(ref).capitalize() + ".")
    # contains: expected is a short phrase for a fifth of the items
    for i in range(0, n, 5):
        words = expected[i].split()
        expected[i] = " ".join(words[2:4])
    return pd.DataFrame({"dataset_id": ids, "query": queries, "actual_output": actual,
                         "expected_output": expected})


# ------------------------------------------------------------------ (a) heuristics
def bench_heuristics(n: int, repeat: int) -> dict:
    from axis_jupyter.evals import create, score_items

    items = make_items(n)
    records = items.to_dict("records")
    metrics = [create(k) for k in METRICS]

    def axis():
        return score_items(items, METRICS, detail=False, max_concurrent=8)

    def loop():
        out = []
        for item in records:
            for m in metrics:
                out.append(m.compute(item).score)
        return out

    def loop_raw():
        out = []
        for item in records:
            a, e = item["actual_output"], item["expected_output"]
            for m in metrics:
                out.append(m._value(a, e))
        return out

    t_axis, frame = best_of(axis, repeat)
    t_loop, scores = best_of(loop, max(1, repeat - 1))
    t_raw, raw = best_of(loop_raw, max(1, repeat - 1))
    # same numbers: long frame (metric-major) vs the loops (item-major)
    got = frame.pivot(index="dataset_id", columns="metric_name", values="metric_score")[METRICS]
    want = pd.DataFrame([scores[i:i + len(METRICS)] for i in range(0, len(scores), len(METRICS))],
                        columns=METRICS, index=items["dataset_id"])
    max_diff = float((got.sort_index() - want.sort_index()).abs().max().max())
    assert max_diff < 1e-6, f"scores differ by {max_diff}"  # levenshtein fast path: float32 from rapidfuzz cpdist
    assert raw == scores
    return {"items": n, "metrics": METRICS, "scores": n * len(METRICS), "rows": len(frame),
            "axis_s": t_axis, "loop_s": t_loop, "loop_raw_s": t_raw,
            "speedup_vs_loop": t_loop / t_axis, "speedup_vs_loop_raw": t_raw / t_axis,
            "max_abs_diff": max_diff, "goal": ">= 5x vs loop", "met": t_loop / t_axis >= 5}


# ------------------------------------------------------------------ (b, c) LLM judge
class _ServerProcess:
    """The loopback Messages-API server in its own process, as a real API is: its threads do
    not compete with the client for this process's GIL. Requests are counted by the server
    and read back over a pipe."""

    def __init__(self, delay: float):
        import subprocess

        code = (
            "import sys; sys.path.insert(0, %r)\n"
            "from support.llm_server import LoopbackLLM\n"
            "s = LoopbackLLM(delay=%r).start()\n"
            "print(s.base_url, flush=True)\n"
            "for line in sys.stdin:\n"
            "    print(s.request_count, flush=True)\n" % (str(ROOT / "tests"), delay))
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.base_url = self.proc.stdout.readline().strip()

    @property
    def request_count(self) -> int:
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def __enter__(self):
        import os

        self._saved = {k: os.environ.get(k) for k in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")}
        os.environ["ANTHROPIC_BASE_URL"] = self.base_url
        os.environ["ANTHROPIC_API_KEY"] = "test-key-loopback"
        return self

    def __exit__(self, *exc):
        import os

        for k, v in self._saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self.proc.kill()
        self.proc.wait()


def bench_llm(n: int, delay: float, concurrency: int) -> dict:
    import axis_jupyter
    from axis_jupyter.evals import runs

    import anthropic  # noqa: F401  (import cost is not part of the run)

    store = axis_jupyter.connect(":memory:")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(make_items(n, seed=11), name="llm_items", kind="evals")
    out: dict = {"calls": n, "delay_s": delay, "concurrency": concurrency, "server": "separate process"}
    with _ServerProcess(delay) as server:
        # warm-up (not timed): the SDK builds its pydantic models on first use
        store.load(make_items(2 * concurrency, seed=12), name="warm", kind="evals")
        runs.wait_run(runs.start_run(store, "warm", ["tone"], name="warm_run", concurrency=concurrency))
        runs._CACHES.clear()
        warm_requests = server.request_count
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        st = runs.wait_run(runs.start_run(store, "llm_items", ["conciseness"], name="judged",
                                          concurrency=concurrency))
        wall = time.perf_counter() - t0
        out["cpu_s"] = time.process_time() - cpu0  # the client side only
        out["cpu_ms_per_call"] = 1000 * out["cpu_s"] / n
        assert st["state"] == "succeeded", st
        ideal = n * delay / concurrency
        out.update({"run_s": wall, "ideal_s": ideal, "ratio_vs_ideal": wall / ideal,
                    "requests": server.request_count - warm_requests, "llm": st["llm"], "errors": st["errors"],
                    "goal": "<= 1.3x ideal", "met": wall / ideal <= 1.3})
        before = server.request_count
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        st2 = runs.wait_run(runs.start_run(store, "llm_items", ["conciseness"], name="judged_again",
                                           concurrency=concurrency))
        after = server.request_count
        out["cache"] = {"run_s": time.perf_counter() - t0, "cpu_s": time.process_time() - cpu0,
                        "requests": after - before, "cache_hits": st2["llm"]["cache_hits"],
                        "goal": "0 requests", "met": after == before}
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--llm-items", type=int, default=1000)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    h = bench_heuristics(args.items, args.repeat)
    llm = bench_llm(args.llm_items, args.delay, args.concurrency)
    path = save("evals", {"heuristics": h, "llm": llm})
    rows = [
        (f"(a) {h['items']:,} items x 6 heuristic metrics", f"axis {h['axis_s']:.2f} s",
         f"loop {h['loop_s']:.2f} s (raw {h['loop_raw_s']:.2f} s)",
         f"{h['speedup_vs_loop']:.1f}x (raw {h['speedup_vs_loop_raw']:.1f}x)", h["goal"],
         "yes" if h["met"] else "NO"),
        (f"(b) {llm['calls']:,} judge calls, {llm['delay_s'] * 1000:.0f} ms, conc. {llm['concurrency']}",
         f"run {llm['run_s']:.2f} s", f"ideal {llm['ideal_s']:.2f} s", f"{llm['ratio_vs_ideal']:.2f}x",
         llm["goal"], "yes" if llm["met"] else "NO"),
        ("(c) re-run from cache", f"run {llm['cache']['run_s']:.2f} s",
         f"{llm['requests']:,} requests first run", f"{llm['cache']['requests']} requests, "
         f"{llm['cache']['cache_hits']:,} cache hits", llm["cache"]["goal"],
         "yes" if llm["cache"]["met"] else "NO"),
    ]
    print(table(rows, ("case", "axis", "baseline", "ratio", "goal", "met")))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
