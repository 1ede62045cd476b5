"""What a question returns: the answer text, every query it ran, its steps and its cost.

:class:`Answer` is plain data (``to_dict``/``from_dict`` round-trip through JSON), so the
same object comes back whether the copilot ran in this process or as a job of the Jupyter
server. :meth:`Answer.code` turns the recorded queries into Python that reproduces each
number the answer quotes.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

# Thought types and their colours, as the reference's copilot and report streams use them.
THOUGHT_COLOURS = {
    "reasoning": "#3B82F6", "tool_use": "#8B5CF6", "observation": "#10B981",
    "planning": "#F59E0B", "reflection": "#6366F1", "decision": "#EC4899",
    "error": "#EF4444", "success": "#22C55E",
}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Step:
    """One thought or tool call, in the order it happened.

    ``type`` is a thought type (reasoning, tool_use, observation, planning, error, success,
    ...); a tool call has ``tool`` and its ``input`` in ``metadata`` (``sql`` for run_sql).
    ``seconds`` is how long the step took (the model's reply for reasoning, the tool's run
    for observations)."""

    id: str
    type: str
    content: str
    tool: str | None = None
    skill: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    timestamp: str = field(default_factory=now_iso)
    seconds: float = 0.0

    @property
    def color(self) -> str:
        return THOUGHT_COLOURS.get(self.type, "#6B7280")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["color"] = self.color
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Step":
        return cls(**{k: d[k] for k in ("id", "type", "content", "tool", "skill", "metadata",
                                         "timestamp", "seconds") if k in d})


@dataclass
class QueryRecord:
    """One query the copilot ran: ``kind`` is ``sql`` (``sql``) or ``analytic``
    (``dataset``, ``analytic``, ``params``). ``preview`` holds the rows the model saw
    (at most the tool's row cap) so the numbers it quoted can be traced."""

    kind: str
    tool: str
    sql: str | None = None
    dataset: str | None = None
    analytic: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    rows: int = 0
    truncated: bool = False
    seconds: float = 0.0
    error: str | None = None
    preview: list[list[Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "QueryRecord":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in known})

    def python(self, store_var: str = "axis") -> str:
        """The Python call that runs this query again."""
        if self.kind == "sql":
            return f"{store_var}.sql({_pystr(self.sql or '')})"
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"{store_var}.dataset({self.dataset!r}).analytic({self.analytic!r}{args})"


@dataclass
class Answer:
    """The copilot's answer to one question.

    ``text`` (Markdown), ``queries`` (every SQL statement and analytic call, in order),
    ``steps`` (thoughts and tool calls with timings), ``tokens_in``/``tokens_out``/``cost``
    (USD, when the model's price is known), ``stopped`` (why it stopped early: ``budget``,
    ``refusal``, ``max_tokens``, ``cancelled``; ``None`` when it finished), ``mode``
    (``llm``, or ``rules`` for the quick insights given without an API key) and the
    ``conversation`` id that follow-up questions continue. ``store``: the DuckDB file the
    answer's data is in when it is not the one ``axis_jupyter.connect()`` opens (so
    ``code()`` connects to it), else None.
    """

    question: str
    text: str = ""
    queries: list[QueryRecord] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    model: str | None = None
    mode: str = "llm"
    stopped: str | None = None
    conversation: str | None = None
    seconds: float = 0.0
    store: str | None = None  # the path code() connects to; None: connect()'s default
    _started: float = field(default_factory=time.monotonic, repr=False, compare=False)

    # -- display ------------------------------------------------------------------------
    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        calls = sum(1 for s in self.steps if s.type == "tool_use")
        foot = f"\n\n<sub>{len(self.queries)} queries, {calls} tool calls"
        if self.tokens_in or self.tokens_out:
            foot += f", {self.tokens_in + self.tokens_out:,} tokens"
        if self.cost:
            foot += f", ${self.cost:.4f}"
        foot += " — `answer.code()` reproduces the numbers</sub>"
        return (safe_markdown(self.text) or "_(no answer)_") + foot

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "text": self.text,
                "queries": [q.to_dict() for q in self.queries],
                "steps": [s.to_dict() for s in self.steps],
                "tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
                "cost": self.cost, "model": self.model, "mode": self.mode,
                "stopped": self.stopped, "conversation": self.conversation,
                "seconds": self.seconds, "store": self.store}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Answer":
        return cls(question=d.get("question", ""), text=d.get("text", ""),
                   queries=[QueryRecord.from_dict(q) for q in d.get("queries") or []],
                   steps=[Step.from_dict(s) for s in d.get("steps") or []],
                   tokens_in=int(d.get("tokens_in") or 0), tokens_out=int(d.get("tokens_out") or 0),
                   cost=float(d.get("cost") or 0.0), model=d.get("model"),
                   mode=d.get("mode") or "llm", stopped=d.get("stopped"),
                   conversation=d.get("conversation"), seconds=float(d.get("seconds") or 0.0),
                   store=d.get("store"))

    # -- reproducing the numbers -----------------------------------------------------------
    def numbers(self) -> list[str]:
        """The numbers the answer text quotes, as written (``0.82``, ``41%``, ``1,204``)."""
        return [m.group(0) for m in _NUMBER.finditer(_strip_code(self.text))]

    def code(self, store_var: str = "axis") -> str:
        """Python that re-runs every successful query of the answer, in order, each marked
        with the numbers of the answer text found in its result."""
        quoted = self.numbers()
        if self.store == ":memory:":
            opening = [f"{store_var} = axis_jupyter.connect()  # the answer's store was in "
                       "memory: use that store object instead"]
        else:
            opening = [f"{store_var} = axis_jupyter.connect({'' if self.store is None else repr(self.store)})"]
        lines = ["import axis_jupyter", "", *opening, ""]
        n = 0
        for q in self.queries:
            if q.error:
                continue
            n += 1
            found = [x for x in quoted if _in_result(x, q.preview)]
            what = q.sql.splitlines()[0][:60] if q.kind == "sql" and q.sql else \
                f"{q.analytic} on {q.dataset}"
            lines.append(f"# {n}. {q.tool}: {what}")
            if found:
                lines.append(f"#    the answer quotes {', '.join(dict.fromkeys(found))} from this result")
            lines.append(f"result_{n} = {q.python(store_var)}")
            lines.append(f"result_{n}")
            lines.append("")
        if n == 0:
            lines.append("# the answer ran no queries")
        return "\n".join(lines).rstrip() + "\n"


