"""Format and operational metrics: length, latency, citations."""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

from ..base import HeuristicMetric, MetricConfigError, MetricResult, Signal, is_missing
from ..fields import as_messages, as_text, assistant_texts
from ..metric_table import metric

# ---------------------------------------------------------------------------------
# sentence splitting that does not break on "Dr. Smith" or "e.g. this"
# ---------------------------------------------------------------------------------
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "inc", "ltd", "co",
    "corp", "no", "fig", "e.g", "i.e", "u.s", "u.k", "a.m", "p.m", "approx", "dept",
}
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split on ., ! or ? followed by whitespace and a capital letter/digit, except
    after single-letter initials ("J. Smith") and common abbreviations."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences, start = [], 0
    for m in _BOUNDARY.finditer(text):
        before = text[start:m.start() + 1].rstrip(".!?\"')]")
        last_word = before.split()[-1].lower() if before.split() else ""
        if text[m.start()] == "." and (len(last_word) == 1 and last_word.isalpha()
                                       or last_word in _ABBREVIATIONS):
            continue
        sentences.append(text[start:m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


@metric
class LengthConstraint(HeuristicMetric):
    key = "length_constraint"
    name = "Length Constraint"
    description = ("1 if actual_output has at most max_chars characters and its sentence "
                   "count is within [min_sentences, max_sentences], else 0.")
    required_fields = ("actual_output",)
    tags = ("heuristic", "format")
    default_threshold = 1.0

    def __init__(self, max_chars: int | None = 2800, min_sentences: int | None = None,
                 max_sentences: int | None = None, **kw: Any):
        super().__init__(max_chars=max_chars, min_sentences=min_sentences,
                         max_sentences=max_sentences, **kw)
        self.max_chars, self.min_s, self.max_s = max_chars, min_sentences, max_sentences

    def compute(self, item: Mapping[str, Any]) -> MetricResult:
        text = as_text(item.get("actual_output"))
        chars = len(text)
        problems, signals = [], [Signal("length", "chars", chars)]
        if self.max_chars is not None and chars > self.max_chars:
            problems.append(f"{chars} chars > max {self.max_chars}")
        if self.min_s is not None or self.max_s is not None:
            n = len(split_sentences(text))
            signals.append(Signal("length", "sentences", n))
            if self.min_s is not None and n < self.min_s:
                problems.append(f"{n} sentences < min {self.min_s}")
            if self.max_s is not None and n > self.max_s:
                problems.append(f"{n} sentences > max {self.max_s}")
        ok = not problems
        return MetricResult(score=float(ok), signals=signals,
                            explanation="within limits" if ok else "; ".join(problems))


# ---------------------------------------------------------------------------------
# latency (seconds)
# ---------------------------------------------------------------------------------
_NORMALISERS = {
    # each maps x seconds and threshold T to a 0-1 "higher is better" score
    "exp": lambda x, t: math.exp(-x / t),
    "sigmoid": lambda x, t: 1.0 / (1.0 + math.exp(min(700.0, (x - t) / (t / 4)))),
    "reciprocal": lambda x, t: t / (t + x),
    "linear": lambda x, t: max(0.0, 1.0 - x / t),
}


@metric
class Latency(HeuristicMetric):
    """Raw seconds (lower is better, pass below threshold) or a 0-1 normalised score."""

    key = "latency"
    name = "Latency"
    description = ("Response latency in seconds; lower is better, passes below the threshold "
                   "(5 s). normalize=exp|sigmoid|reciprocal|linear gives a 0-1 score instead.")
    required_fields = ("latency",)
    tags = ("heuristic", "operational")
    score_range = (0.0, math.inf)
    default_threshold = 5.0
    higher_is_better = False

    def __init__(self, threshold_seconds: float = 5.0, normalize: str | None = None, **kw: Any):
        super().__init__(threshold_seconds=threshold_seconds, normalize=normalize, **kw)
        if normalize is not None and normalize not in _NORMALISERS:
            raise MetricConfigError(f"latency normalize must be one of {sorted(_NORMALISERS)}")
        if threshold_seconds <= 0:
            raise MetricConfigError("latency threshold_seconds must be > 0")
        self.t, self.normalize = float(threshold_seconds), normalize
        if normalize:
            # A normalised score is 0-1, higher is better; it passes exactly when the
            # raw latency is below T, so the threshold is the score at x = T ("linear"
            # is 0 there, so only x < T gives a score above it).
            self.score_range, self.higher_is_better = (0.0, 1.0), True
            self.default_threshold = _NORMALISERS[normalize](self.t, self.t)
            if normalize == "linear":
                self.default_threshold = 1e-12
        else:
            self.default_threshold = self.t

    def _value(self, raw: Any) -> float:
        x = float(raw)
        if math.isnan(x) or x < 0:
            raise ValueError(f"latency must be a non-negative number of seconds, got {raw!r}")
        return _NORMALISERS[self.normalize](x, self.t) if self.normalize else x

    def compute(self, item):
        x = float(item.get("latency"))
        score = self._value(x)
        verdict = "under" if x < self.t else "over"
        return MetricResult(score=score, signals=[Signal("latency", "seconds", x)],
                            explanation=f"{x:.3f} s, {verdict} the {self.t:g} s threshold")

    def score_columns(self, columns, n):
        col = columns.get("latency")
        if col is None:
            return [None] * n
        out = []
        for raw in col:
            try:
                out.append(None if is_missing(raw) else self._value(raw))
            except (TypeError, ValueError):
                out.append(None)
        return out


# ---------------------------------------------------------------------------------
# citations
# ---------------------------------------------------------------------------------
_CITATION_PATTERNS = {
    "url": re.compile(r"https?://[^\s<>\"'\])]+", re.I),
    "www": re.compile(r"(?<![/\w.])www\.[^\s<>\"'\])]+", re.I),
    "doi": re.compile(r"\b(?:doi:\s*|https?://doi\.org/)?10\.\d{4,9}/[^\s\"'<>]+", re.I),
    "author_year": re.compile(
        r"\(([A-Z][A-Za-z'\-]+(?:\s+(?:et al\.|and|&)\s*(?:[A-Z][A-Za-z'\-]+)?)?),?\s+(?:19|20)\d{2}[a-z]?\)"),
}
_RESOURCE_HEADING = re.compile(
    r"^\s*(?:#+\s*|\*\*)?(resources|references|sources|further reading|citations|bibliography|"
    r"learn more|see also)\b", re.I | re.M)


def find_citations(text: str) -> list[tuple[str, str]]:
    """(kind, citation) pairs, trailing punctuation trimmed, de-duplicated in order."""
    seen, out = set(), []
    for kind, pattern in _CITATION_PATTERNS.items():
        for m in pattern.finditer(text):
            cite = m.group(0).rstrip(".,;:!?")
            if kind == "doi" and any(cite in c or c in cite for _, c in out):
                continue  # a doi.org URL is already counted as a URL
            if cite not in seen:
                seen.add(cite)
                out.append((kind, cite))
    return out


@metric
class CitationPresence(HeuristicMetric):
    key = "citation_presence"
    name = "Citation Presence"
    description = ("1 if an assistant message cites a source (URL, www, DOI, author-year); "
                   "mode=resource_section requires a Resources/References heading first.")
    required_fields = ("actual_output",)
    optional_fields = ("conversation",)
    tags = ("heuristic", "format")

    def __init__(self, mode: str = "any_citation", heading: str | None = None, **kw: Any):
        super().__init__(mode=mode, heading=heading, **kw)
        if mode not in ("any_citation", "resource_section"):
            raise MetricConfigError("citation_presence mode must be any_citation or resource_section")
        self.mode = mode
        self.heading = re.compile(re.escape(heading), re.I) if heading else _RESOURCE_HEADING

    def missing_fields(self, item):
        # A conversation alone is enough: citations are looked for in assistant turns.
        if any(m["role"] == "assistant" for m in as_messages(item.get("conversation"))):
            return []
        return super().missing_fields(item)

    def _message_passes(self, text: str) -> tuple[bool, list[tuple[str, str]]]:
        if self.mode == "resource_section":
            m = self.heading.search(text)
            if not m:
                return False, []
            text = text[m.end():]
        cites = find_citations(text)
        return bool(cites), cites

    def compute(self, item):
        signals, any_pass = [], False
        for i, text in enumerate(assistant_texts(dict(item))):
            ok, cites = self._message_passes(text)
            any_pass |= ok
            signals.append(Signal("messages", f"message_{i}", len(cites), float(ok)))
            signals.extend(Signal("citations", kind, cite) for kind, cite in cites[:20])
        found = sum(1 for s in signals if s.group == "citations")
        return MetricResult(score=float(any_pass), signals=signals,
                            explanation=(f"{found} citation(s) found" if any_pass
                                         else f"no citation found (mode {self.mode})"))
