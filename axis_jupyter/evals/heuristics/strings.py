"""String-comparison metrics: actual_output against expected_output.

Each metric has one scalar function ``_value(actual, expected) -> score`` used by both
paths: ``compute`` (adds explanation and signals) and ``score_columns`` (scores only,
no per-row dicts, so 100k rows cost one tight loop).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..base import HeuristicMetric, MetricResult, Signal, is_missing
from ..fields import as_str_list, as_text
from ..metric_table import metric
from .. import text as T

A, E = "actual_output", "expected_output"


class _PairMetric(HeuristicMetric):
    """actual_output vs expected_output; subclasses implement ``_value``."""

    required_fields = (A, E)

    def _value(self, actual: str, expected: Any) -> float:
        raise NotImplementedError

    def _explain(self, actual: str, expected: Any, score: float) -> tuple[str, list[Signal]]:
        return f"{self.name}: {score:.4f}", []

    def compute(self, item: Mapping[str, Any]) -> MetricResult:
        actual, expected = as_text(item.get(A)), item.get(E)
        score = self._value(actual, expected)
        explanation, signals = self._explain(actual, expected, score)
        return MetricResult(score=score, explanation=explanation, signals=signals)

    def score_columns(self, columns: Mapping[str, Sequence[Any]], n: int) -> list[float | None]:
        if A not in columns or E not in columns:
            return [None] * n
        value = self._value
        out: list[float | None] = []
        append = out.append
        for actual, expected in zip(columns[A], columns[E]):
            if is_missing(actual) or is_missing(expected):
                append(None)
            else:
                append(value(actual if isinstance(actual, str) else as_text(actual), expected))
        return out


def _present_pairs(columns: Mapping[str, Sequence[Any]], n: int):
    """(indices, actual texts, expected values) of the rows where neither side is missing;
    actual is converted with ``as_text`` as ``compute`` does."""
    acol, ecol = columns[A], columns[E]
    if _all_present_text(acol) and _all_present_text(ecol):  # C-level checks only
        return range(n), list(acol), list(ecol)
    idx: list[int] = []
    acts: list[str] = []
    exps: list[Any] = []
    for i, (a, e) in enumerate(zip(acol, ecol)):
        if type(a) is str and type(e) is str:  # the common case, without is_missing's calls
            if not a or not e or a.isspace() or e.isspace():
                continue
        elif is_missing(a) or is_missing(e):
            continue
        else:
            a = a if isinstance(a, str) else as_text(a)
        idx.append(i)
        acts.append(a)
        exps.append(e)
    return idx, acts, exps


def _tokenized_pairs(columns: Mapping[str, Sequence[Any]], n: int, scheme: str, *args: Any):
    """The rows where neither side is missing, tokenized in one pass (``T.tokenize_column``
    with ``scheme``): (indices, actual codes, actual lengths, expected codes, expected
    lengths, vocabulary), or None when no row has both sides."""
    if A not in columns or E not in columns:
        return None
    idx, acts, exps = _present_pairs(columns, n)
    if not idx:
        return None
    codes, lens, vocab = T.tokenize_column(acts + [as_text(e) for e in exps], scheme, *args)
    k = len(idx)
    split = int(lens[:k].sum())
    return idx, codes[:split], lens[:k], codes[split:], lens[k:], vocab


def _all_present_text(col: Sequence[Any]) -> bool:
    """Every value a non-empty, non-blank str (then nothing is missing)."""
    col = col if isinstance(col, list) else list(col)
    return (all(type(v) is str for v in col) if len(col) < 64 else set(map(type, col)) == {str}) \
        and "" not in col and not any(map(str.isspace, col))


def _scatter(idx: Sequence[int], values: list[float], n: int) -> list[float | None]:
    if isinstance(idx, range) and len(idx) == n:
        return values
    out: list[float | None] = [None] * n
    for i, v in zip(idx, values):
        out[i] = v
    return out


_OTHER_ASCII_SPACE = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _joined_if_collapsed(texts: list[str]) -> str | None:
    """The NUL-joined column if every text is ASCII and already whitespace-collapsed
    (``" ".join(t.split()) == t``), else None. Only C-level substring scans."""
    big = "\x00".join(texts)
    if (big.isascii() and big.count("\x00") == len(texts) - 1 and "  " not in big
            and not big.startswith(" ") and not big.endswith(" ")
            and " \x00" not in big and "\x00 " not in big
            and not any(c in big for c in _OTHER_ASCII_SPACE)):
        return big
    return None


def _prep_column(texts: list[str], strip: bool, casefold: bool) -> list[str]:
    """``[_prep(t, strip, casefold) for t in texts]``, skipping the per-item collapse
    when the column is already collapsed."""
    if texts and strip:
        big = _joined_if_collapsed(texts)
        if big is not None:
            return big.casefold().split("\x00") if casefold else texts
    if strip and casefold:
        return [" ".join(t.split()).casefold() for t in texts]
    if strip:
        return [" ".join(t.split()) for t in texts]
    return [t.casefold() for t in texts] if casefold else texts


def _prep(text: str, strip: bool, casefold: bool) -> str:
    if strip:
        text = " ".join(text.split())  # collapse inner runs too: "a  b" == "a b"
    return text.casefold() if casefold else text


@metric
class ExactMatch(_PairMetric):
    key = "exact_match"
    name = "Exact Match"
    description = "1 if actual_output equals expected_output (both sides normalised alike), else 0."
    tags = ("heuristic", "string")

    def __init__(self, strip: bool = True, casefold: bool = False, **kw: Any):
        super().__init__(strip=strip, casefold=casefold, **kw)
        self.strip, self.casefold = strip, casefold

    def _value(self, actual: str, expected: Any) -> float:
        return float(_prep(actual, self.strip, self.casefold)
                     == _prep(as_text(expected), self.strip, self.casefold))

    def _explain(self, actual, expected, score):
        return ("outputs match" if score else "outputs differ"), []

    def score_columns(self, columns, n):
        if A not in columns or E not in columns:
            return [None] * n
        idx, acts, exps = _present_pairs(columns, n)
        exps = [e if type(e) is str else as_text(e) for e in exps]
        if self.strip and not self.casefold and not (
                acts and _joined_if_collapsed(acts) is not None
                and _joined_if_collapsed(exps) is not None):
            # equal after collapsing <=> same tokens
            vals = [1.0 if a.split() == e.split() else 0.0 for a, e in zip(acts, exps)]
        else:
            left = _prep_column(acts, self.strip, self.casefold)
            right = _prep_column(exps, self.strip, self.casefold)
            vals = [1.0 if same else 0.0 for same in map(str.__eq__, left, right)]
        return _scatter(idx, vals, n)


@metric
class Contains(_PairMetric):
    """expected_output may be one string or a list of required substrings."""

    key = "contains"
    name = "Contains"
    description = ("Fraction of the required substrings (expected_output, a string or a "
                   "list) found in actual_output.")
    tags = ("heuristic", "string")

    def __init__(self, casefold: bool = False, strip: bool = True,
                 substrings: list[str] | None = None, **kw: Any):
        super().__init__(casefold=casefold, strip=strip, substrings=substrings, **kw)
        self.casefold, self.strip, self.substrings = casefold, strip, substrings
        if substrings:  # a fixed list makes expected_output unnecessary
            self.required_fields = (A,)

    def _needles(self, expected: Any) -> list[str]:
        needles = self.substrings if self.substrings else as_str_list(expected)
        needles = [n.strip() if self.strip else n for n in needles]
        return [n.casefold() if self.casefold else n for n in needles if n]

    def _found(self, actual: str, expected: Any) -> tuple[list[str], list[bool]]:
        hay = actual.casefold() if self.casefold else actual
        needles = self._needles(expected)
        return needles, [n in hay for n in needles]

    def _value(self, actual: str, expected: Any) -> float:
        needles, found = self._found(actual, expected)
        return sum(found) / len(found) if needles else 0.0

    def compute(self, item):
        if self.substrings:
            item = {**item, E: self.substrings}
        return super().compute(item)

    def score_columns(self, columns, n):
        if self.substrings:
            columns = {**columns, E: [self.substrings] * n}
        return super().score_columns(columns, n)

    def _explain(self, actual, expected, score):
        needles, found = self._found(actual, expected)
        missing = [nd for nd, ok in zip(needles, found) if not ok]
        signals = [Signal("substrings", nd, ok, float(ok), headline=not ok)
                   for nd, ok in zip(needles, found)]
        text = (f"found {sum(found)}/{len(needles)} required substring(s)"
                + (f"; missing: {missing[:5]}" if missing else ""))
        return text, signals


@metric
class Levenshtein(_PairMetric):
    key = "levenshtein"
    name = "Levenshtein Similarity"
    description = "1 - edit_distance / max_length (true normalised Levenshtein), lower-cased by default."
    tags = ("heuristic", "string")

    def __init__(self, casefold: bool = True, strip: bool = True, **kw: Any):
        super().__init__(casefold=casefold, strip=strip, **kw)
        self.casefold, self.strip = casefold, strip

    def _value(self, actual: str, expected: Any) -> float:
        return T.levenshtein_similarity(_prep(actual, self.strip, self.casefold),
                                        _prep(as_text(expected), self.strip, self.casefold))

    def _explain(self, actual, expected, score):
        a = _prep(actual, self.strip, self.casefold)
        e = _prep(as_text(expected), self.strip, self.casefold)
        dist = T.levenshtein_distance(a, e)
        return (f"edit distance {dist} over max length {max(len(a), len(e))}",
                [Signal("edits", "distance", dist)])

    def score_columns(self, columns, n):
        # rapidfuzz.process.cpdist scores element-wise pairs in C++ across threads.
        if A not in columns or E not in columns:
            return [None] * n
        try:
            from rapidfuzz.distance import Levenshtein as L
            from rapidfuzz.process import cpdist
            import numpy as np
        except ImportError:  # pragma: no cover
            return super().score_columns(columns, n)
        idx, acts, exps = _present_pairs(columns, n)
        exps = [e if type(e) is str else as_text(e) for e in exps]
        acts = _prep_column(acts, self.strip, self.casefold)
        exps = _prep_column(exps, self.strip, self.casefold)
        if not acts:
            return [None] * n
        # integer distances, then the scalar formula: identical floats to ``_value``
        dists = cpdist(acts, exps, scorer=L.distance, dtype=np.int64, workers=-1).tolist()
        vals = [1.0 - d / lg if lg else 1.0
                for d, lg in zip(dists, map(max, map(len, acts), map(len, exps)))]
        return _scatter(idx, vals, n)


@metric
class TokenF1(_PairMetric):
    key = "token_f1"
    name = "Token F1"
    description = "SQuAD-style token-overlap F1 after normalisation (lower, no punctuation/articles)."
    tags = ("heuristic", "string")

    def _value(self, actual: str, expected: Any) -> float:
        return T.token_f1(T.squad_tokens(actual), T.squad_tokens(as_text(expected)))[2]

    def _explain(self, actual, expected, score):
        p, r, f = T.token_f1(T.squad_tokens(actual), T.squad_tokens(as_text(expected)))
        return (f"precision {p:.3f}, recall {r:.3f}, F1 {f:.3f}",
                [Signal("overlap", "precision", p, p), Signal("overlap", "recall", r, r)])

    def score_columns(self, columns, n):
        pairs = _tokenized_pairs(columns, n, "squad")
        if pairs is None:
            return [None] * n
        idx, ca, la, ce, le, _ = pairs
        (overlap,) = T.ngram_matches(ca, la, ce, le, 1)
        vals = T.token_f1_column(la.tolist(), le.tolist(), overlap.tolist())
        return _scatter(idx, vals, n)


@metric
class Bleu(_PairMetric):
    key = "bleu"
    name = "Sentence BLEU"
    description = ("Sentence BLEU (n<=4, whitespace tokens, add-one smoothing for n>=2, "
                   "brevity penalty).")
    tags = ("heuristic", "string")

    def __init__(self, max_n: int = 4, lowercase: bool = True, smoothing: bool = True, **kw: Any):
        super().__init__(max_n=max_n, lowercase=lowercase, smoothing=smoothing, **kw)
        self.max_n, self.lowercase, self.smoothing = max_n, lowercase, smoothing

    def _bleu(self, actual: str, expected: Any):
        return T.sentence_bleu(T.bleu_tokens(actual, self.lowercase),
                               T.bleu_tokens(as_text(expected), self.lowercase),
                               self.max_n, self.smoothing)

    def _value(self, actual: str, expected: Any) -> float:
        return self._bleu(actual, expected)[0]

    def _explain(self, actual, expected, score):
        _, precisions, bp = self._bleu(actual, expected)
        signals = [Signal("precision", f"p{i}", p, p) for i, p in enumerate(precisions, 1)]
        signals.append(Signal("length", "brevity_penalty", bp))
        return f"BLEU {score:.4f} (brevity penalty {bp:.3f})", signals

    def score_columns(self, columns, n):
        pairs = _tokenized_pairs(columns, n, "bleu", self.lowercase)
        if pairs is None:
            return [None] * n
        idx, ca, la, ce, le, _ = pairs
        matches = T.ngram_matches(ca, la, ce, le, self.max_n)
        vals = T.sentence_bleu_column(la, le, matches, self.max_n, self.smoothing)
        return _scatter(idx, vals, n)


@metric
class RougeL(_PairMetric):
    key = "rouge_l"
    name = "ROUGE-L"
    description = "F-measure of the longest common token subsequence (rouge-score tokenisation)."
    tags = ("heuristic", "string")

    def __init__(self, beta: float = 1.0, **kw: Any):
        super().__init__(beta=beta, **kw)
        self.beta = beta

    def _value(self, actual: str, expected: Any) -> float:
        return T.rouge_l(T.rouge_tokens(actual), T.rouge_tokens(as_text(expected)), self.beta)[2]

    def _explain(self, actual, expected, score):
        p, r, f = T.rouge_l(T.rouge_tokens(actual), T.rouge_tokens(as_text(expected)), self.beta)
        return (f"LCS precision {p:.3f}, recall {r:.3f}, F {f:.3f}",
                [Signal("lcs", "precision", p, p), Signal("lcs", "recall", r, r)])

    def score_columns(self, columns, n):
        pairs = _tokenized_pairs(columns, n, "rouge")
        if pairs is None:
            return [None] * n
        idx, ca, la, ce, le, vocab = pairs
        lcs = T.lcs_column(ca, la, ce, le, vocab)
        if lcs is None:  # pragma: no cover - no rapidfuzz, or a vocabulary beyond Unicode
            return super().score_columns(columns, n)
        vals = T.rouge_l_column(la.tolist(), le.tolist(), lcs, self.beta)
        return _scatter(idx, vals, n)
