"""The copilot agent's overhead per step, against the loopback server's own latency.

    .venv/bin/python benchmarks/bench_copilot.py [--steps 10] [--repeat 5] [--delay 0 0.2]

A question answered in ``--steps`` tool calls (alternately ``run_sql`` and ``run_analytic``
on a 3,000-row evaluation dataset) and a final answer, through the real ``anthropic``
client against ``tests/support/llm_server.py`` (streaming, as the copilot asks), with the
server waiting ``--delay`` seconds per request (0: loopback only; 0.2: a model's latency).

Baseline: the **same requests** the agent sent (recorded by the server), replayed with the
bare ``anthropic`` client, streamed, one after another: the server's own latency for
exactly that conversation. The agent's overhead per step is its wall time minus the replay
time minus the time its tools spent in DuckDB, divided by the number of model requests:
what the loop itself adds (building requests, converting blocks, events, budget checks,
quoting results as JSON). Each time is the best of ``--repeat`` interleaved rounds. Writes
``benchmarks/results/copilot.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import axis_jupyter  # noqa: E402
from axis_jupyter import demo  # noqa: E402
from axis_jupyter.copilot import REGISTRY, run_question  # noqa: E402
from axis_jupyter.llm import Judge, JudgeConfig  # noqa: E402
from support.llm_server import Scripted, script, serve_loopback, text, tool_use  # noqa: E402

from common import save, table  # noqa: E402


def scripted(steps: int):
    replies = []
    for i in range(steps):
        if i % 2 == 0:
            call = tool_use("run_sql", {"query": "SELECT evaluation_name, avg(metric_score) AS m "
                                                 f"FROM results WHERE metric_score > {i / 100} "
                                                 "GROUP BY 1 ORDER BY 1"})
        else:
            call = tool_use("run_analytic", {"dataset": "results", "analytic": "summary",
                                             "params": {"by": "evaluation_name"}})
        replies.append(Scripted([text(f"Step {i}: checking."), call]))
    replies.append(Scripted([text("candidate_a is best on faithfulness (mean 0.82).")]))
    return script(*replies)


async def replay(requests: list[dict]) -> float:
    import anthropic

    client = anthropic.AsyncAnthropic(max_retries=0)
    t0 = time.perf_counter()
    for body in requests:
        body = {k: v for k, v in body.items() if k != "stream"}
        async with client.messages.stream(**body) as events:
            async for _ in events:
                pass
            await events.get_final_message()
    elapsed = time.perf_counter() - t0
    await client.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--delay", type=float, nargs="+", default=[0.0, 0.2])
    args = ap.parse_args()

    store = axis_jupyter.LocalStore(Path(tempfile.mkdtemp(prefix="axis-bench-cop-")) / "c.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(demo.eval_results(100), name="results")
    out_rows, summary = [], {}
    for delay in args.delay:
        agents, replays, tools, recorded, requests = [], [], [], None, 0
        with serve_loopback(None, delay=delay) as server:
            for _ in range(args.repeat):  # interleaved: agent, then the replay of its requests
                server.responder = scripted(args.steps)
                server.requests.clear()
                judge = Judge(JudgeConfig.from_env(cache=False))
                t0 = time.perf_counter()
                answer = run_question(store, "which experiment is best?", REGISTRY.new(),
                                      judge=judge, budget={"tool_calls": args.steps + 1})
                agents.append(time.perf_counter() - t0)
                assert answer.stopped is None and len(answer.queries) == args.steps
                recorded = [dict(r) for r in server.requests]
                requests = len(recorded)
                tools.append(sum(q.seconds for q in answer.queries))
                replays.append(asyncio.run(replay(recorded)))
        agent_s, replay_s, tools_s = min(agents), min(replays), min(tools)
        overhead = (agent_s - replay_s - tools_s) / requests
        summary[str(delay)] = {"agent_s": agent_s, "replay_s": replay_s, "tools_s": tools_s,
                               "requests": requests, "overhead_per_step_ms": overhead * 1000,
                               "all": {"agent": agents, "replay": replays, "tools": tools}}
        out_rows.append((f"{delay * 1000:.0f} ms", requests,
                         f"{replay_s / requests * 1000:.1f}", f"{agent_s / requests * 1000:.1f}",
                         f"{tools_s / args.steps * 1000:.1f}", f"{overhead * 1000:.1f}",
                         f"{agent_s / (replay_s + tools_s):.2f}×"))
    print(table(out_rows, ("server delay", "requests", "replay ms / request",
                           "agent ms / step", "tool ms / call", "agent overhead ms / step",
                           "agent / (replay + tools)")))
    save("copilot", {"steps": args.steps, "runs": summary,
                     "env": {"AXIS_COPILOT_ROW_CAP": os.environ.get("AXIS_COPILOT_ROW_CAP")}})
    store.close()


if __name__ == "__main__":
    main()