_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)


def safe_markdown(text: str) -> str:
    """``text`` for a notebook's Markdown renderer with no HTML left in it: every ``<``
    outside code is written ``&lt;``, so a tag quoted from a record (or made up by the
    model) shows as text instead of becoming an element (``<img onerror=…>``)."""
    parts = _CODE.split(text or "")
    return "".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|(?<![\w.])-?\d+(?:\.\d+)?%?")


def _strip_code(text: str) -> str:
    """Text without fenced code blocks (SQL in the answer is not a quoted number)."""
    return re.sub(r"```.*?```", " ", text or "", flags=re.S)


def _as_number(token: str) -> tuple[float, int, bool]:
    pct = token.endswith("%")
    raw = token.rstrip("%").replace(",", "")
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    return float(raw), decimals, pct


def _in_result(token: str, rows: list[list[Any]]) -> bool:
    """True when a value of ``rows`` rounds to the quoted number (a percentage may quote a
    fraction in 0-1)."""
    value, decimals, pct = _as_number(token)
    targets = [(value, decimals)]
    if pct:
        targets.append((value / 100, decimals + 2))
    for row in rows:
        for cell in row:
            if isinstance(cell, bool) or not isinstance(cell, (int, float)) or \
                    not math.isfinite(cell):
                continue
            for v, d in targets:
                if round(cell, d) == round(v, d) or abs(cell - v) < 0.5 * 10 ** -d:
                    return True
    return False


def _pystr(sql: str) -> str:
    if '"""' not in sql and "\\" not in sql:
        return '"""' + sql + '"""' if "\n" in sql else json.dumps(sql)
    return repr(sql)
