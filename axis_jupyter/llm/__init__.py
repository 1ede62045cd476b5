"""LLM judges and the providers behind them.

:mod:`.judge` holds the provider interface and its Anthropic implementation (structured
verdicts by a forced tool, retries, the verdict cache, accounting; ``Judge.send`` for the
copilot and reports); :mod:`.openai_compat` the OpenAI-compatible one (OpenAI, Azure
OpenAI, vLLM, Ollama); :mod:`.providers` picks and builds one per run or metric from
arguments, environment and ``judge.yaml``; :mod:`.common` what they share (errors, the
cache, the verdict schema check, rate-limit headers). The names callers use are re-exported
here. Submodules import each other, never this package, so the imports stay acyclic.
"""

from .common import (DEFAULT_MODEL, NOT_CONFIGURED_MESSAGE, JudgeCache, JudgeError, LLMError,
                     LLMNotConfigured, cache_key, parse_retry_after, rate_limit_wait, schema_errors,
                     sha)
from .judge import (PRICES_PER_MTOK, Completion, Judge, JudgeConfig, Reply, ToolSpec, Usage, Verdict,
                    _default_client)
from .messages import check_tool_input
from .providers import configured

__all__ = [
    "DEFAULT_MODEL", "NOT_CONFIGURED_MESSAGE", "Completion", "Judge", "JudgeCache", "JudgeConfig",
    "JudgeError", "LLMError", "LLMNotConfigured", "PRICES_PER_MTOK", "Reply", "ToolSpec", "Usage",
    "Verdict", "_default_client", "cache_key", "check_tool_input", "configured", "parse_retry_after",
    "rate_limit_wait", "schema_errors", "sha",
]
