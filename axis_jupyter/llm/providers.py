"""Which LLM provider and model a judge (or a ``prompt`` agent) uses, and building it.

Resolution, first match wins, for each of provider and model:

1. given for one metric (``{"key": "faithfulness", "provider": "openai", "model": "gpt-4o"}``),
2. given for the run (``axis.evaluate(..., provider="openai", model="gpt-4o-mini")``),
3. the environment: ``AXIS_JUDGE_PROVIDER`` (anthropic | openai | azure) and
   ``AXIS_JUDGE_MODEL``,
4. the config file ``judge.yaml`` in the AXIS config folder (``~/.axis/config``):
   ``provider: openai`` and ``model: gpt-4o-mini`` (the model applies to that provider),
5. the provider whose key is set (Anthropic first), else anthropic; the provider's default
   model (:data:`DEFAULT_MODELS`).

Keys and endpoints come from the environment only, read when a judge is built:

| provider  | key                    | endpoint                                             |
|-----------|------------------------|------------------------------------------------------|
| anthropic | ``ANTHROPIC_API_KEY``  | ``ANTHROPIC_BASE_URL`` (a proxy)                     |
| openai    | ``OPENAI_API_KEY``     | ``OPENAI_BASE_URL`` (vLLM, Ollama: ``http://host:11434/v1``) |
| azure     | ``AZURE_OPENAI_API_KEY`` | ``AZURE_OPENAI_ENDPOINT`` + ``OPENAI_API_VERSION``; the model is the deployment |

A local server that needs no key still needs ``OPENAI_API_KEY`` set to something, so a run
never starts half-configured. Without a key :func:`check_configured` raises
``LLMNotConfigured`` naming the variable, before any work.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from .common import (DEFAULT_AZURE_API_VERSION, DEFAULT_MODELS, PROVIDERS, LLMError,  # noqa: F401
                     LLMNotConfigured, not_configured_message)
from .judge import Judge, JudgeConfig

_KEYS = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY", "azure": "AZURE_OPENAI_API_KEY"}


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def check_provider(provider: Any, where: str = "provider") -> str:
    """The provider name, or ``ParameterError``-style refusal naming the choices."""
    if provider not in PROVIDERS:
        raise LLMError(f"{where} must be one of {', '.join(PROVIDERS)}, not {provider!r}.")
    return provider


CONFIG_FILE = "judge.yaml"


def file_settings() -> dict[str, str]:
    """``provider`` and ``model`` from ``judge.yaml`` in the config folder ({} without one).
    Read on every resolution (cheap) so an edit applies to the next run."""
    from .. import config

    path = config.config_dir() / CONFIG_FILE
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise LLMError(f"{CONFIG_FILE} (AXIS config folder) is not readable YAML; expected "
                       "'provider: openai' and 'model: <name>'.") from None
    if not isinstance(data, dict):
        raise LLMError(f"{CONFIG_FILE} must be a mapping with 'provider' and/or 'model'.")
    out: dict[str, str] = {}
    if data.get("provider"):
        out["provider"] = check_provider(str(data["provider"]).strip().lower(), f"{CONFIG_FILE} provider")
    if data.get("model"):
        out["model"] = str(data["model"])
    return out


def env_provider(env: Mapping[str, str] | None = None) -> str:
    """The provider the environment or the config file selects (see the module docstring)."""
    env = _env(env)
    chosen = (env.get("AXIS_JUDGE_PROVIDER") or "").strip().lower()
    if chosen:
        return check_provider(chosen, "AXIS_JUDGE_PROVIDER")
    chosen = file_settings().get("provider")
    if chosen:
        return chosen
    for name in PROVIDERS:
        if env.get(_KEYS[name]):
            return name
    return "anthropic"


def resolve(provider: str | None = None, model: str | None = None,
            env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(provider, model) after the resolution order above."""
    env = _env(env)
    from_env = env_provider(env)
    provider = check_provider(provider) if provider else from_env
    if not model and provider == from_env:
        # AXIS_JUDGE_MODEL (else judge.yaml's model) names a model of the provider the
        # environment (or the file) selects, not of another one.
        saved = file_settings()
        model = env.get("AXIS_JUDGE_MODEL") or (
            saved.get("model") if saved.get("provider", from_env) == provider else None)
    model = model or DEFAULT_MODELS[provider]
    return provider, str(model)


def judge_config(provider: str | None = None, model: str | None = None, *,
                 env: Mapping[str, str] | None = None, **overrides: Any):
    """The JudgeConfig of ``provider``/``model`` from the environment (no key check)."""
    env = _env(env)
    provider, model = resolve(provider, model, env)
    values: dict[str, Any] = {"provider": provider, "model": model,
                              "api_key": env.get(_KEYS[provider]) or None,
                              "cache_path": env.get("AXIS_JUDGE_CACHE") or None}
    if provider == "anthropic":
        values["base_url"] = env.get("ANTHROPIC_BASE_URL") or None
    elif provider == "openai":
        values["base_url"] = env.get("OPENAI_BASE_URL") or None
    else:
        values["base_url"] = env.get("AZURE_OPENAI_ENDPOINT") or None
        values["api_version"] = env.get("OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION
    values.update({k: v for k, v in overrides.items() if v is not None})
    return JudgeConfig(**values)


def check_configured(provider: str | None = None, model: str | None = None,
                     env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(provider, model), or ``LLMNotConfigured`` naming the missing variable."""
    cfg = judge_config(provider, model, env=env)
    if not cfg.api_key:
        raise LLMNotConfigured(not_configured_message(cfg.provider))
    if cfg.provider == "azure" and not cfg.base_url:
        raise LLMNotConfigured(not_configured_message("azure"))
    return cfg.provider, cfg.model


def judge_class(provider: str):
    if provider == "anthropic":
        return Judge
    from .openai_compat import OpenAIJudge

    return OpenAIJudge


def build_judge(provider: str | None = None, model: str | None = None, *, cache: Any = None,
                concurrency: int | None = None, **overrides: Any):
    """A Judge for ``provider``/``model`` (``LLMNotConfigured`` without a key).
    ``cache``: a JudgeCache to share (default: a new in-memory one, or ``AXIS_JUDGE_CACHE``)."""
    if concurrency is not None:
        overrides["max_concurrency"] = max(1, int(concurrency))
    cfg = judge_config(provider, model, **overrides)
    cls = judge_class(cfg.provider)
    if not cfg.api_key or (cfg.provider == "azure" and not cfg.base_url):
        raise LLMNotConfigured(not_configured_message(cfg.provider))
    return cls(cfg, cache=cache)


def configured(env: Mapping[str, str] | None = None, provider: str | None = None) -> bool:
    """True when a judge can be built for ``provider`` (default: the one the environment
    selects) — a key is present. A real check, not a guess."""
    try:
        return bool(judge_config(provider, env=env).api_key)
    except LLMError:
        return False
