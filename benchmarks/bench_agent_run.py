"""Agent-run benchmark (issue 16): outputs filled by the user's agent, then scored by judges.

1,000 items with empty outputs go through ``start_run`` with ``agent={...}``: the loopback
agent (tests/support/agent_server.py, in its own process as a real agent is) answers each
call in 100 ms; then two LLM judges (``conciseness`` and ``tone``, one call per item each)
score them against the loopback Messages-API server (its own process) answering in 100 ms.
Concurrency 16 throughout. The ideal is each stage's calls at full concurrency with no
overhead: 1000 x 0.1 / 16 (agent) + 2000 x 0.1 / 16 (judges) = 18.75 s; goal: within 1.3x.
Checked: every output filled, no warnings or errors, and the request counts the stages need.

Run: ``.venv/bin/python benchmarks/bench_agent_run.py [--items N] [--delay S] [--judge-delay S]``.
Writes ``benchmarks/results/agent_run.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pandas as pd  # noqa: E402

from benchmarks.bench_evals import _ServerProcess  # noqa: E402
from benchmarks.common import save, table  # noqa: E402

JUDGES = ["conciseness", "tone"]


class _AgentProcess:
    """The loopback agent in its own process; its request count read back over a pipe."""

    def __init__(self, delay: float):
        code = (
            "import sys; sys.path.insert(0, %r)\n"
            "from support.agent_server import LoopbackAgent\n"
            "a = LoopbackAgent(delay=%r).start()\n"
            "print(a.url, flush=True)\n"
            "for line in sys.stdin:\n"
            "    print(len(a.seen), a.max_in_flight, flush=True)\n" % (str(ROOT / "tests"), delay))
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()

    def counts(self) -> tuple[int, int]:
        """(requests seen, most requests in flight at once)."""
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        seen, peak = self.proc.stdout.readline().split()
        return int(seen), int(peak)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def make_items(n: int, prefix: str = "q") -> pd.DataFrame:
    return pd.DataFrame({"dataset_id": [f"{prefix}{i}" for i in range(n)],
                         "query": [f"How do I reset password number {i}?" for i in range(n)],
                         "expected_output": ["Use the reset link on the sign-in page."] * n,
                         "actual_output": [""] * n})


def bench(n: int, delay: float, judge_delay: float, concurrency: int) -> dict:
    import anthropic  # noqa: F401  (import cost is not part of the run)

    import axis_jupyter
    from axis_jupyter.evals import runs

    store = axis_jupyter.connect(":memory:")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(make_items(n), name="agent_items", kind="evals")
        store.load(make_items(2 * concurrency, "w"), name="warm", kind="evals")
    with _AgentProcess(delay) as agent, _ServerProcess(judge_delay) as llm:
        spec = {"url": agent.url + "/chat", "body": {"query": "{{query}}"},
                "answer_path": "choices.0.message.content", "timeout": 30}
        # warm-up (not timed): the SDKs build their models and connection pools on first use
        runs.wait_run(runs.start_run(store, "warm", JUDGES, name="warm_run", agent=spec,
                                     concurrency=concurrency))
        runs._CACHES.clear()
        agent0, _ = agent.counts()
        llm0 = llm.request_count
        stages: dict[str, float] = {}

        def on_event(event, data):  # when each stage is first seen (the agent's end)
            if event == "progress" and isinstance(data, dict) and data.get("stage"):
                stages.setdefault(data["stage"], time.perf_counter() - t0)

        load0 = os.getloadavg()[0]
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        st = runs.follow_run(runs.start_run(store, "agent_items", JUDGES, name="agent_run", agent=spec,
                                            concurrency=concurrency), on_event)
        wall = time.perf_counter() - t0
        load1 = os.getloadavg()[0]
        cpu = time.process_time() - cpu0
        agent_requests, peak = agent.counts()
        judge_requests = llm.request_count - llm0
    assert st["state"] == "succeeded", st
    results = store.dataset("agent_run").to_pandas()
    filled = results.drop_duplicates("dataset_id")["actual_output"].astype(str)
    assert (filled.str.startswith("answer: ")).all(), "every output filled by the agent"
    assert not st["errors"], st["errors"]
    store.close()
    ideal_agent = n * delay / concurrency
    ideal = ideal_agent + len(JUDGES) * n * judge_delay / concurrency
    agent_s = stages.get("scoring", wall) - stages.get("agent", 0.0)
    return {"stages_at_s": stages, "agent_stage_s": agent_s, "agent_stage_ideal_s": ideal_agent,
            "load_average_1min": [load0, load1],
            "items": n, "agent_delay_s": delay, "judge_delay_s": judge_delay, "judges": JUDGES,
            "concurrency": concurrency, "run_s": wall, "cpu_s": cpu, "ideal_s": ideal,
            "ratio_vs_ideal": wall / ideal, "agent_requests": agent_requests - agent0,
            "agent_peak_in_flight": peak, "judge_requests": judge_requests,
            "agent": st.get("agent"), "goal": "<= 1.3x ideal", "met": wall / ideal <= 1.3}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--judge-delay", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    out = bench(args.items, args.delay, args.judge_delay, args.concurrency)
    path = save("agent_run", out)
    rows = [(f"{out['items']:,} items: agent {out['agent_delay_s'] * 1000:.0f} ms, then "
             f"{len(out['judges'])} judges {out['judge_delay_s'] * 1000:.0f} ms, conc. {out['concurrency']}",
             f"run {out['run_s']:.2f} s (cpu {out['cpu_s']:.2f} s)", f"ideal {out['ideal_s']:.2f} s",
             f"{out['ratio_vs_ideal']:.2f}x", out["goal"], "yes" if out["met"] else "NO")]
    print(table(rows, ("case", "axis", "baseline", "ratio", "goal", "met")))
    print(f"\nagent stage {out['agent_stage_s']:.2f} s (ideal {out['agent_stage_ideal_s']:.2f} s); "
          f"load average {out['load_average_1min'][0]:.1f} -> {out['load_average_1min'][1]:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"agent requests {out['agent_requests']:,} (peak {out['agent_peak_in_flight']} in flight), "
          f"judge requests {out['judge_requests']:,}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
