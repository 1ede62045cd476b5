"""Calling the user's agent to fill empty outputs before scoring (settings: :mod:`.agent_config`).

:func:`afill_outputs` calls the agent once per item whose ``actual_output`` is empty, at
most ``concurrency`` calls at a time, and writes back into the items:

``actual_output``     the answer (left empty when the call failed)
``latency``           the measured seconds of the successful attempt, where the item had none
``agent_latency_ms``  the same in milliseconds, for every item the agent answered
``agent_error``       what went wrong for that item (None when it was answered)

Failures never abort the run: a timeout, a refused connection, a 5xx or a 429 is retried
(``retries`` times, exponential backoff with jitter, a 429's or 503's ``Retry-After``
honoured up to ``retry_after_max`` seconds); what still fails — and any 4xx, a path that
is not in the reply, an empty answer — becomes that item's ``agent_error`` and a warning.
:func:`test_connection` makes one call and shows what came back.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .agent_config import AgentConfig, AgentConfigError, extract, render
from .base import is_missing
from .fields import as_text

RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
RAW_PREVIEW = 2000


@dataclass
class AgentAnswer:
    output: str | None
    latency_ms: float | None = None
    error: str | None = None
    status: int | None = None
    attempts: int = 0
    raw: str = ""


class _Retry(Exception):
    def __init__(self, message: str, wait: float | None = None, status: int | None = None):
        super().__init__(message)
        self.wait, self.status = wait, status


def _retry_after(headers: Mapping[str, str]) -> float | None:
    from ..llm.common import parse_retry_after

    return parse_retry_after({k.lower(): v for k, v in headers.items()})


class AgentCaller:
    """One run's connection to the agent: a pooled HTTP client (or an LLM for ``prompt``)
    bound to the event loop it is used on; close with :meth:`aclose`."""

    def __init__(self, cfg: AgentConfig, concurrency: int = 8, *,
                 sleep: Callable[[float], Any] | None = None, judge: Any = None):
        self.cfg = cfg
        self.concurrency = max(1, int(concurrency))
        self._sleep = sleep or asyncio.sleep
        self._client: Any = None
        self._sem: asyncio.Semaphore | None = None
        self._judge = judge
        self.headers = cfg.resolved_headers() if cfg.mode == "api" else {}
        if cfg.mode == "prompt" and judge is None:
            from ..llm.providers import build_judge

            self._judge = build_judge(cfg.provider, cfg.model, concurrency=self.concurrency,
                                      max_retries=cfg.retries, timeout=cfg.timeout)

    def _bind(self) -> None:
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.concurrency)
        if self.cfg.mode == "api" and self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.cfg.timeout), follow_redirects=False,
                limits=httpx.Limits(max_connections=self.concurrency,
                                    max_keepalive_connections=self.concurrency))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._judge is not None:
            try:
                await self._judge.aclose()
            except Exception:  # noqa: BLE001
                pass

    # -- one item ----------------------------------------------------------------------
    async def answer(self, item: Mapping[str, Any], *, retries: int | None = None) -> AgentAnswer:
        self._bind()
        async with self._sem:
            if self.cfg.mode == "prompt":
                return await self._prompt(item)
            return await self._api(item, self.cfg.retries if retries is None else retries)

    async def _prompt(self, item: Mapping[str, Any]) -> AgentAnswer:
        from ..llm import LLMError

        user = render(self.cfg.prompt_template, item)
        started = time.perf_counter()
        try:
            done = await self._judge.complete(system=self.cfg.system_prompt, user=user,
                                              max_tokens=self.cfg.max_tokens)
        except LLMError as exc:
            return AgentAnswer(None, error=str(exc))
        ms = (time.perf_counter() - started) * 1000
        text = done.text.strip()
        if not text:
            return AgentAnswer(None, latency_ms=ms, error="the model returned an empty answer",
                               attempts=done.attempts)
        return AgentAnswer(text, latency_ms=ms, attempts=done.attempts, raw=done.text[:RAW_PREVIEW])

    async def _api(self, item: Mapping[str, Any], retries: int) -> AgentAnswer:
        import httpx

        cfg = self.cfg
        body = render(cfg.body, item)
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                resp = await self._client.request(cfg.method, cfg.url, json=body, headers=self.headers)
                ms = (time.perf_counter() - started) * 1000
                if resp.status_code in RETRY_STATUS:
                    wait = _retry_after(resp.headers) if resp.status_code in (429, 503) else None
                    raise _Retry(f"HTTP {resp.status_code}", wait, resp.status_code)
                return _read(resp, cfg.answer_path, ms, attempt)
            except _Retry as exc:
                last, wait, status = str(exc), exc.wait, exc.status
            except httpx.TimeoutException:
                last, wait, status = f"no reply within {cfg.timeout:g} s", None, None
            except httpx.HTTPError as exc:
                last, wait, status = f"cannot connect: {type(exc).__name__}", None, None
            if attempt > retries:
                return AgentAnswer(None, error=f"{last} after {attempt} attempt(s)", status=status,
                                   attempts=attempt)
            await self._sleep(self._delay(attempt, wait))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.cfg.retry_after_max)
        cap = self.cfg.backoff * (2 ** (attempt - 1))
        return cap / 2 + random.uniform(0, cap / 2)


def _read(resp: Any, path: str, ms: float, attempts: int) -> AgentAnswer:
    """The answer in a reply: JSON at ``path`` (the whole JSON when no path), or the text."""
    raw = resp.text
    preview = raw[:RAW_PREVIEW]
    if resp.status_code >= 400:
        return AgentAnswer(None, latency_ms=ms, status=resp.status_code, attempts=attempts, raw=preview,
                           error=f"HTTP {resp.status_code} from the agent")
    try:
        data = json.loads(raw) if raw.strip() else None
        is_json = raw.strip() != ""
    except ValueError:
        data, is_json = None, False
    if not is_json:
        answer: Any = raw
    elif path.strip():
        try:
            answer = extract(data, path)
        except (LookupError, AgentConfigError) as exc:
            return AgentAnswer(None, latency_ms=ms, status=resp.status_code, attempts=attempts, raw=preview,
                               error=f"answer_path {path}: {exc}")
    else:
        answer = data
    text = answer if isinstance(answer, str) else "" if answer is None else json.dumps(answer, ensure_ascii=False)
    if not text.strip():
        return AgentAnswer(None, latency_ms=ms, status=resp.status_code, attempts=attempts, raw=preview,
                           error="the agent returned an empty answer")
    return AgentAnswer(text, latency_ms=ms, status=resp.status_code, attempts=attempts, raw=preview)


# ------------------------------------------------------------------ filling a run's items
def to_fill(items: Any) -> list[int]:
    """Row positions whose actual_output is empty (all of them when it is not mapped)."""
    if "actual_output" not in items.columns:
        return list(range(len(items)))
    return [i for i, v in enumerate(items["actual_output"].tolist()) if is_missing(v)]


async def afill_outputs(items: Any, cfg: AgentConfig, *, concurrency: int = 8,
                        on_progress: Callable[[int, int], None] | None = None,
                        caller: AgentCaller | None = None) -> tuple[Any, dict[str, Any]]:
    """Fill the empty outputs of ``items`` (a DataFrame); returns (new frame, stats):
    ``called``, ``filled``, ``failed``, ``kept`` (already had an output), ``warnings``
    [{dataset_id, message}] and latency ``p50_ms``/``max_ms`` of the answered calls."""
    frame = items.copy()
    rows = to_fill(frame)
    own = caller is None
    caller = caller or AgentCaller(cfg, concurrency)
    records = frame.to_dict("records")
    done = 0
    total = len(rows)

    async def one(pos: int) -> AgentAnswer:
        nonlocal done
        result = await caller.answer(records[pos])
        done += 1
        if on_progress is not None:
            on_progress(done, total)
        return result

    try:
        answers = await asyncio.gather(*(one(p) for p in rows))
    finally:
        if own:
            await caller.aclose()
    for col in ("actual_output", "latency", "agent_latency_ms", "agent_error"):
        if col not in frame.columns:
            frame[col] = None
    frame["actual_output"] = frame["actual_output"].astype(object)
    frame["latency"] = frame["latency"].astype(object)
    frame["agent_latency_ms"] = frame["agent_latency_ms"].astype(object)
    frame["agent_error"] = frame["agent_error"].astype(object)
    out, lat, err, ms = (frame["actual_output"].tolist(), frame["latency"].tolist(),
                         frame["agent_latency_ms"].tolist(), frame["agent_error"].tolist())
    warnings, latencies = [], []
    for pos, a in zip(rows, answers):
        if a.output is not None:
            out[pos] = a.output
            ms[pos] = round(a.latency_ms, 3)
            latencies.append(a.latency_ms)
            if is_missing(lat[pos]):
                lat[pos] = a.latency_ms / 1000.0
            err[pos] = None
        else:
            err[pos] = a.error
            warnings.append({"dataset_id": as_text(records[pos].get("dataset_id")), "message": a.error})
    frame["actual_output"], frame["latency"], frame["agent_latency_ms"], frame["agent_error"] = out, lat, ms, err
    latencies.sort()
    stats = {"called": total, "filled": total - len(warnings), "failed": len(warnings),
             "kept": len(frame) - total, "warnings": warnings,
             "p50_ms": round(latencies[len(latencies) // 2], 3) if latencies else None,
             "max_ms": round(latencies[-1], 3) if latencies else None}
    return frame, stats


def fill_outputs(items: Any, agent: Any, *, concurrency: int = 8,
                 on_progress: Callable[[int, int], None] | None = None) -> tuple[Any, dict[str, Any]]:
    """Synchronous :func:`afill_outputs` (also inside Jupyter's running loop)."""
    from .runner import run_sync

    cfg = AgentConfig.parse(agent)
    return run_sync(afill_outputs(items, cfg, concurrency=concurrency, on_progress=on_progress))


# ------------------------------------------------------------------ "Test connection"
def test_connection(agent: Any, query: str = "Hello, how are you?") -> dict[str, Any]:
    """Call the agent once with ``query`` and say what came back: ``ok``, ``status``,
    ``latency_ms``, ``request`` (the body sent), ``raw`` (the reply, first 2,000 characters),
    ``answer`` (extracted at answer_path) and ``error``. A bad setting raises
    ``AgentConfigError``; a failed call is ``ok: false`` with the error."""
    from .runner import run_sync

    cfg = AgentConfig.parse(agent)
    if cfg is None:
        raise AgentConfigError("agent: give an agent to test (mode api or prompt).")
    if not isinstance(query, str) or not query.strip():
        raise AgentConfigError("query must be a non-empty sample question.")
    item = {"query": query, "dataset_id": "test"}

    async def once() -> AgentAnswer:
        caller = AgentCaller(cfg, 1)
        try:
            return await caller.answer(item, retries=0)
        finally:
            await caller.aclose()

    a = run_sync(once())
    request = render(cfg.body, item) if cfg.mode == "api" else {
        "system": cfg.system_prompt, "user": render(cfg.prompt_template, item)}
    return {"ok": a.output is not None, "mode": cfg.mode, "status": a.status,
            "latency_ms": None if a.latency_ms is None else round(a.latency_ms, 1),
            "request": request, "raw": a.raw, "answer": a.output, "error": a.error}
