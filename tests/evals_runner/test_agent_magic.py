"""%axis eval with an agent, and the run commands, in a real IPython shell."""

from __future__ import annotations

import json

from runs_helpers import N_ITEMS, SAMPLE
from support.agent_server import LoopbackAgent


def test_magic_eval_with_agent_export_rerun_and_test(ip, tmp_path, capsys):
    with LoopbackAgent() as agent:
        agent_json = json.dumps({"url": agent.url + "/flat", "answer_path": "response", "retries": 0})
        ip.run_line_magic("axis", f"load {SAMPLE} --name inputs")
        agent.fail_next(500)
        summary = ip.run_line_magic(
            "axis", f"eval run inputs --metrics token_f1 --name m1 --mapping '{{\"actual_output\": null}}' "
                    f"--agent '{agent_json}' --concurrency 1")
        assert list(summary["metric_name"]) == ["token_f1"] and summary["count"].iloc[0] == N_ITEMS - 1
        assert len(agent.seen) == N_ITEMS
        runs = ip.run_line_magic("axis", "eval runs")
        assert list(runs["name"]) == ["m1"] and bool(runs["agent"].iloc[0])
        out = tmp_path / "m1.parquet"
        ip.run_line_magic("axis", f"eval export m1 {out}")
        assert out.stat().st_size > 0 and f"Wrote {out}." in capsys.readouterr().out
        again = ip.run_line_magic("axis", "eval rerun m1")
        assert again["count"].iloc[0] == N_ITEMS and len(agent.seen) == N_ITEMS + 1
        t = ip.run_line_magic("axis", f"eval test-agent ping --agent '{agent_json}'")
        assert t["ok"] and t["answer"] == "answer: ping"
        ip.run_line_magic("axis", "eval test-agent")
        assert "needs --agent" in capsys.readouterr().err
