"""What clustering produces, whichever method made it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Cluster:
    """A group of notes that say the same kind of thing.

    ``category``: a short name; ``description``: one line; ``record_ids``: the ids of its
    notes (in the sample's order); ``examples``: up to three note texts (each at most 100 characters);
    ``keywords``: the terms that set it apart (local method); ``confidence``: 0-1, how tight
    the group is (local: mean cosine similarity to its centre; LLM: not given, None).
    """

    category: str
    description: str
    record_ids: list[str]
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    confidence: float | None = None
    method: str = "local"

    @property
    def count(self) -> int:
        return len(self.record_ids)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["count"] = self.count
        return d


def excerpt(text: str, limit: int) -> str:
    """``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def examples_of(texts: list[str], n: int = 3, limit: int = 100) -> list[str]:
    return [excerpt(t, limit) for t in texts[:n]]
