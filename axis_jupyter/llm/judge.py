"""The LLM judge client: structured verdicts (and free text) from an LLM provider.

:class:`Judge` is the provider interface and its Anthropic implementation (the ``anthropic``
SDK); :class:`axis_jupyter.llm.openai_compat.OpenAIJudge` implements it for OpenAI,
Azure OpenAI and OpenAI-compatible servers (vLLM, Ollama) through the ``openai`` SDK, and
:mod:`axis_jupyter.llm.providers` picks one per run or metric from arguments, config and
environment. A provider supplies four things: its client, a request forcing one tool, how
to read the tool call (and text and usage) from a reply, and which failures to retry.

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
import json
import os
import random
import threading
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

from .. import config
from .common import (DEFAULT_MODEL, NOT_CONFIGURED_MESSAGE, JudgeCache, JudgeError,
                     LLMNotConfigured, cache_key, rate_limit_wait)
from .messages import (_describe, _has_temperature, _temperature_kwargs, _tool_input, _usage_of,
                       _without_temperature)

_RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504, 529}

# USD per million tokens (input, output) by model-name prefix: the Anthropic part of the
# price table in :data:`axis_jupyter.config.LLM_PRICES`.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = config.LLM_PRICES["anthropic"]


@dataclass
class JudgeConfig:
    """How to reach one provider's model. ``provider``: anthropic | openai | azure;
    ``api_version``: Azure's API version."""

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
    provider: str = "anthropic"
    api_version: str | None = None

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
        table = config.llm_prices(self.provider)
        for prefix in sorted(table, key=len, reverse=True):
            if self.model.startswith(prefix):
                return table[prefix]
        return None

    def __repr__(self) -> str:  # never show the key
        return (f"JudgeConfig(provider={self.provider!r}, model={self.model!r}, "
                f"base_url={self.base_url!r}, api_key={'set' if self.api_key else 'unset'})")


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
# the judge
# ---------------------------------------------------------------------------------
@dataclass
class Completion:
    """A free-text answer (the ``prompt`` agent mode): text, usage, cost."""

    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    model: str = ""
    attempts: int = 0


@dataclass
class _Failure:
    """What to do about a failed request: ``retry`` (after ``wait`` seconds, or backoff when
    None), ``adjust`` (send ``request`` instead, not counted as a retry) or ``raise``."""

    action: str
    wait: float | None = None
    request: dict[str, Any] | None = None
    status: int | None = None


