"""What one question may spend: tool calls, tokens and dollars.

Defaults are generous for a real question and small enough that a model stuck in a loop
stops within seconds; each has an environment variable (``AXIS_COPILOT_MAX_TOOL_CALLS``,
``AXIS_COPILOT_MAX_TOKENS``, ``AXIS_COPILOT_MAX_COST``) and a ``budget=`` argument.
When one runs out the copilot stops and says which one, in the answer itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import ParameterError

DEFAULT_TOOL_CALLS = 12
DEFAULT_TOKENS = 200_000
DEFAULT_COST = 1.0
MAX_TURNS = 24  # model requests per question, whatever the other limits say


@dataclass(frozen=True)
class Budget:
    """Limits of one question. ``cost`` in USD (``None``: no limit; it only counts when
    the model's price is known)."""

    tool_calls: int = DEFAULT_TOOL_CALLS
    tokens: int = DEFAULT_TOKENS
    cost: float | None = DEFAULT_COST

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Budget":
        env = os.environ if env is None else env
        return cls(tool_calls=_int(env, "AXIS_COPILOT_MAX_TOOL_CALLS", DEFAULT_TOOL_CALLS),
                   tokens=_int(env, "AXIS_COPILOT_MAX_TOKENS", DEFAULT_TOKENS),
                   cost=_float(env, "AXIS_COPILOT_MAX_COST", DEFAULT_COST))

    @classmethod
    def coerce(cls, value: Any) -> "Budget":
        """``None`` (the environment's), a Budget, or a dict of some of its fields."""
        if value is None:
            return cls.from_env()
        if isinstance(value, Budget):
            return value
        if isinstance(value, dict):
            base = cls.from_env()
            unknown = set(value) - {"tool_calls", "tokens", "cost"}
            if unknown:
                raise ParameterError(f"budget has no field {sorted(unknown)[0]!r} (fields: "
                                     "tool_calls, tokens, cost).", param="budget")
            fields = {**base.__dict__, **value}
            for key in ("tool_calls", "tokens"):
                v = fields[key]
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise ParameterError(f"budget.{key} must be a positive integer.",
                                         param=f"budget.{key}")
            c = fields["cost"]
            if c is not None and (isinstance(c, bool) or not isinstance(c, (int, float)) or c <= 0):
                raise ParameterError("budget.cost must be a positive number of dollars or "
                                     "null.", param="budget.cost")
            return cls(**fields)
        raise ParameterError("budget must be an object {tool_calls, tokens, cost}.", param="budget")


@dataclass
class Spend:
    """What a question has used so far."""

    tool_calls: int = 0
    tokens: int = 0
    cost: float = 0.0
    requests: int = 0

    def exhausted(self, budget: Budget) -> str | None:
        """A sentence naming the first limit reached, or None."""
        if self.tokens >= budget.tokens:
            return (f"this question used its budget of {budget.tokens:,} tokens "
                    "(AXIS_COPILOT_MAX_TOKENS)")
        if budget.cost is not None and self.cost >= budget.cost:
            return f"this question used its budget of ${budget.cost:.2f} (AXIS_COPILOT_MAX_COST)"
        if self.requests >= MAX_TURNS:
            return f"this question took {MAX_TURNS} model turns, the most one question may take"
        return None

    def calls_left(self, budget: Budget) -> int:
        return max(0, budget.tool_calls - self.tool_calls)


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    try:
        return max(1, int(env.get(key) or default))
    except ValueError:
        return default


def _float(env: Mapping[str, str], key: str, default: float) -> float | None:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    if raw.strip().lower() in ("none", "0", "off"):
        return None
    try:
        return float(raw)
    except ValueError:
        return default
