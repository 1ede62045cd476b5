"""What an agent connection is, checked before a run starts (``axis.evaluate(..., agent=)``).

Two modes fill empty outputs before scoring (reference: upstream-backend.md §6):

``api``     POST (or PUT) ``url`` with ``body``, a JSON template where ``{{query}}`` (or any
            item field, e.g. ``{{dataset_id}}``) is substituted; the answer is read at
            ``answer_path``, a dot path with array indices (``choices.0.message.content``,
            ``$.data[0].text`` and ``.response`` work too). A text reply is the answer as is.
            ``headers`` are sent as given; ``headers_env`` maps a header to the environment
            variable holding its value (``{"Authorization": "AXIS_AGENT_TOKEN"}``; the value
            may be ``"Bearer ${AXIS_AGENT_TOKEN}"`` to wrap it).
``prompt``  an LLM answers: ``system_prompt`` plus ``prompt_template`` with ``{{query}}``
            substituted, through the judge providers (``provider``, ``model``).

Substitution is JSON-safe: the template is parsed first and placeholders are replaced
inside the parsed strings, so a query holding quotes, backslashes or newlines can never
break the JSON or add fields. A string that is exactly ``"{{field}}"`` takes the field's
value as is (a list stays a list).

Which variables ``headers_env`` may read (the sync sources' rule, with an agent's own
allow-list): a name matching ``AXIS_AGENT_*`` or a pattern of the process's
``AXIS_AGENT_ENV_ALLOW`` (comma-separated), and never one of :data:`NEVER` — the server's
own tokens, the LLM keys and database passwords — whatever the allow-list says. A run
started over HTTP is sent from the Jupyter server, so without this rule anyone allowed to
start runs could send those secrets to a host of their choosing.

Where the agent is reached from: the process that runs the evaluation — the Jupyter server
for ``POST evals/runs``, the runner view and kernels of a server. URLs must be http(s);
link-local and cloud metadata addresses (``169.254.0.0/16``, ``fe80::/10``,
``metadata.google.internal``, …) are refused, and redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Mapping
from urllib.parse import urlsplit

from .base import EvalError

MODES = ("api", "prompt")
DEFAULT_ALLOW = ("AXIS_AGENT_*",)
ALLOW_VAR = "AXIS_AGENT_ENV_ALLOW"
NEVER = ("AXIS_SERVER_*", "JUPYTER_*", "JUPYTERHUB_*", "JPY_*", "ANTHROPIC_*", "OPENAI_*",
         "AZURE_OPENAI_*", "AXIS_SOURCE_*", "*_PASSWORD", "PG*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_WRAPPED_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_FORBIDDEN_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}
METADATA_HOSTS = {"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                  "instance-data.ec2.internal"}
_KEYS = {"mode", "url", "method", "body", "answer_path", "headers", "headers_env", "timeout",
         "retries", "backoff", "retry_after_max", "system_prompt", "prompt_template", "provider",
         "model", "max_tokens"}
# The reference's names for the same settings.
_ALIASES = {"endpoint_url": "url", "request_template": "body", "response_path": "answer_path",
            "user_prompt_template": "prompt_template", "type": "mode", "model_name": "model",
            "llm_provider": "provider"}


class AgentConfigError(EvalError):
    """An agent setting is invalid; the message names it (``agent.url: ...``)."""


@dataclass
class AgentConfig:
    mode: str = "api"
    url: str | None = None
    method: str = "POST"
    body: Any = field(default_factory=lambda: {"query": "{{query}}"})
    answer_path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    headers_env: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.5
    retry_after_max: float = 30.0
    system_prompt: str = "You are a helpful assistant."
    prompt_template: str = "{{query}}"
    provider: str | None = None
    model: str | None = None
    max_tokens: int = 1024

    @classmethod
    def parse(cls, spec: "AgentConfig | Mapping[str, Any] | None", *, resolve_host: bool = True
              ) -> "AgentConfig | None":
        """A checked AgentConfig from a dict (or None for no agent). Raises
        ``AgentConfigError`` naming the setting at fault."""
        if spec is None or isinstance(spec, AgentConfig):
            if spec is not None:
                spec.check(resolve_host=resolve_host)
            return spec
        if not isinstance(spec, Mapping):
            raise AgentConfigError("agent must be an object {url, body, answer_path, headers_env, ...}.")
        values: dict[str, Any] = {}
        for key, value in spec.items():
            name = _ALIASES.get(key, key)
            if name not in _KEYS:
                raise AgentConfigError(f"agent.{key}: unknown setting; use {', '.join(sorted(_KEYS))}.")
            values[name] = value
        if values.get("mode") == "none":
            return None
        if "body" in values and isinstance(values["body"], str):
            values["body"] = _parse_body_text(values["body"])
        cfg = cls(**{k: v for k, v in values.items() if v is not None})
        cfg.check(resolve_host=resolve_host)
        return cfg

    # -- checks ----------------------------------------------------------------------
    def check(self, *, resolve_host: bool = True) -> None:
        if self.mode not in MODES:
            raise AgentConfigError(f"agent.mode must be api or prompt, not {self.mode!r}.")
        self.timeout = _number(self.timeout, "timeout", 0.1, 600)
        self.retries = int(_number(self.retries, "retries", 0, 10))
        self.backoff = _number(self.backoff, "backoff", 0, 60)
        self.retry_after_max = _number(self.retry_after_max, "retry_after_max", 0, 600)
        self.max_tokens = int(_number(self.max_tokens, "max_tokens", 1, 100_000))
        if self.mode == "prompt":
            for name in ("system_prompt", "prompt_template"):
                if not isinstance(getattr(self, name), str):
                    raise AgentConfigError(f"agent.{name} must be text.")
            _check_placeholders(self.prompt_template, "prompt_template")
            return
        if not isinstance(self.url, str) or not self.url.strip():
            raise AgentConfigError("agent.url is required for an api agent (http:// or https://).")
        self.url = self.url.strip()
        check_url(self.url, resolve_host=resolve_host)
        self.method = str(self.method).upper()
        if self.method not in ("POST", "PUT"):
            raise AgentConfigError("agent.method must be POST or PUT.")
        if not isinstance(self.answer_path, str):
            raise AgentConfigError("agent.answer_path must be a dot path such as choices.0.message.content.")
        parse_path(self.answer_path)
        _check_placeholders(self.body, "body")
        for label, mapping in (("headers", self.headers), ("headers_env", self.headers_env)):
            if not isinstance(mapping, Mapping):
                raise AgentConfigError(f"agent.{label} must be an object {{header: value}}.")
            for k, v in mapping.items():
                if not isinstance(k, str) or not _HEADER_NAME.fullmatch(k) or k.lower() in _FORBIDDEN_HEADERS:
                    raise AgentConfigError(f"agent.{label}: {k!r} is not a header the agent may be sent.")
                if not isinstance(v, str) or "\n" in v or "\r" in v:
                    raise AgentConfigError(f"agent.{label}.{k} must be one line of text.")
        for header, ref in self.headers_env.items():
            for name in env_names(ref):
                why = env_refusal(name)
                if why:
                    raise AgentConfigError(f"agent.headers_env.{header} {why}")

    def public(self) -> dict[str, Any]:
        """The settings without secrets: literal header values are replaced by ``***``
        (``headers_env`` names variables, not values, so it stays)."""
        out = {k: getattr(self, k) for k in sorted(_KEYS)}
        out["headers"] = {k: "***" for k in self.headers}
        if self.mode == "prompt":
            for k in ("url", "method", "body", "answer_path", "headers", "headers_env"):
                out.pop(k, None)
        else:
            for k in ("system_prompt", "prompt_template", "provider", "model", "max_tokens"):
                out.pop(k, None)
        return out

    def resolved_headers(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The headers to send: literal ones, then those read from the environment now.
        A variable that is not set is an error naming it (never an empty header)."""
        env = os.environ if env is None else env
        out = dict(self.headers)
        for header, ref in self.headers_env.items():
            names = env_names(ref)
            for name in names:
                if env.get(name) is None:
                    raise AgentConfigError(f"agent.headers_env.{header}: environment variable {name} "
                                           "is not set where the run executes.")
            out[header] = (env[ref] if names == [ref] else
                           _WRAPPED_ENV.sub(lambda m: env[m.group(1)], ref))
        return out