class Judge:
    """Structured LLM verdicts with retries, caching, accounting and cancellation; the
    provider interface, implemented here for Anthropic's Messages API.

    Safe to share across metrics and items; ``structured`` may be awaited concurrently
    (at most ``max_concurrency`` requests in flight). Cancelling the awaiting task
    cancels the HTTP request. Subclasses (other providers) override the ``_``-prefixed
    request/reply hooks at the end of the class.
    """

    provider = "anthropic"
    not_configured_message = NOT_CONFIGURED_MESSAGE

    def __init__(self, config: JudgeConfig | None = None, *, cache: JudgeCache | None = None,
                 sleep: Callable[[float], Awaitable[Any]] | None = None,
                 client_factory: Callable[[JudgeConfig], Any] | None = None):
        self.config = config or JudgeConfig.from_env()
        if not self.config.api_key:
            raise LLMNotConfigured(self.not_configured_message)
        self.cache = cache if cache is not None else (
            JudgeCache(self.config.cache_path) if self.config.cache else None)
        self._sleep = sleep or asyncio.sleep
        self._client_factory = client_factory or self._make_client
        self.usage = Usage()
        self._usage_lock = threading.Lock()
        # Loop-bound state: an async client, a semaphore and the in-flight map belong to
        # one event loop; notebooks may run several loops over a Judge's life.
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
        return f"<{type(self).__name__} {self.config!r}>"

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

        ``cache_scope`` is (metric key, metric version); None disables caching. The key is
        the same for every provider: (metric, version, model, prompt + tool, item).
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

    async def complete(self, *, system: str, user: str, max_tokens: int | None = None) -> Completion:
        """A free-text answer to ``user`` under ``system`` (not cached: an agent's answer)."""
        self._bind()
        request = self._text_request(system, user, max_tokens or self.config.max_tokens)
        reply, attempts = await self._send_with_retries(request)
        tokens_in, tokens_out = self._reply_usage(reply)
        cost = self._account(tokens_in, tokens_out)
        return Completion(text=self._reply_text(reply), tokens_in=tokens_in, tokens_out=tokens_out,
                          cost=cost, model=self._reply_model(reply), attempts=attempts)

    async def send(self, request: dict[str, Any], *, stream: bool = False,
                   on_text: Callable[[str], Any] | None = None) -> Reply:
        """One Messages-API request with this layer's retries, concurrency limit and
        token/cost accounting; the building block of the copilot and reports.

        ``request`` holds the ``messages.create`` arguments (``temperature`` is sent where
        the model takes it, dropped where it is refused). ``stream=True`` streams the reply
        and calls ``on_text(delta)`` (on this event loop) for each piece of text as it
        arrives. Returns the final message with its usage. Retryable failures (429 honouring
        ``retry-after``, 5xx, 529, connection errors) back off and retry up to
        ``max_retries`` times; anything else raises :class:`JudgeError`.
        """
        self._bind()
        request = dict(request)
        temperature = request.pop("temperature", None)
        if temperature is not None and self._send_temperature:
            request.update(self._temperature(temperature))
        message, attempts = await self._send_with_retries(request, stream=stream, on_text=on_text)
        tokens_in, tokens_out = self._reply_usage(message)
        cost = self._account(tokens_in, tokens_out)
        return Reply(message, tokens_in, tokens_out, cost, attempts)

    def _from_cache(self, entry: dict[str, Any]) -> Verdict:
        with self._usage_lock:
            self.usage.cache_hits += 1
        return Verdict(data=entry["data"], cached=True, model=entry.get("model", self.model))

    def cost_of(self, tokens_in: int, tokens_out: int) -> float:
        prices = self.config.prices()
        if prices is None:
            return 0.0
        return (tokens_in * prices[0] + tokens_out * prices[1]) / 1_000_000

    def _account(self, tokens_in: int, tokens_out: int) -> float:
        cost = self.cost_of(tokens_in, tokens_out)
        with self._usage_lock:
            self.usage.requests += 1
            self.usage.tokens_in += tokens_in
            self.usage.tokens_out += tokens_out
            self.usage.cost += cost
        return cost

    # -- one call with retries -----------------------------------------------------
    async def _call(self, system: str, user: str, tool: ToolSpec) -> Verdict:
        request = self._tool_request(system, user, tool)
        output_repairs = 0
        while True:
            reply, attempts = await self._send_with_retries(request)
            tokens_in, tokens_out = self._reply_usage(reply)
            cost = self._account(tokens_in, tokens_out)
            data, problem = self._reply_tool_input(reply, tool)
            if problem is None:
                return Verdict(data=data, tokens_in=tokens_in, tokens_out=tokens_out, cost=cost,
                               model=self._reply_model(reply), attempts=attempts)
            # A malformed verdict is re-asked once (temperature 0 rarely repeats the slip
            # when told what was wrong); a second failure is final.
            if output_repairs >= 1:
                raise JudgeError(f"judge returned unusable output: {problem}", attempts=attempts)
            output_repairs += 1
            request = self._repair_request(request, user, tool, problem)

    async def _send_with_retries(self, request: dict[str, Any], *, stream: bool | None = None,
                                 on_text: Callable[[str], Any] | None = None) -> tuple[Any, int]:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._sem:
                    return await self._send(request, stream, on_text), attempt
            except Exception as exc:  # noqa: BLE001 - classified by the provider below
                failure = self._classify(exc, request)
                if failure is None:
                    raise
                if failure.action == "adjust":
                    request = failure.request or request
                    attempt -= 1
                    continue
                if failure.action == "raise" or attempt > self.config.max_retries:
                    raise JudgeError(_describe(exc, attempt), status=failure.status,
                                     attempts=attempt) from exc
                await self._backoff(attempt, failure.wait)

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

    # -- the provider's hooks (Anthropic Messages API) -------------------------------
    @staticmethod
    def _make_client(config: JudgeConfig) -> Any:
        import anthropic

        # Our loop does the retrying; SDK retries would multiply attempts and hide waits.
        return anthropic.AsyncAnthropic(api_key=config.api_key, base_url=config.base_url,
                                        timeout=config.timeout, max_retries=0)

    def _tool_request(self, system: str, user: str, tool: ToolSpec) -> dict[str, Any]:
        cfg = self.config
        request = {
            "model": cfg.model, "max_tokens": cfg.max_tokens,
            "system": system, "messages": [{"role": "user", "content": user}],
            "tools": [tool.to_api()], "tool_choice": {"type": "tool", "name": tool.name},
        }
        if cfg.temperature is not None and self._send_temperature:
            request.update(self._temperature(cfg.temperature))
        return request

    def _text_request(self, system: str, user: str, max_tokens: int) -> dict[str, Any]:
        request = {"model": self.config.model, "max_tokens": max_tokens, "system": system,
                   "messages": [{"role": "user", "content": user}]}
        if self.config.temperature is not None and self._send_temperature:
            request.update(self._temperature(self.config.temperature))
        return request

    def _temperature(self, temperature: float) -> dict[str, Any]:
        if self._temperature_kw is None:  # inspecting the SDK's signature costs ~0.5 ms
            self._temperature_kw = _temperature_kwargs(self._client, 0.0)
        return ({"temperature": temperature} if "temperature" in self._temperature_kw
                else {"extra_body": {"temperature": temperature}})

    def _repair_request(self, request: dict[str, Any], user: str, tool: ToolSpec,
                        problem: str) -> dict[str, Any]:
        return {**request, "messages": [
            {"role": "user", "content": user + f"\n\nYour previous answer was invalid ({problem}). "
             f"Call {tool.name} once with input matching its schema exactly."}]}

    async def _send(self, request: dict[str, Any], stream: bool | None = None,
                    on_text: Callable[[str], Any] | None = None) -> Any:
        if self.config.stream if stream is None else stream:
            async with self._client.messages.stream(**request) as events:
                if on_text is not None:
                    async for event in events:
                        if getattr(event, "type", None) == "text" and event.text:
                            on_text(event.text)
                return await events.get_final_message()
        return await self._client.messages.create(**request)

    def _classify(self, exc: Exception, request: dict[str, Any]) -> _Failure | None:
        import anthropic

        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            if status == 400 and "temperature" in str(exc).lower() and _has_temperature(request):
                # Some models reject sampling parameters; judge deterministically without
                # it rather than fail every call.
                self._send_temperature = False
                return _Failure("adjust", request=_without_temperature(request))
            if status not in _RETRYABLE_STATUS:
                return _Failure("raise", status=status)
            return _Failure("retry", wait=rate_limit_wait(exc.response.headers), status=status)
        if isinstance(exc, anthropic.APIConnectionError):  # includes timeouts
            return _Failure("retry")
        return None

    def _reply_usage(self, reply: Any) -> tuple[int, int]:
        return _usage_of(reply)

    def _reply_model(self, reply: Any) -> str:
        return getattr(reply, "model", None) or self.config.model

    def _reply_tool_input(self, reply: Any, tool: ToolSpec) -> tuple[dict[str, Any], str | None]:
        return _tool_input(reply, tool)

    def _reply_text(self, reply: Any) -> str:
        return "".join(getattr(b, "text", "") for b in getattr(reply, "content", None) or []
                       if getattr(b, "type", None) == "text")


def _default_client(config: JudgeConfig) -> Any:
    """The Anthropic client of a Judge (kept for callers that build one themselves)."""
    return Judge._make_client(config)
