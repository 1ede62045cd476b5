"""String algorithms behind the heuristic metrics, written for throughput.

Everything here is a pure function over strings or token lists. rapidfuzz (C++) is used
when installed for edit distance and LCS; the pure-Python fallbacks give identical
numbers (tests check both), so results never depend on which one ran.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from typing import Sequence

try:  # optional accelerator; a runtime dependency, but keep a correct fallback
    from rapidfuzz.distance import LCSseq as _rf_lcs
    from rapidfuzz.distance import Levenshtein as _rf_lev
except ImportError:  # pragma: no cover - exercised via the force_python flag in tests
    _rf_lev = None
    _rf_lcs = None

# ---------------------------------------------------------------------------------
# normalisation / tokenisation
# ---------------------------------------------------------------------------------
_PUNCT_TABLE = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ALNUM_SPLIT = re.compile(r"[^a-z0-9]+")


def squad_normalize(text: str) -> str:
    """SQuAD answer normalisation: lower, drop punctuation and articles, squash spaces."""
    text = text.lower().translate(_PUNCT_TABLE)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


_ARTICLE_SET = frozenset(("a", "an", "the"))


def squad_tokens(text: str) -> list[str]:
    """``squad_normalize(text).split()``, computed without the regex pass when every
    token is alphanumeric (then dropping article tokens is the same thing)."""
    tokens = text.lower().translate(_PUNCT_TABLE).split()
    if all(t.isalnum() for t in tokens):
        return [t for t in tokens if t not in _ARTICLE_SET]
    return squad_normalize(text).split()


def rouge_tokens(text: str) -> list[str]:
    """Tokens as the reference ``rouge-score`` package makes them (no stemming):
    lower-case, every non [a-z0-9] run is a separator."""
    return [t for t in _ALNUM_SPLIT.split(text.lower()) if t]


def bleu_tokens(text: str, lowercase: bool = True) -> list[str]:
    return (text.lower() if lowercase else text).split()


# ---------------------------------------------------------------------------------
# edit distance
# ---------------------------------------------------------------------------------
def levenshtein_distance(a: str, b: str, *, force_python: bool = False) -> int:
    if _rf_lev is not None and not force_python:
        return _rf_lev.distance(a, b)
    if a == b:
        return 0
    if len(a) < len(b):  # keep the inner row the short string
        a, b = b, a
    if not b:
        return len(a)
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        append = current.append
        for j, cb in enumerate(b, 1):
            # min(deletion, insertion, substitution)
            cost = previous[j - 1] + (ca != cb)
            ins = current[j - 1] + 1
            dele = previous[j] + 1
            append(cost if cost < ins and cost < dele else (ins if ins < dele else dele))
        previous = current
    return previous[-1]


def levenshtein_similarity(a: str, b: str, *, force_python: bool = False) -> float:
    """True normalised Levenshtein: ``1 - distance / max(len(a), len(b))``; two empty
    strings are identical (1.0). Not difflib's ratio, which counts matching blocks."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1.0 - levenshtein_distance(a, b, force_python=force_python) / longest


# ---------------------------------------------------------------------------------
# longest common subsequence (ROUGE-L)
# ---------------------------------------------------------------------------------
def lcs_length(a: Sequence[str], b: Sequence[str], *, force_python: bool = False) -> int:
    if not a or not b:
        return 0
    if _rf_lcs is not None and not force_python:
        return _rf_lcs.similarity(a, b)
    # Bit-parallel LCS (Hyyrö 2004) with Python big ints: one pass over ``a`` with
    # O(len(b)/64) word operations per token instead of a len(a) x len(b) table.
    masks: dict[str, int] = {}
    for j, tok in enumerate(b):
        masks[tok] = masks.get(tok, 0) | (1 << j)
    full = (1 << len(b)) - 1
    v = full
    for tok in a:
        u = v & masks.get(tok, 0)
        v = ((v + u) | (v - u)) & full
    return len(b) - bin(v).count("1")


def rouge_l(candidate: Sequence[str], reference: Sequence[str], beta: float = 1.0,
            *, force_python: bool = False) -> tuple[float, float, float]:
    """(precision, recall, F) of the LCS between token lists, as ROUGE-L sentence-level.

    F uses ``(1+b^2)PR / (R + b^2 P)``; with b = 1 that is the harmonic mean, which
    is what ``rouge-score`` reports as ``fmeasure``.
    """
    if not candidate or not reference:
        return 0.0, 0.0, 0.0
    lcs = lcs_length(candidate, reference, force_python=force_python)
    if lcs == 0:
        return 0.0, 0.0, 0.0
    p = lcs / len(candidate)
    r = lcs / len(reference)
    b2 = beta * beta
    return p, r, (1 + b2) * p * r / (r + b2 * p)


# ---------------------------------------------------------------------------------
# token F1 (SQuAD)
# ---------------------------------------------------------------------------------
def token_f1(prediction: Sequence[str], reference: Sequence[str]) -> tuple[float, float, float]:
    """(precision, recall, F1) of the bag-of-tokens overlap. Both empty counts as a match
    (SQuAD's rule for no-answer questions); one empty scores 0."""
    if not prediction or not reference:
        same = float(not prediction and not reference)
        return same, same, same
    ref = Counter(reference)
    overlap = 0
    for tok, cnt in Counter(prediction).items():  # multiset intersection, no Counter.__and__
        r = ref.get(tok)
        if r:
            overlap += cnt if cnt < r else r
    if overlap == 0:
        return 0.0, 0.0, 0.0
    p = overlap / len(prediction)
    r = overlap / len(reference)
    return p, r, 2 * p * r / (p + r)


# ---------------------------------------------------------------------------------
# sentence BLEU
# ---------------------------------------------------------------------------------
def _ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    if n == 1:
        return Counter(tokens)
    return Counter(zip(*(tokens[i:] for i in range(n))))  # C-level tuple building


def sentence_bleu(candidate: Sequence[str], reference: Sequence[str], max_n: int = 4,
                  smoothing: bool = True) -> tuple[float, list[float], float]:
    """Sentence BLEU against one reference: (score, precisions, brevity_penalty).

    Clipped n-gram precisions for n = 1..max_n, combined by geometric mean with
    uniform weights. ``smoothing`` adds one to numerator and denominator for n >= 2
    (Lin & Och 2004, NLTK's ``method2``), so short sentences with a matching unigram
    do not collapse to 0. Brevity penalty ``exp(1 - r/c)`` when the candidate is not
    longer than the reference. An empty candidate scores 0.
    """
    c, r = len(candidate), len(reference)
    if c == 0 or r == 0:
        return 0.0, [0.0] * max_n, 0.0
    precisions: list[float] = []
    log_sum = 0.0
    for n in range(1, max_n + 1):
        cand = _ngram_counts(candidate, n)
        ref = _ngram_counts(reference, n)
        # max(1, ...) as NLTK does: an order longer than the candidate has 0 of 1 matches.
        total = max(c - n + 1, 1)
        matched = 0
        get = ref.get
        for g, cnt in cand.items():
            r_cnt = get(g)
            if r_cnt:
                matched += cnt if cnt < r_cnt else r_cnt
        if smoothing and n > 1:
            matched, total = matched + 1, total + 1
        if matched == 0:
            return 0.0, precisions + [0.0] * (max_n - len(precisions)), _bp(c, r)
        p = matched / total
        precisions.append(p)
        log_sum += math.log(p)
    bp = _bp(c, r)
    return bp * math.exp(log_sum / max_n), precisions, bp


def _bp(c: int, r: int) -> float:
    return 1.0 if c > r else math.exp(1 - r / c)
