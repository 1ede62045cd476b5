"""schemathesis over the graph/… and memory/… routes (and the dataset view actions) with the
dataset pinned to a rules dataset, so the fuzzed requests reach the graph and the rule
changes, not only the "not a rules dataset" check. No request may produce a 500 or leak."""

from __future__ import annotations

import pytest
from security.test_fuzz import _responses, _run  # the project's schemathesis driver
from support.leaks import assert_no_leak

pytestmark = pytest.mark.timeout(900)


async def test_graph_and_memory_routes_fuzzed_on_rules(jp_serverapp, http_server, jp_http_port, jp_base_url,
                                                       jp_auth_header, served_rules, tmp_path):
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}axis/api/openapi.json"
    config = tmp_path / "schemathesis.toml"
    config.write_text('[parameters]\n"path.name" = "rules"\n')
    report = tmp_path / "graph.ndjson"
    code, out = await _run(config, url, jp_auth_header, report, "--include-path-regex",
                           "^/(graph|memory)/|^/datasets/\\{name\\}/views/")
    assert code == 0, out[-6000:]
    responses = _responses(report)
    assert len(responses) > 100, out[-2000:]
    assert any(status == 200 for status, _ in responses)
    for status, body in responses:
        assert status < 500, body[:500]
    for body in (body for status, body in responses if status >= 400):
        assert_no_leak(body)
