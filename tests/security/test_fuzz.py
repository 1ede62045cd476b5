"""Fuzz every route of ``openapi.json`` with schemathesis: no request may produce a 500.

The server is a real Jupyter server (pytest-jupyter) with the AXIS extension under the
base_url ``/a%40b/``, a throwaway store holding small demo datasets and a throwaway config
home. schemathesis (its CLI, in a subprocess, so this event loop keeps serving) reads the
document the server publishes, generates requests from each parameter's schema, valid and
invalid, and fails on any 5xx. Dataset path parameters are pinned to a demo dataset so the
analytics and row routes work on real data; deleting it is fuzzed in a second run.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from support.leaks import assert_no_leak

pytestmark = pytest.mark.timeout(600)

EXAMPLES = int(os.environ.get("AXIS_FUZZ_EXAMPLES", "12"))  # per operation
SEED = os.environ.get("AXIS_FUZZ_SEED", "7")


def _schemathesis() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "schemathesis.cli"]


async def _run(config: Path, url: str, headers: dict, report: Path, *args: str):
    cmd = [*_schemathesis(), "--config-file", str(config), "run", url,
           "--checks", "not_a_server_error", "--max-examples", str(EXAMPLES),
           "--phases", "examples,coverage,fuzzing", "--workers", "2", "--seed", SEED,
           "--request-timeout", "60", "--no-color", "--suppress-health-check", "all",
           "--generation-database", "none", "--report", "ndjson",
           "--report-ndjson-path", str(report), *args]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    proc = await asyncio.create_subprocess_exec(  # cwd: its cache folder lands there
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"}, cwd=str(config.parent))
    out, _ = await proc.communicate()
    return proc.returncode, out.decode(errors="replace")


def _responses(report: Path) -> list[tuple[int, str]]:
    """(status, body) of every response in schemathesis's ndjson report."""
    found = []
    for line in report.read_text().splitlines():
        def walk(obj):
            if isinstance(obj, dict):
                if "status_code" in obj and "content" in obj:
                    body = obj.get("content")
                    found.append((obj["status_code"], body if isinstance(body, str) else ""))
                for v in obj.values():
                    walk(v)
            elif isinstance(obj, list):
                for v in obj:
                    walk(v)
        walk(json.loads(line))
    return found


async def test_openapi_fuzz_finds_no_server_error(jp_serverapp, http_server, jp_http_port,
                                                  jp_base_url, jp_auth_header, demo, tmp_path):
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}axis/api/openapi.json"
    config = tmp_path / "schemathesis.toml"
    # Pin the dataset to real data; keep the database browser on this machine (a closed port).
    config.write_text('[parameters]\n"path.name" = "demo_evals"\n')
    report = tmp_path / "run.ndjson"
    code, out = await _run(config, url, jp_auth_header, report,
                           "--exclude-path", "/datasets/{name}", "--exclude-method", "DELETE")
    assert code == 0, out[-6000:]
    assert "No issues found" in out or "passed" in out, out[-3000:]
    responses = _responses(report)
    assert len(responses) > 200, out[-2000:]  # it really exercised the API
    for status, body in responses:
        assert status < 500, body[:500]
        if status >= 400:
            assert_no_leak(body)

    report2 = tmp_path / "delete.ndjson"
    config.write_text("")
    code, out = await _run(config, url, jp_auth_header, report2,
                           "--include-path-regex", "^/(datasets/\\{name\\}|jobs/\\{job_id\\})$")
    assert code == 0, out[-6000:]
