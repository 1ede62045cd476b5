"""The LLM judge client: one wrapper around the ``anthropic`` SDK for every judged metric.

What it adds over calling the SDK directly, and why:
  * Structured output by forcing a single tool whose ``input_schema`` is the verdict
    schema: the model must answer with JSON of that shape, no prose parsing.
  * Our own retry loop (SDK retries off) so 429/529/5xx and connection errors back off
    exponentially with jitter and honour ``retry-after``; the sleep is injectable so tests
    can check the waits without measuring wall-clock time.
  * A content-addressed cache (metric key + version + model + prompt hash + item hash):
    re-running an evaluation costs nothing, and changing the model, prompt or metric
    version misses the cache instead of serving stale verdicts. Identical requests in
    flight at the same time share one call, so sibling metrics reuse a step.
  * Token and cost accounting per call and in total.
  * Configuration read when the Judge is built (not at import) and a clear
    ``LLMNotConfigured`` before any request when no key is set.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping

from .errors import AxisError

DEFAULT_MODEL = "claude-sonnet-4-5"
_RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504, 529}

# USD per million tokens (input, output), matched by model-name prefix, longest first.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-3-haiku": (0.25, 1.25),
}


class LLMError(AxisError):
    """Base class for judge-client errors (user-facing: missing key, failed calls)."""


class LLMNotConfigured(LLMError):
    """No API key: raised when a Judge is built, before any request is sent."""


class JudgeError(LLMError):
    """A judge call failed for good (retries exhausted, bad request, unusable output)."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 0):
        super().__init__(message)
        self.status = status
        self.attempts = attempts


NOT_CONFIGURED_MESSAGE = (
    "Set ANTHROPIC_API_KEY to use LLM-judged metrics (optionally ANTHROPIC_BASE_URL for a "
    "proxy and AXIS_JUDGE_MODEL for the model, default " + DEFAULT_MODEL + "). "
    "Heuristic metrics work without it."
)


@dataclass
class JudgeConfig:
    api_key: str | None = None
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    max_tokens: int = 2048
    temperature: float = 0.0
    timeout: float = 120.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    max_concurrency: int = 8
    stream: bool = False
    cache: bool = True
    cache_path: str | None = None
    price_input_per_mtok: float | None = None
    price_output_per_mtok: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "JudgeConfig":
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            "api_key": env.get("ANTHROPIC_API_KEY") or None,
            "base_url": env.get("ANTHROPIC_BASE_URL") or None,
            "model": env.get("AXIS_JUDGE_MODEL") or DEFAULT_MODEL,
            "cache_path": env.get("AXIS_JUDGE_CACHE") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def prices(self) -> tuple[float, float] | None:
        if self.price_input_per_mtok is not None and self.price_output_per_mtok is not None:
            return self.price_input_per_mtok, self.price_output_per_mtok
        for prefix in sorted(PRICES_PER_MTOK, key=len, reverse=True):
            if self.model.startswith(prefix):
                return PRICES_PER_MTOK[prefix]
        return None

    def __repr__(self) -> str:  # never show the key
        return f"JudgeConfig(model={self.model!r}, base_url={self.base_url!r}, api_key={'set' if self.api_key else 'unset'})"


@dataclass(frozen=True)
class ToolSpec:
    """The forced tool: its input_schema is the verdict schema."""

    name: str
    description: str
    input_schema: dict[str, Any]

    def to_api(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}


@dataclass
class Verdict:
    data: dict[str, Any]
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    cached: bool = False
    model: str = ""
    attempts: int = 0


@dataclass
class Reply:
    """One answered request: the SDK's message and what it cost."""

    message: Any
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    attempts: int = 1


@dataclass
class Usage:
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0


# ---------------------------------------------------------------------------------
# cache
# ---------------------------------------------------------------------------------
def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_key(metric_key: str, metric_version: str, model: str, prompt: str, item_content: str) -> str:
    """Content address of one judge call: changing any part misses the cache."""
    return sha(json.dumps([metric_key, metric_version, model, sha(prompt), sha(item_content)]))


