"""Job events as Server-Sent Events under the base_url /a%40b/, read with a raw HTTP client
the way a browser EventSource sends them: login cookie + ``_xsrf`` query parameter (what
JupyterHub requires for non-navigation GETs), no Authorization header."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest
from axis_helpers import cookie_login


@pytest.fixture
def axis_config():
    return {"sse_heartbeat": 0.05}


class RawSSE:
    """A minimal HTTP/1.1 client that reads a chunked text/event-stream as it arrives."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.status = None
        self.headers: dict[str, str] = {}
        self._buf = ""
        self.closed = False

    @classmethod
    async def open(cls, host, port, path, headers):
        reader, writer = await asyncio.open_connection(host, port)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream",
                 "Cache-Control: no-cache", *[f"{k}: {v}" for k, v in headers.items()], "", ""]
        writer.write("\r\n".join(lines).encode())
        await writer.drain()
        self = cls(reader, writer)
        status_line = (await reader.readline()).decode()
        self.status = int(status_line.split()[1])
        while True:
            line = (await reader.readline()).decode().rstrip("\r\n")
            if not line:
                break
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        return self

    async def _chunk(self) -> str | None:
        if self.headers.get("transfer-encoding") != "chunked":
            data = await self.reader.read(65536)
            return data.decode() if data else None
        size = int((await self.reader.readline()).strip(), 16)
        if size == 0:
            await self.reader.readline()
            return None
        data = await self.reader.readexactly(size)
        await self.reader.readexactly(2)
        return data.decode()

    async def next_block(self) -> str | None:
        """The next SSE block (an event or a comment), or None at the end of the stream."""
        while "\n\n" not in self._buf:
            chunk = await asyncio.wait_for(self._chunk(), timeout=30)
            if chunk is None:
                self.closed = True
                return None
            self._buf += chunk
        block, self._buf = self._buf.split("\n\n", 1)
        return block

    async def body(self) -> str:
        out = []
        while True:
            chunk = await asyncio.wait_for(self._chunk(), timeout=30)
            if chunk is None:
                return "".join(out)
            out.append(chunk)

    def close(self):
        self.writer.close()


def parse_block(block: str) -> dict:
    ev = {"event": "message", "data": [], "id": None, "comment": None}
    for line in block.split("\n"):
        if line.startswith(":"):
            ev["comment"] = line[1:].strip()
            continue
        field, _, value = line.partition(": ")
        if field == "data":
            ev["data"].append(value)
        elif field in ("event", "id", "retry"):
            ev[field] = value
    ev["data"] = json.loads("\n".join(ev["data"])) if ev["data"] else None
    return ev


class Browser:
    """A logged-in 'browser': the login cookie and _xsrf value, as an EventSource sends them."""

    def __init__(self, base_http, token, port, base_url):
        self.base_http, self.token, self.port, self.base_url = base_http, token, port, base_url
        self.cookie = self.xsrf = None

    async def __call__(self, job_id, *, xsrf_param=True, extra=None, cookie_header=True):
        if self.cookie is None:
            async with httpx.AsyncClient() as client:
                self.xsrf = await cookie_login(client, self.base_http, self.token)
                self.cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        path = f"{self.base_url}axis/api/jobs/{job_id}/events"
        if xsrf_param:
            path += f"?_xsrf={self.xsrf}"
        headers = {"Cookie": self.cookie} if cookie_header else {}
        headers.update(extra or {})
        return await RawSSE.open("127.0.0.1", self.port, path, headers)


@pytest.fixture
def browser(base_http, jp_serverapp, jp_http_port, jp_base_url):
    return Browser(base_http, jp_serverapp.identity_provider.token, jp_http_port, jp_base_url)


