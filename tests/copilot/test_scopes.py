"""Who may ask and write reports on a shared JupyterHub server (hub_auth's scope table):
reading answers and reports needs read; asking spends the owner's model budget and runs SQL
the question steers, so it needs write and execute; writing a report needs write."""

from __future__ import annotations

from axis_jupyter_server.hub_auth import EXECUTE, READ, WRITE, required_scopes


def test_copilot_and_report_routes():
    assert required_scopes("axis:copilot", "read") == (READ,)
    assert set(required_scopes("axis:copilot", "write")) == {WRITE, EXECUTE}
    assert required_scopes("axis:reports", "read") == (READ,)
    assert required_scopes("axis:reports", "write") == (WRITE,)


def test_copilot_report_and_scorecard_view_actions():
    def view(v, a):
        return set(required_scopes("axis:views", "write", {"view": v, "action": a}))

    assert view("copilot", "setup") == view("copilot", "events") == {READ}
    assert view("copilot", "ask") == view("copilot", "cancel") == {WRITE, EXECUTE}
    assert view("report", "setup") == view("report", "events") == view("report", "markdown") == {READ}
    assert view("report", "start") == view("report", "cancel") == {WRITE}
    assert view("scorecard", "payload") == view("scorecard", "report_setup") == {READ}
    assert view("scorecard", "report_start") == view("scorecard", "report_cancel") == {WRITE}