class JudgeCache:
    """In-memory dict in front of an optional SQLite file.

    SQLite (not DuckDB) because the store's DuckDB file has a single writer process,
    while a verdict cache may be shared by kernels and the server at the same time.
    """

    def __init__(self, path: str | Path | None = None):
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.path = Path(path).expanduser() if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.execute("CREATE TABLE IF NOT EXISTS judge_cache (key TEXT PRIMARY KEY, "
                            "value TEXT NOT NULL, created REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self._memory.get(key)
        if hit is not None or self.path is None:
            return hit
        with self._connect() as con:
            row = con.execute("SELECT value FROM judge_cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        with self._lock:
            self._memory[key] = value
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._memory[key] = value
        if self.path is not None:
            with self._connect() as con:
                con.execute("INSERT OR REPLACE INTO judge_cache VALUES (?, ?, ?)",
                            (key, json.dumps(value), time.time()))

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()
        if self.path is not None:
            with self._connect() as con:
                con.execute("DELETE FROM judge_cache")

    def __len__(self) -> int:
        return len(self._memory)


# ---------------------------------------------------------------------------------
# output checking
# ---------------------------------------------------------------------------------
_JSON_TYPES = {"string": str, "number": (int, float), "integer": int, "boolean": bool,
               "array": list, "object": dict}


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """A small JSON-schema check (type, required, properties, items, enum) — enough to
    reject a malformed verdict before a formula reads it."""
    errors: list[str] = []
    typ = schema.get("type")
    if typ:
        expected = _JSON_TYPES.get(typ)
        bad_bool = typ in ("number", "integer") and isinstance(value, bool)
        if expected and (not isinstance(value, expected) or bad_bool):
            return [f"{path}: expected {typ}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        for req in schema.get("required", []):
            if req not in value:
                errors.append(f"{path}: missing {req!r}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                errors.extend(schema_errors(value[name], sub, f"{path}.{name}"))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errors.extend(schema_errors(v, schema["items"], f"{path}[{i}]"))
    return errors


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``retry-after`` as seconds or HTTP date."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


# ---------------------------------------------------------------------------------
# the judge
# ---------------------------------------------------------------------------------
class Judge:
    """Structured LLM verdicts with retries, caching, accounting and cancellation.

    Safe to share across metrics and items; ``structured`` may be awaited concurrently
    (at most ``max_concurrency`` requests in flight). Cancelling the awaiting task
    cancels the HTTP request.
    """

    provider = "anthropic"

    def __init__(self, config: JudgeConfig | None = None, *, cache: JudgeCache | None = None,
                 sleep: Callable[[float], Awaitable[Any]] | None = None,
                 client_factory: Callable[[JudgeConfig], Any] | None = None):
        self.config = config or JudgeConfig.from_env()
        if not self.config.api_key:
            raise LLMNotConfigured(NOT_CONFIGURED_MESSAGE)
        self.cache = cache if cache is not None else (
            JudgeCache(self.config.cache_path) if self.config.cache else None)
        self._sleep = sleep or asyncio.sleep
        self._client_factory = client_factory or _default_client
        self.usage = Usage()
        self._usage_lock = threading.Lock()
        # Loop-bound state: an AsyncAnthropic client, a semaphore and the in-flight map
        # belong to one event loop; notebooks may run several loops over a Judge's life.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._sem: asyncio.Semaphore | None = None
        self._inflight: dict[str, asyncio.Future] = {}
        self._send_temperature = True
        self._temperature_kw: dict[str, Any] | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> "Judge":
        return cls(JudgeConfig.from_env(**overrides))

    @property
    def model(self) -> str:
        return self.config.model

    def __repr__(self) -> str:
        return f"<Judge {self.config!r}>"

    # -- loop-bound resources ------------------------------------------------------
    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._client = self._client_factory(self.config)
            self._sem = asyncio.Semaphore(self.config.max_concurrency)
            self._inflight = {}
            self._temperature_kw = None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
            self._loop = None

    # -- public --------------------------------------------------------------------
    async def structured(self, *, system: str, user: str, tool: ToolSpec,
                         cache_scope: tuple[str, str] | None = None) -> Verdict:
        """Ask for one tool call and return its validated input as ``Verdict.data``.

        ``cache_scope`` is (metric key, metric version); None disables caching.
        """
        self._bind()
        key = None
        if cache_scope is not None and self.cache is not None:
            prompt = system + "\n" + json.dumps(tool.to_api(), sort_keys=True)
            key = cache_key(cache_scope[0], cache_scope[1], self.model, prompt, user)
            hit = self.cache.get(key)
            if hit is not None:
                return self._from_cache(hit)
            pending = self._inflight.get(key)
            if pending is not None:  # an identical request is running: share its answer
                await asyncio.shield(pending)
                return self._from_cache(self.cache.get(key) or pending.result())
        future: asyncio.Future | None = None
        if key is not None:
            future = asyncio.get_running_loop().create_future()
            self._inflight[key] = future
        try:
            verdict = await self._call(system, user, tool)
            if key is not None:
                entry = {"data": verdict.data, "tokens_in": verdict.tokens_in,
                         "tokens_out": verdict.tokens_out, "model": verdict.model}
                self.cache.put(key, entry)
                future.set_result(entry)
            return verdict
        except BaseException as exc:
            if future is not None and not future.done():
                # Waiters re-raise the same failure; mark it retrieved to avoid warnings.
                future.set_exception(exc if isinstance(exc, Exception) else JudgeError("cancelled"))
                future.exception()
            raise
        finally:
            if key is not None:
                self._inflight.pop(key, None)

    def _from_cache(self, entry: dict[str, Any]) -> Verdict:
        with self._usage_lock:
            self.usage.cache_hits += 1
        return Verdict(data=entry["data"], cached=True, model=entry.get("model", self.model))

    def cost_of(self, tokens_in: int, tokens_out: int) -> float:
        prices = self.config.prices()
        if prices is None:
            return 0.0
        return (tokens_in * prices[0] + tokens_out * prices[1]) / 1_000_000

    # -- one call with retries -----------------------------------------------------
    async def _call(self, system: str, user: str, tool: ToolSpec) -> Verdict:
        cfg = self.config
        request = {
            "model": cfg.model, "max_tokens": cfg.max_tokens,
            "system": system, "messages": [{"role": "user", "content": user}],
            "tools": [tool.to_api()], "tool_choice": {"type": "tool", "name": tool.name},
        }
        if cfg.temperature is not None:
            request["temperature"] = cfg.temperature
        output_repairs = 0
        while True:
            reply = await self.send(request, stream=cfg.stream)
            message = reply.message
            data, problem = _tool_input(message, tool)
            if problem is None:
                return Verdict(data=data, tokens_in=reply.tokens_in, tokens_out=reply.tokens_out,
                               cost=reply.cost, model=getattr(message, "model", cfg.model) or cfg.model,
                               attempts=reply.attempts)
            # A malformed verdict is re-asked once (temperature 0 rarely repeats the slip
            # when told what was wrong); a second failure is final.
            if output_repairs >= 1:
                raise JudgeError(f"judge returned unusable output: {problem}", attempts=reply.attempts)
            output_repairs += 1
            request = {**request, "messages": [
                {"role": "user", "content": user + f"\n\nYour previous answer was invalid ({problem}). "
                 f"Call {tool.name} once with input matching its schema exactly."}]}

    async def send(self, request: dict[str, Any], *, stream: bool = False,
                   on_text: Callable[[str], Any] | None = None) -> "Reply":
        """One Messages-API request with this layer's retries, concurrency limit and
        token/cost accounting; the building block of judges, the copilot and reports.

        ``request`` holds the ``messages.create`` arguments (``temperature`` is sent where
        the model takes it, dropped where it is refused). ``stream=True`` streams the reply
        and calls ``on_text(delta)`` (on this event loop) for each piece of text as it
        arrives. Returns the final message with its usage. Retryable failures (429 honouring
        ``retry-after``, 5xx, 529, connection errors) back off and retry up to
        ``max_retries`` times; anything else raises :class:`JudgeError`.
        """
        import anthropic

        self._bind()
        cfg = self.config
        request = dict(request)
        temperature = request.pop("temperature", None)
        if temperature is not None and self._send_temperature:
            if self._temperature_kw is None:  # inspecting the SDK's signature costs ~0.5 ms
                self._temperature_kw = _temperature_kwargs(self._client, 0.0)
            kw = self._temperature_kw
            request.update({"temperature": temperature} if "temperature" in kw
                           else {"extra_body": {"temperature": temperature}})
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._sem:
                    message = await self._send(request, stream, on_text)
            except anthropic.APIStatusError as exc:
                status = exc.status_code
                if status == 400 and "temperature" in str(exc).lower() and _has_temperature(request):
                    # Some models reject sampling parameters; judge deterministically
                    # without it rather than fail every call. Not counted as a retry.
                    self._send_temperature = False
                    request = _without_temperature(request)
                    attempt -= 1
                    continue
                if status not in _RETRYABLE_STATUS or attempt > cfg.max_retries:
                    raise JudgeError(_describe(exc, attempt), status=status, attempts=attempt) from exc
                wait = parse_retry_after(exc.response.headers)
                await self._backoff(attempt, wait)
                continue
            except anthropic.APIConnectionError as exc:  # includes timeouts
                if attempt > cfg.max_retries:
                    raise JudgeError(_describe(exc, attempt), attempts=attempt) from exc
                await self._backoff(attempt, None)
                continue
            tokens_in, tokens_out = _usage_of(message)
            cost = self.cost_of(tokens_in, tokens_out)
            with self._usage_lock:
                self.usage.requests += 1
                self.usage.tokens_in += tokens_in
                self.usage.tokens_out += tokens_out
                self.usage.cost += cost
            return Reply(message, tokens_in, tokens_out, cost, attempt)

    async def _send(self, request: dict[str, Any], stream: bool = False,
                    on_text: Callable[[str], Any] | None = None) -> Any:
        if stream:
            async with self._client.messages.stream(**request) as events:
                if on_text is not None:
                    async for event in events:
                        if getattr(event, "type", None) == "text" and event.text:
                            on_text(event.text)
                return await events.get_final_message()
        return await self._client.messages.create(**request)

    async def _backoff(self, attempt: int, retry_after: float | None) -> None:
        cfg = self.config
        with self._usage_lock:
            self.usage.retries += 1
        if retry_after is not None:
            # Honour the server's wait; add a little jitter so parallel callers spread out.
            delay = min(retry_after, cfg.retry_after_max) + random.uniform(0, 0.1 * max(retry_after, 0.1))
        else:
            # Exponential backoff with "equal jitter": half fixed, half random.
            cap = min(cfg.backoff_max, cfg.backoff_base * (2 ** (attempt - 1)))
            delay = cap / 2 + random.uniform(0, cap / 2)
        await self._sleep(delay)


def _default_client(config: JudgeConfig) -> Any:
    import anthropic

    # Our loop does the retrying; SDK retries would multiply attempts and hide waits.
    return anthropic.AsyncAnthropic(api_key=config.api_key, base_url=config.base_url,
                                    timeout=config.timeout, max_retries=0)


def _temperature_kwargs(client: Any, temperature: float) -> dict[str, Any]:
    """``temperature=`` where the SDK still takes it, else the same field via extra_body
    (newer SDKs dropped the named parameter; the API field is unchanged)."""
    import inspect

    try:
        params = inspect.signature(client.messages.create).parameters
    except (TypeError, ValueError):  # pragma: no cover
        params = {}
    if "temperature" in params:
        return {"temperature": temperature}
    return {"extra_body": {"temperature": temperature}}


def _has_temperature(request: dict[str, Any]) -> bool:
    return "temperature" in request or "temperature" in (request.get("extra_body") or {})


def _without_temperature(request: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in request.items() if k != "temperature"}
    if "extra_body" in out:
        extra = {k: v for k, v in out["extra_body"].items() if k != "temperature"}
        out.pop("extra_body")
        if extra:
            out["extra_body"] = extra
    return out


def _usage_of(message: Any) -> tuple[int, int]:
    usage = getattr(message, "usage", None)
    if usage is None:
        return 0, 0
    return int(getattr(usage, "input_tokens", 0) or 0), int(getattr(usage, "output_tokens", 0) or 0)


def _tool_input(message: Any, tool: ToolSpec) -> tuple[dict[str, Any], str | None]:
    for block in getattr(message, "content", None) or []:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == tool.name:
            data = block.input
            if isinstance(data, str):  # defensive: some proxies send the JSON as text
                try:
                    data = json.loads(data)
                except ValueError:
                    return {}, "tool input is not JSON"
            if not isinstance(data, dict):
                return {}, "tool input is not an object"
            errors = schema_errors(data, tool.input_schema)
            return data, ("; ".join(errors[:5]) if errors else None)
    stop = getattr(message, "stop_reason", None)
    return {}, f"no {tool.name} tool call in the reply (stop_reason={stop})"


def _describe(exc: Exception, attempts: int) -> str:
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    detail = ""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            detail = f"{err.get('type', '')}: {err.get('message', '')}".strip(": ")
    detail = detail or getattr(exc, "message", None) or str(exc)
    where = f"HTTP {status}" if status else type(exc).__name__
    return f"judge request failed after {attempts} attempt(s): {where} {detail}".strip()


def configured(env: Mapping[str, str] | None = None) -> bool:
    """True when a judge can be built (a key is present). A real check, not a guess."""
    return bool(JudgeConfig.from_env(env).api_key)
