"""A generated report: its Markdown, what it covered, its thoughts, and its export."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..copilot.answer import Step, safe_markdown


@dataclass
class Report:
    """``text`` is the report in Markdown. ``issues_analyzed`` and ``metrics_covered``
    describe what it was written from; ``insights`` the cross-metric patterns and learnings
    when the pattern pipeline is available (else ``None``); ``thoughts`` the steps streamed
    while it was made."""

    dataset: str
    kind: str
    mode: str
    text: str = ""
    issues_analyzed: int = 0
    metrics_covered: list[str] = field(default_factory=list)
    records: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    insights: dict[str, Any] | None = None
    thoughts: list[Step] = field(default_factory=list)
    model: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    created: str = ""

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return safe_markdown(self.text) or "_(empty report)_"

    @property
    def words(self) -> int:
        return len(self.text.split())

    def stats(self) -> dict[str, Any]:
        """Issues analysed, metrics covered, report length and patterns found."""
        patterns = len((self.insights or {}).get("patterns") or [])
        return {"issues_analyzed": self.issues_analyzed,
                "metrics_covered": len(self.metrics_covered), "words": self.words,
                "characters": len(self.text), "patterns_found": patterns}

    # -- export ---------------------------------------------------------------------------------
    def to_markdown(self) -> str:
        """The report as a Markdown file: a title, what it covers, the text."""
        p = self.params
        head = [f"# {self.kind.capitalize()} report: {self.dataset}", "",
                f"*{self.mode}-scoring issues (threshold {p.get('threshold')}), "
                f"{self.issues_analyzed} issues across {len(self.metrics_covered)} metrics"
                + (f", {self.created}" if self.created else "") + "*", ""]
        body = [self.text.strip(), ""]
        patterns = (self.insights or {}).get("patterns") or []
        if patterns:
            body += ["## Insight patterns", ""]
            for pat in patterns:
                cross = " (cross-metric)" if pat.get("is_cross_metric") else ""
                body.append(f"- **{pat.get('category')}**{cross}: {pat.get('description', '')} "
                            f"— {pat.get('count', 0)} issues, metrics: "
                            f"{', '.join(pat.get('metrics_involved') or [])}")
            body.append("")
        return "\n".join(head + body)

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_markdown` to ``path`` (``.md`` added when it has no suffix)."""
        out = Path(path).expanduser()
        if not out.suffix:
            out = out.with_suffix(".md")
        out.write_text(self.to_markdown(), encoding="utf-8")
        return out

    # -- serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "kind": self.kind, "mode": self.mode, "text": self.text,
                "issues_analyzed": self.issues_analyzed, "metrics_covered": self.metrics_covered,
                "records": self.records, "params": self.params, "insights": self.insights,
                "thoughts": [t.to_dict() for t in self.thoughts], "model": self.model,
                "tokens_in": self.tokens_in, "tokens_out": self.tokens_out, "cost": self.cost,
                "created": self.created, "stats": self.stats()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        fields_ = {k: d[k] for k in ("dataset", "kind", "mode", "text", "issues_analyzed",
                                     "metrics_covered", "records", "params", "insights", "model",
                                     "tokens_in", "tokens_out", "cost", "created") if k in d}
        return cls(**fields_, thoughts=[Step.from_dict(t) for t in d.get("thoughts") or []])
