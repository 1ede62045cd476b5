"""The metric interface: what every metric declares and what it returns.

A metric is a small class with declarative attributes (so the catalogue can be listed
without instantiating or calling anything) and one coroutine, ``score(item, ctx)``.
Heuristic metrics additionally get a synchronous ``compute`` and a batch path so a
runner can score large frames without touching the event loop per row.

Scores are floats in ``score_range`` or ``None``; ``None`` means "could not compute"
and is stored as NaN downstream. We never use NaN inside results because NaN is truthy
and silently poisons ``score or 0.0`` style code (a defect seen in the reference system).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Sequence

from ..errors import AxisError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from axis_jupyter.llm import Judge


class EvalError(AxisError):
    """Base class for errors raised by the evaluation layer."""


class MetricNotFound(EvalError, KeyError):
    """A metric key is not in the registry."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "metric not found"


class MissingFields(EvalError):
    """An item lacks a field the metric requires."""

    def __init__(self, metric_key: str, missing: Sequence[str]):
        self.metric_key = metric_key
        self.missing = list(missing)
        super().__init__(
            f"{metric_key}: missing required field(s) {', '.join(self.missing)}; "
            "map them with mapping={'<field>': '<your column>'}"
        )


class MetricConfigError(EvalError):
    """A metric definition (YAML, tree, parameters) is invalid."""


@dataclass(slots=True)
class Signal:
    """One explainable sub-value of a score (a claim verdict, a per-k hit, a PII hit)."""

    group: str
    name: str
    value: Any
    score: float | None = None
    headline: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "value": self.value,
            "score": self.score,
            "headline": self.headline,
        }


@dataclass(slots=True)
class MetricResult:
    """What one metric says about one item.

    ``error`` is set (and ``score`` is None) when the metric failed; the runner turns
    that into a row whose explanation is the error text instead of aborting the run.
    """

    score: float | None
    explanation: str = ""
    signals: list[Signal] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    cost: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    error: str | None = None

    @classmethod
    def failed(cls, error: BaseException | str, **metadata: Any) -> "MetricResult":
        if isinstance(error, str):
            text = error
        elif isinstance(error, EvalError):  # our own errors are already worded for people
            text = str(error)
        else:
            text = f"{type(error).__name__}: {error}"
        return cls(score=None, explanation=text, error=text, metadata=dict(metadata))

    def signals_as_dicts(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.signals]


@dataclass(slots=True)
class MetricContext:
    """Per-(item, metric) context handed to ``Metric.score``.

    ``shared`` is one dict per item, shared by all metrics scoring that item, so sibling
    LLM metrics (e.g. faithfulness and answer_relevancy both extract claims) can reuse
    expensive steps. ``judge`` is None for heuristic metrics or when no key is set.
    """

    judge: "Judge | None" = None
    shared: dict[str, Any] = field(default_factory=dict)
    threshold: float | None = None
    config: dict[str, Any] = field(default_factory=dict)


class Metric:
    """Base class. Subclasses set the class attributes and implement ``score``.

    Parameters given to ``__init__`` become the metric's config (e.g. ``casefold=True``);
    they are part of the cache identity of LLM metrics via ``config_fingerprint``.
    """

    key: ClassVar[str] = ""
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    required_fields: ClassVar[tuple[str, ...]] = ()
    optional_fields: ClassVar[tuple[str, ...]] = ()
    tags: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[str] = "1"
    needs_llm: ClassVar[bool] = False
    # Instance-overridable: a latency metric normalised to 0-1 flips direction/range.
    score_range: tuple[float, float] = (0.0, 1.0)
    default_threshold: float = 0.5
    higher_is_better: bool = True

    def __init__(self, **params: Any):
        self.params = dict(params)
        if "threshold" in self.params:
            self.default_threshold = float(self.params.pop("threshold"))

    # -- the contract --------------------------------------------------------------
    async def score(self, item: Mapping[str, Any], ctx: MetricContext) -> MetricResult:
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------
    def missing_fields(self, item: Mapping[str, Any]) -> list[str]:
        return [f for f in self.required_fields if is_missing(item.get(f))]

    def check_fields(self, item: Mapping[str, Any]) -> None:
        missing = self.missing_fields(item)
        if missing:
            raise MissingFields(self.key, missing)

    def passed(self, score: float | None, threshold: float | None = None) -> bool | None:
        """Direction-aware pass: lower-is-better metrics pass strictly below threshold."""
        if score is None:
            return None
        t = self.default_threshold if threshold is None else threshold
        return score >= t if self.higher_is_better else score < t

    def config_fingerprint(self) -> str:
        """Stable text of the parameters; changes invalidate cached LLM verdicts."""
        import json

        return json.dumps(self.params, sort_keys=True, default=str)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"<{type(self).__name__} {self.key}({args})>"


def is_missing(value: Any) -> bool:
    """True for None, NaN, empty strings and empty containers (how CSV gaps arrive)."""
    if value is None:
        return True
    if isinstance(value, str):  # the common case first: this runs once per cell
        return not value or value.isspace()
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, (list, tuple, dict, set)):
        return len(value) == 0
    try:  # numpy arrays / pandas NA without importing them here
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    if hasattr(value, "__len__") and not isinstance(value, (bytes, bytearray)):
        try:
            return len(value) == 0
        except TypeError:
            return False
    return False


class HeuristicMetric(Metric):
    """A deterministic metric: pure functions of item fields, no LLM, no I/O.

    Subclasses implement ``compute(item) -> MetricResult`` (full detail) and may
    override ``score_columns`` with a vectorised fast path returning scores only.
    """

    needs_llm: ClassVar[bool] = False

    def compute(self, item: Mapping[str, Any]) -> MetricResult:
        raise NotImplementedError

    async def score(self, item: Mapping[str, Any], ctx: MetricContext) -> MetricResult:
        self.check_fields(item)
        return self.compute(item)

    def score_batch(self, items: Sequence[Mapping[str, Any]]) -> list[MetricResult]:
        """Score many items synchronously; a bad item yields a failed result, not a raise."""
        out: list[MetricResult] = []
        for item in items:
            try:
                self.check_fields(item)
                out.append(self.compute(item))
            except Exception as exc:  # one bad row must not abort a batch
                out.append(MetricResult.failed(exc))
        return out

    def score_columns(self, columns: Mapping[str, Sequence[Any]], n: int) -> list[float | None]:
        """Scores only, from column sequences of length ``n`` (None where it failed).

        The default walks rows through ``compute``; string metrics override this with
        loops that avoid building per-row dicts and result objects.
        """
        names = [f for f in (*self.required_fields, *self.optional_fields) if f in columns]
        cols = [columns[f] for f in names]
        scores: list[float | None] = []
        for values in zip(*cols) if cols else ([()] * n):
            item = dict(zip(names, values))
            if self.missing_fields(item):
                scores.append(None)
                continue
            try:
                scores.append(self.compute(item).score)
            except Exception:
                scores.append(None)
        return scores
