"""The database view in a kernel of a Jupyter server: the sync status it shows after a sync
(it once showed nothing: the view asked the kernel's own, empty, sync state instead of the
server's, which runs the sync)."""

from __future__ import annotations

import asyncio

import pytest

from axis_jupyter.notebook.widgets import call_action


pytestmark = pytest.mark.postgres


async def test_sync_status_shows_after_a_sync_from_a_kernel(pg, jp_serverapp, http_server, jp_http_port,
                                                            jp_base_url):
    from axis_jupyter import RemoteStore  # the workbench one: add_source, sync

    uri, schema, _ = pg
    state = jp_serverapp.web_app.settings["axis_state"]
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}axis/api/"

    def kernel_side():
        remote = RemoteStore(url, state.secret, timeout=60)
        try:
            remote.add_source("ev", "evals", uri, f"SELECT * FROM {schema}.cases",
                              results_query=f"SELECT * FROM {schema}.scores")
            before = call_action(remote, None, "database", "payload", {})["status"]
            after_sync = call_action(remote, None, "database", "sync", {"source": "ev"})
            after = call_action(remote, None, "database", "payload", {})["status"]
            return before, after_sync, after
        finally:
            remote.close()

    before, after_sync, after = await asyncio.to_thread(kernel_side)
    assert before["ev"]["state"] == "not_synced"
    assert after_sync["state"] == "ready" and after_sync["rows"] == 200 and after_sync["source"] == "ev"
    assert after["ev"]["state"] == "ready" and after["ev"]["rows"] == 200 and after["ev"]["last_sync"]