async def test_sse_events_arrive_in_order_and_end_with_done(browser, axis_state):
    gate = threading.Event()

    def work(job):
        assert gate.wait(30)
        job.progress(step=1, total=2)
        job.log("halfway")
        job.emit("partial", {"text": "hel"})
        job.progress(step=2, total=2)
        return {"answer": 42}

    job = axis_state.jobs.start("test", work)
    sse = await browser(job.id)
    try:
        assert sse.status == 200
        assert sse.headers["content-type"].startswith("text/event-stream")
        assert sse.headers["cache-control"].startswith("no-cache")
        # The first event comes at once, while the job is still blocked.
        first = parse_block(await sse.next_block())
        assert first["event"] == "job" and first["data"]["id"] == job.id
        assert first["data"]["state"] in ("queued", "running")
        events = []
        saw_heartbeat = False
        while True:
            block = await sse.next_block()
            assert block is not None, "stream ended before done"
            ev = parse_block(block)
            if ev["comment"] == "heartbeat":
                saw_heartbeat = True
                gate.set()  # release the job only after a heartbeat came through
                continue
            events.append(ev)
            if ev["event"] == "done":
                break
        assert saw_heartbeat
        names = [e["event"] for e in events]
        assert names == ["progress", "progress", "progress", "log", "partial", "progress",
                         "result", "done"]
        assert events[0]["data"] == {"state": "queued"}
        assert events[1]["data"]["state"] == "running"
        assert events[2]["data"]["step"] == 1 and events[5]["data"]["step"] == 2
        assert events[3]["data"]["message"] == "halfway"
        assert events[4]["data"] == {"text": "hel"}
        assert events[6]["data"] == {"answer": 42}
        assert events[7]["data"]["state"] == "succeeded" and "result" not in events[7]["data"]
        ids = [int(e["id"]) for e in events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert await sse.next_block() is None  # the server closes the stream after done
    finally:
        gate.set()
        sse.close()


async def test_sse_resumes_after_last_event_id(browser, axis_state):
    job = axis_state.jobs.start("test", lambda j: (j.log("a"), j.log("b"), "r")[-1])
    await job.wait()
    all_events = [parse_block(b) for b in (await (await browser(job.id)).body()).split("\n\n")
                  if b.strip()]
    ids = [int(e["id"]) for e in all_events if e["id"]]
    log_b = next(e for e in all_events if e["event"] == "log" and e["data"]["message"] == "b")
    sse = await browser(job.id, extra={"Last-Event-ID": log_b["id"]})
    rest = [parse_block(b) for b in (await sse.body()).split("\n\n") if b.strip()]
    assert [e["event"] for e in rest] == ["job", "result", "done"]
    assert all(int(e["id"]) > int(log_b["id"]) for e in rest[1:])
    assert max(ids) == int(rest[-1]["id"])


async def test_sse_failed_and_cancelled_jobs(browser, api, axis_state):
    from axis_jupyter.errors import QueryError

    def fail(job):
        raise QueryError("bad parameter x")

    job = axis_state.jobs.start("test", fail)
    await job.wait()
    events = [parse_block(b) for b in (await (await browser(job.id)).body()).split("\n\n")
              if b.strip()]
    assert [e["event"] for e in events][-2:] == ["error", "done"]
    assert events[-2]["data"] == {"message": "bad parameter x", "type": "bad_query"}
    assert events[-1]["data"]["state"] == "failed"

    started = threading.Event()

    def slow(job):
        started.set()
        while not job.cancel_event.wait(0.01):
            pass
        job.check_cancelled()

    job = axis_state.jobs.start("test", slow)
    sse = await browser(job.id)
    try:
        assert parse_block(await sse.next_block())["event"] == "job"
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 30)
        r = await api("DELETE", "jobs", job.id)
        assert r.code == 200
        names = []
        while (block := await sse.next_block()) is not None:
            ev = parse_block(block)
            if ev["comment"]:
                continue
            names.append(ev["event"])
            last = ev
        assert names[-1] == "done" and last["data"]["state"] == "cancelled"
        assert "error" in names
    finally:
        sse.close()


async def test_sse_needs_credentials(browser, axis_state):
    job = axis_state.jobs.start("test", lambda j: None)
    sse = await browser(job.id, cookie_header=False)
    assert sse.status == 403
    sse.close()


async def test_sse_with_token_header_and_async_job(jp_fetch, axis_state):
    async def work(job):
        for i in range(3):
            job.progress(i=i)
            await asyncio.sleep(0)
        return "fine"

    job = axis_state.jobs.start("async_test", work)
    await job.wait()
    r = await jp_fetch("axis", "api", "jobs", job.id, "events")
    assert r.code == 200
    events = [parse_block(b) for b in r.body.decode().split("\n\n") if b.strip()]
    assert [e["event"] for e in events] == ["job", "progress", "progress", "progress",
                                            "progress", "progress", "result", "done"]
    assert events[-2]["data"] == "fine"


async def test_sse_client_disconnect_releases_the_stream(browser, axis_state, monkeypatch):
    monkeypatch.setattr(axis_state, "sse_heartbeat", 3600.0)  # only the close can wake it
    gate = threading.Event()
    job = axis_state.jobs.start("test", lambda j: gate.wait(30))
    sse = await browser(job.id)
    try:
        assert parse_block(await sse.next_block())["event"] == "job"
        while len(job._waiters) != 1:
            await asyncio.sleep(0.01)
        sse.close()
        for _ in range(3000):  # the handler unsubscribes as soon as tornado sees the close
            if not job._waiters:
                break
            await asyncio.sleep(0.01)
        assert job._waiters == []
    finally:
        gate.set()
        await job.wait()