def _number(value: Any, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool):
        raise AgentConfigError(f"agent.{name} must be a number from {lo:g} to {hi:g}.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise AgentConfigError(f"agent.{name} must be a number from {lo:g} to {hi:g}, not {value!r}.") from None
    if not lo <= v <= hi:
        raise AgentConfigError(f"agent.{name} must be a number from {lo:g} to {hi:g}, not {value!r}.")
    return v


# ------------------------------------------------------------------ environment variables
def env_names(ref: str) -> list[str]:
    """The variables a ``headers_env`` value names: ``VAR``, or each ``${VAR}`` in it."""
    if isinstance(ref, str) and _ENV_NAME.fullmatch(ref):
        return [ref]
    names = _WRAPPED_ENV.findall(ref) if isinstance(ref, str) else []
    if not names:
        raise AgentConfigError(f"agent.headers_env: {ref!r} must name an environment variable "
                               "(AXIS_AGENT_TOKEN) or wrap one (Bearer ${AXIS_AGENT_TOKEN}).")
    return names


def allow_patterns() -> tuple[str, ...]:
    extra = [p.strip() for p in os.environ.get(ALLOW_VAR, "").split(",") if p.strip()]
    return DEFAULT_ALLOW + tuple(extra)


def env_refusal(name: str) -> str | None:
    """Why an agent header may not read variable ``name`` (a phrase), or None."""
    if any(fnmatchcase(name, p) for p in NEVER):
        return (f"names {name}, a secret of this process that agents may not be sent "
                f"({', '.join(NEVER)}); put the agent's token in AXIS_AGENT_<NAME>.")
    allow = allow_patterns()
    if not any(fnmatchcase(name, p) for p in allow):
        return (f"names {name}, which agent headers may not read: use a variable matching "
                f"{', '.join(allow)} (the process's {ALLOW_VAR} can allow more patterns).")
    return None


# ------------------------------------------------------------------ where the agent is
def _bad_address(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_link_local or ip.is_unspecified or ip.is_multicast or str(ip) == "fd00:ec2::254"


def check_url(url: str, *, resolve_host: bool = True) -> None:
    """Refuse what no agent should be: not http(s), credentials in the URL, link-local or
    metadata hosts (also when a name resolves to one)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AgentConfigError(f"agent.url must be an http:// or https:// URL with a host, not {url!r}.")
    if parts.username or parts.password:
        raise AgentConfigError("agent.url may not carry a user or password; send credentials in "
                               "headers_env instead.")
    host = parts.hostname.lower().rstrip(".")
    refused = AgentConfigError(f"agent.url: {host} is a link-local or cloud metadata address; "
                               "agents cannot be reached there.")
    if host in METADATA_HOSTS or _bad_address(host):
        raise refused
    if resolve_host:
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                       proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return  # unknown now: each call then fails as a warning on its item
        if any(_bad_address(info[4][0]) for info in infos):
            raise refused


# ------------------------------------------------------------------ templates
def _parse_body_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise AgentConfigError("agent.body must be JSON with placeholders inside strings, e.g. "
                               '{"messages": [{"role": "user", "content": "{{query}}"}]}.') from None


def _placeholders(template: Any) -> set[str]:
    if isinstance(template, str):
        return set(_PLACEHOLDER.findall(template))
    if isinstance(template, Mapping):
        return set().union(*(_placeholders(v) for v in template.values())) if template else set()
    if isinstance(template, (list, tuple)):
        return set().union(*(_placeholders(v) for v in template)) if template else set()
    return set()


def _check_placeholders(template: Any, name: str) -> None:
    from .fields import FIELD_PATTERNS

    try:
        json.dumps(template)
    except (TypeError, ValueError):
        raise AgentConfigError(f"agent.{name} must be JSON data (objects, lists, text, numbers).") from None
    unknown = sorted(_placeholders(template) - set(FIELD_PATTERNS))
    if unknown:
        raise AgentConfigError(f"agent.{name}: unknown placeholder(s) {', '.join('{{%s}}' % u for u in unknown)}; "
                               f"use item fields such as {{{{query}}}} or {{{{dataset_id}}}}.")


def render(template: Any, item: Mapping[str, Any]) -> Any:
    """The template with item fields substituted inside its strings (JSON-safe)."""
    from .fields import as_text

    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template.strip())
        if whole:
            value = item.get(whole.group(1))
            return value if isinstance(value, (list, dict)) else as_text(value)
        return _PLACEHOLDER.sub(lambda m: as_text(item.get(m.group(1))), template)
    if isinstance(template, Mapping):
        return {k: render(v, item) for k, v in template.items()}
    if isinstance(template, (list, tuple)):
        return [render(v, item) for v in template]
    return template


# ------------------------------------------------------------------ answer paths
def parse_path(path: str) -> list[str | int]:
    """``choices.0.message.content`` / ``$.choices[0].message.content`` -> segments."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    text = re.sub(r"\[(-?\d+)\]", r".\1", text).strip(".")
    if not text:
        return []
    out: list[str | int] = []
    for seg in text.split("."):
        if seg == "":
            raise AgentConfigError(f"agent.answer_path {path!r} has an empty segment.")
        out.append(int(seg) if re.fullmatch(r"-?\d+", seg) else seg)
    return out


def extract(data: Any, path: str) -> Any:
    """The value at ``path``; a ``LookupError`` says where the path stopped."""
    value, walked = data, "$"
    for seg in parse_path(path):
        if isinstance(value, list) and isinstance(seg, int):
            if not -len(value) <= seg < len(value):
                raise LookupError(f"{walked} has {len(value)} item(s), no index {seg}")
            value = value[seg]
        elif isinstance(value, dict) and str(seg) in value:
            value = value[str(seg)]
        elif isinstance(value, dict):
            keys = ", ".join(list(map(str, value))[:8])
            raise LookupError(f"{walked} has no key {seg!r} (keys: {keys})")
        else:
            raise LookupError(f"{walked} is {type(value).__name__ if value is not None else 'null'}, "
                              f"not a list or object")
        walked += f".{seg}"
    return value
