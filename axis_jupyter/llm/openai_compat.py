"""The judge on OpenAI's Chat Completions API: OpenAI, Azure OpenAI, and compatible servers
(vLLM, Ollama, LiteLLM proxies) reached by base URL, through the ``openai`` SDK.

Structured output is a forced function call: the verdict schema is the function's
``parameters`` and ``tool_choice`` names it, which every compatible server that supports
tools honours (``response_format`` JSON schemas are not as widely served). Replies come
whole or streamed (``JudgeConfig.stream``: the function's arguments arrive as deltas that
are joined). Retries, backoff, the verdict cache and the accounting are the Judge's own;
this module only says how to ask and how to read the answer. Rate limits are honoured from
``retry-after`` and, failing that, the ``x-ratelimit-reset-*`` headers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .common import LLMError, not_configured_message, rate_limit_wait
from .judge import _RETRYABLE_STATUS, Judge, JudgeConfig, ToolSpec, _Failure
from .messages import check_tool_input


@dataclass
class _Reply:
    """One chat completion, whole or joined from a stream."""

    model: str = ""
    text: str = ""
    tool_calls: list[dict[str, str]] = field(default_factory=list)
    finish_reason: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0


class OpenAIJudge(Judge):
    """The Judge interface over Chat Completions (provider ``openai`` or ``azure``)."""

    provider = "openai"

    def __init__(self, config: JudgeConfig, **kw: Any):
        """``config``: from :func:`axis_jupyter.llm.providers.judge_config` (``"openai"`` or
        ``"azure"``), or built by hand."""
        self.provider = config.provider
        self.not_configured_message = not_configured_message(config.provider)
        super().__init__(config, **kw)
        self._token_param = "max_tokens"

    @staticmethod
    def _make_client(config: JudgeConfig) -> Any:
        import openai

        if config.provider == "azure":
            return openai.AsyncAzureOpenAI(api_key=config.api_key, azure_endpoint=config.base_url,
                                           api_version=config.api_version, timeout=config.timeout,
                                           max_retries=0)
        return openai.AsyncOpenAI(api_key=config.api_key, base_url=config.base_url,
                                  timeout=config.timeout, max_retries=0)

    # -- requests ------------------------------------------------------------------
    def _base(self, system: str, user: str, max_tokens: int) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.config.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            self._token_param: max_tokens,
        }
        if self.config.temperature is not None and self._send_temperature:
            request["temperature"] = self.config.temperature
        return request

    def _tool_request(self, system: str, user: str, tool: ToolSpec) -> dict[str, Any]:
        request = self._base(system, user, self.config.max_tokens)
        request["tools"] = [{"type": "function", "function": {
            "name": tool.name, "description": tool.description, "parameters": tool.input_schema}}]
        request["tool_choice"] = {"type": "function", "function": {"name": tool.name}}
        return request

    def _text_request(self, system: str, user: str, max_tokens: int) -> dict[str, Any]:
        return self._base(system, user, max_tokens)

    def _repair_request(self, request, user, tool, problem):
        messages = list(request["messages"])
        messages[-1] = {"role": "user", "content": user + f"\n\nYour previous answer was invalid "
                        f"({problem}). Call {tool.name} once with arguments matching its schema exactly."}
        return {**request, "messages": messages}

    async def send(self, request: dict[str, Any], **kw: Any):
        """Messages-API requests (the copilot's and reports') are Anthropic's shape."""
        raise LLMError("the copilot and AI reports use the anthropic provider; "
                       "set ANTHROPIC_API_KEY for them")

    async def _send(self, request: dict[str, Any], stream: bool | None = None,
                    on_text: Any = None) -> _Reply:
        completions = self._client.chat.completions
        if not (self.config.stream if stream is None else stream):
            return _whole(await completions.create(**request))
        stream = await completions.create(**request, stream=True,
                                          stream_options={"include_usage": True})
        reply = _Reply()
        calls: dict[int, dict[str, str]] = {}
        async for chunk in stream:
            reply.model = getattr(chunk, "model", None) or reply.model
            usage = getattr(chunk, "usage", None)
            if usage is not None:
                reply.tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
                reply.tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
            for choice in getattr(chunk, "choices", None) or []:
                delta = choice.delta
                reply.text += getattr(delta, "content", None) or ""
                for tc in getattr(delta, "tool_calls", None) or []:
                    slot = calls.setdefault(tc.index, {"name": "", "arguments": ""})
                    fn = getattr(tc, "function", None)
                    if fn is not None:
                        slot["name"] += fn.name or ""
                        slot["arguments"] += fn.arguments or ""
                reply.finish_reason = choice.finish_reason or reply.finish_reason
        reply.tool_calls = [calls[i] for i in sorted(calls)]
        return reply

    # -- failures --------------------------------------------------------------------
    def _classify(self, exc: Exception, request: dict[str, Any]) -> _Failure | None:
        import openai

        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            text = str(exc).lower()
            if status == 400 and "temperature" in text and "temperature" in request:
                self._send_temperature = False  # models that only sample at their default
                return _Failure("adjust", request={k: v for k, v in request.items() if k != "temperature"})
            if status == 400 and "max_tokens" in text and "max_tokens" in request:
                # Newer OpenAI models take max_completion_tokens; compatible servers the old name.
                self._token_param = "max_completion_tokens"
                adjusted = {k: v for k, v in request.items() if k != "max_tokens"}
                adjusted["max_completion_tokens"] = request["max_tokens"]
                return _Failure("adjust", request=adjusted)
            if status not in _RETRYABLE_STATUS:
                return _Failure("raise", status=status)
            return _Failure("retry", wait=rate_limit_wait(exc.response.headers), status=status)
        if isinstance(exc, openai.APIConnectionError):  # includes timeouts
            return _Failure("retry")
        return None

    # -- replies -----------------------------------------------------------------------
    def _reply_usage(self, reply: _Reply) -> tuple[int, int]:
        return reply.tokens_in, reply.tokens_out

    def _reply_model(self, reply: _Reply) -> str:
        return reply.model or self.config.model

    def _reply_text(self, reply: _Reply) -> str:
        return reply.text

    def _reply_tool_input(self, reply: _Reply, tool: ToolSpec):
        for call in reply.tool_calls:
            if call.get("name") == tool.name:
                return check_tool_input(call.get("arguments") or "", tool)
        if reply.text.strip().startswith("{"):
            # Some compatible servers answer a forced call with the JSON as plain content.
            return check_tool_input(reply.text.strip(), tool)
        return {}, f"no {tool.name} function call in the reply (finish_reason={reply.finish_reason})"


def _whole(completion: Any) -> _Reply:
    reply = _Reply(model=getattr(completion, "model", "") or "")
    usage = getattr(completion, "usage", None)
    if usage is not None:
        reply.tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        reply.tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
    choices = getattr(completion, "choices", None) or []
    if choices:
        message = choices[0].message
        reply.finish_reason = choices[0].finish_reason
        reply.text = getattr(message, "content", None) or ""
        for tc in getattr(message, "tool_calls", None) or []:
            fn = getattr(tc, "function", None)
            if fn is not None:
                args = fn.arguments
                reply.tool_calls.append({"name": fn.name or "",
                                         "arguments": args if isinstance(args, str) else json.dumps(args)})
    return reply
