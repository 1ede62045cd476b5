"""Each events stream is authorized as its own resource, whatever streamed before it.

``SourceEventsHandler`` (``sync/{source}/events``, ``axis:sync``) used to call the
``@authorized``-decorated ``JobEventsHandler.get`` through ``super()``; jupyter_server's
decorator keeps the resource it sees first, so after one sync stream every
``jobs/{id}/events`` request of the process was authorized as ``axis:sync`` (and a sync
stream was checked twice). The jobs here are real jobs of the server's JobRunner.
"""

from __future__ import annotations

import pytest
from jupyter_server.auth.authorizer import Authorizer


class RecordingAuthorizer(Authorizer):
    """Allows everything and records (path, action, resource) of every AXIS check."""

    calls: list[tuple[str, str, str]] = []

    def is_authorized(self, handler, user, action, resource):
        if "/axis/api/" in handler.request.path:
            path = handler.request.path.split("/axis/api/", 1)[1]
            RecordingAuthorizer.calls.append((path, action, resource))
        return True


@pytest.fixture
def jp_server_config(axis_store_path):
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True},
                                 "authorizer_class": RecordingAuthorizer},
                   "AxisExtension": {"store_path": str(axis_store_path)}})


async def _finished_job(axis_state, kind: str, key: str):
    job = axis_state.jobs.start(kind, lambda job: {"ok": True}, key=key)
    await job.wait()
    assert job.state == "succeeded"
    return job


async def _stream(api, *parts) -> str:
    r = await api("GET", *parts)
    assert r.code == 200, r.body[:300]
    text = r.body.decode()
    assert "event: done" in text  # the whole stream of a finished job
    return text


@pytest.mark.parametrize("first", ["sync", "jobs"])
async def test_each_stream_is_authorized_as_its_own_resource(api, axis_state, first):
    await _finished_job(axis_state, "sync", "sync:orders")
    other_job = await _finished_job(axis_state, "upload", "dataset:orders")
    streams = {"sync": (("sync", "orders", "events"), "axis:sync"),
               "jobs": (("jobs", other_job.id, "events"), "axis:jobs")}
    order = [first, "jobs" if first == "sync" else "sync", first]
    RecordingAuthorizer.calls = []
    for name in order:
        await _stream(api, *streams[name][0])
    seen = RecordingAuthorizer.calls
    assert seen == [("/".join(streams[n][0]), "read", streams[n][1]) for n in order]
