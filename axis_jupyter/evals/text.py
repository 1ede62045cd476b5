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


# ---------------------------------------------------------------------------------
# column (batch) helpers: tokenise a whole column in C, count n-grams with numpy
# ---------------------------------------------------------------------------------
# Every batch function gives exactly the numbers of the scalar functions above (the
# per-item arithmetic is redone in Python on integer counts, so no float differs).
_SEP = "\x00"  # item separator inside a joined column; verified absent before use
_ROUGE_FIND = re.compile(r"[a-z0-9]+|\x00")


def _cut(codes, sep_code: int, n: int, vocab_size: int):
    import numpy as np

    is_sep = codes == sep_code
    pos = np.flatnonzero(is_sep)
    if len(pos) != n - 1:
        return None
    lengths = np.diff(np.concatenate(([-1], pos, [len(codes)]))) - 1
    return codes[~is_sep], lengths.astype(np.int64), vocab_size


def _split_flat(flat: list[str], n: int, squad: bool = False):
    """Flat tokens of ``n`` items separated by ``_SEP`` tokens -> (codes, lengths, vocab)
    or None if the separator count is off (an item contained it). ``codes`` are dense
    int64 token ids (separators removed), ``lengths`` tokens per item."""
    import numpy as np

    codes, vocab = _factorize(flat)
    if squad:  # squad_tokens' article / non-alnum rules, decided per distinct token
        if not all(t.isalnum() or t == _SEP for t in vocab):
            flat = _squad_filter(flat)
            codes, vocab = _factorize(flat)
        else:
            drop = [i for i, t in enumerate(vocab) if t in _ARTICLE_SET]
            if drop:
                sep = [i for i, t in enumerate(vocab) if t == _SEP]
                codes = codes[~np.isin(codes, drop)]
                if n == 1:
                    return codes, np.array([len(codes)], dtype=np.int64), len(vocab)
                if not sep:
                    return None
                return _cut(codes, sep[0], n, len(vocab))
    if n > 1:
        try:
            sep_code = int(codes[flat.index(_SEP)])  # (numpy would strip a NUL in ==)
        except ValueError:
            return None
        return _cut(codes, sep_code, n, len(vocab))
    else:
        if _SEP in flat:
            return None
        lengths = np.array([len(codes)], dtype=np.int64)
    return codes, lengths.astype(np.int64), len(vocab)


def _factorize(tokens: list[str]):
    import numpy as np

    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        d: dict[str, int] = {}
        codes = np.fromiter((d.setdefault(t, len(d)) for t in tokens), np.int64, len(tokens))
        return codes, list(d)
    arr = np.empty(len(tokens), dtype=object)
    arr[:] = tokens
    codes, uniques = pd.factorize(arr)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


_ROUGE_BYTES = bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c == 0) else 32
                     for c in range(256))


def _joined_tokens(texts: Sequence[str], kind: str, lowercase: bool = True) -> list[str]:
    """Flat token list of all ``texts`` with one ``_SEP`` token between items."""
    big = f" {_SEP} ".join(texts)
    if kind == "bleu":
        return (big.lower() if lowercase else big).split()
    if kind == "rouge":
        # rouge_tokens keeps [a-z0-9] runs of the lower-cased text: every other byte,
        # and every non-ASCII character (encoded as '?'), separates
        return big.lower().encode("ascii", "replace").translate(_ROUGE_BYTES).decode("ascii").split()
    if kind == "squad":
        return big.lower().translate(_PUNCT_TABLE).split()
    raise ValueError(kind)  # pragma: no cover


def _squad_filter(flat: list[str]) -> list[str]:
    """squad_tokens applied to whitespace tokens: alnum tokens drop if an article; other
    tokens go through the article regex (what squad_normalize does to them in a text)."""
    out: list[str] = []
    for t in flat:
        if t == _SEP or t.isalnum():
            if t not in _ARTICLE_SET:
                out.append(t)
        else:
            out.extend(_ARTICLES.sub(" ", t).split())
    return out


_ROUGE_WORD = re.compile(r"[a-z0-9]+")
# Recent columns' base tokens, shared by the metrics scoring them: the runner scores
# metric by metric over the same chunks, so a column comes back once per metric.
_BASE_CACHE: dict = {}
_BASE_CACHE_SIZE = 64
_BASE_LOCK = __import__("threading").Lock()


def _squad_token(t: str) -> list[str]:
    """squad_tokens of one lower-cased whitespace token (same rules as in a whole text)."""
    t = t.translate(_PUNCT_TABLE)
    if not t:
        return []
    if t.isalnum():
        return [] if t in _ARTICLE_SET else [t]
    return _ARTICLES.sub(" ", t).split()


def _base_tokens(texts: Sequence[str]):
    """(codes, lengths, vocab) of ``text.lower().split()`` over a column, or None if an
    item holds the separator. Cached for the last column seen (compared by identity of
    its strings), so BLEU, token F1 and ROUGE-L of one batch tokenise it once."""
    if not texts:
        return None
    n = len(texts)
    key = (n, id(texts[0]), id(texts[-1])) if n else (0,)
    with _BASE_LOCK:
        cached = _BASE_CACHE.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], texts)):
        return cached[1]
    result = None
    big = f" {_SEP} ".join(texts)
    if big.count(_SEP) == n - 1:  # no item holds the separator
        flat = big.lower().split()
        codes, vocab = _factorize(flat)
        if n == 1:
            import numpy as np

            result = (codes, np.array([len(codes)], dtype=np.int64), list(vocab))
        else:
            try:
                sep_code = int(codes[flat.index(_SEP)])
            except ValueError:
                sep_code = None
            cut = None if sep_code is None else _cut(codes, sep_code, n, len(vocab))
            if cut is not None:
                result = (cut[0], cut[1], list(vocab))
    with _BASE_LOCK:
        _BASE_CACHE[key] = (list(texts), result)  # strong refs keep the ids unique
        while len(_BASE_CACHE) > _BASE_CACHE_SIZE or (
                len(_BASE_CACHE) > 1 and sum(len(v[0]) for v in _BASE_CACHE.values()) > 2_000_000):
            del _BASE_CACHE[next(iter(_BASE_CACHE))]  # oldest first
    return result


def _derive(codes, lengths, vocab: list[str], split_token):
    """Re-tokenise base tokens: each distinct base token becomes ``split_token(token)``
    (0, 1 or more tokens), expanded over the column with numpy."""
    import numpy as np

    ids: dict[str, int] = {}
    flat_ids: list[int] = []
    counts: list[int] = []
    for v in vocab:
        toks = split_token(v)
        counts.append(len(toks))
        flat_ids.extend(ids.setdefault(t, len(ids)) for t in toks)
    k = np.array(counts, dtype=np.int64)
    d = np.array(flat_ids, dtype=np.int64)
    kc = k[codes]
    if len(kc) and (k == 1).all():
        new_codes = d[codes]
        return new_codes, lengths.copy(), len(ids)
    offsets = np.concatenate(([0], np.cumsum(k)[:-1])).astype(np.int64)
    total = int(kc.sum())
    out_start = np.concatenate(([0], np.cumsum(kc)[:-1])).astype(np.int64) if len(kc) else kc
    within = np.arange(total, dtype=np.int64) - np.repeat(out_start, kc)
    new_codes = d[np.repeat(offsets[codes], kc) + within] if total else np.zeros(0, np.int64)
    item = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    new_len = np.bincount(item, weights=kc, minlength=len(lengths)).astype(np.int64)
    return new_codes, new_len, len(ids)


def tokenize_column(texts: Sequence[str], kind: str, lowercase: bool = True):
    """(codes, lengths, vocab_size) for a column: token ids shared across the column.

    ``kind`` is "bleu" (``bleu_tokens``), "rouge" (``rouge_tokens``) or "squad"
    (``squad_tokens``). Falls back to per-item tokenisation if an item holds the
    separator character."""
    import numpy as np

    n = len(texts)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    got = None
    if kind in ("rouge", "squad") or lowercase:  # all derive from lower().split() tokens
        base = _base_tokens(texts)
        if base is not None:
            codes, lengths, vocab = base
            if kind == "bleu":
                return codes, lengths, len(vocab)
            return _derive(codes, lengths, vocab, _squad_token if kind == "squad" else _ROUGE_WORD.findall)
    if not any(_SEP in t for t in texts):
        flat = _joined_tokens(texts, kind, lowercase)
        if kind == "squad":
            got = _split_flat(flat, n, squad=True)
        else:
            got = _split_flat(flat, n)
    if got is None:
        fn = {"bleu": lambda t: bleu_tokens(t, lowercase), "rouge": rouge_tokens,
              "squad": squad_tokens}[kind]
        lists = [fn(t) for t in texts]
        flat = [tok for lst in lists for tok in lst]
        codes, vocab = _factorize(flat)
        return codes, np.fromiter(map(len, lists), np.int64, n), len(vocab)
    return got


def ngram_matches(cand_codes, cand_len, ref_codes, ref_len, max_n: int):
    """Clipped n-gram match counts per pair for n = 1..max_n: a list of int64 arrays.

    Token ids must come from one shared vocabulary. An n-gram's key is
    ``key(n-1 prefix) * V + last token`` (re-densified with np.unique only when it would
    overflow int64); matches are the per-pair multiset intersection, the min of the two
    counts of each (pair, n-gram), found with one sort per order."""
    import numpy as np

    npairs = len(cand_len)
    lengths = np.concatenate((cand_len, ref_len)).astype(np.int64)
    tok = np.concatenate((cand_codes, ref_codes)).astype(np.int64)
    total = len(tok)
    out = []
    if total == 0:
        return [np.zeros(npairs, np.int64) for _ in range(max_n)]
    seq = np.repeat(np.arange(2 * npairs, dtype=np.int64), lengths)
    side = (seq >= npairs).astype(np.int64)
    pair = seq - side * npairs
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    room = lengths[seq] - (np.arange(total, dtype=np.int64) - starts[seq])  # tokens left
    width = int(tok.max()) + 1
    gid, top = tok, width  # gid < top
    limit = 2 ** 62
    for n in range(1, max_n + 1):
        if n > 1:
            m = total - n + 1
            if m <= 0:
                out.append(np.zeros(npairs, np.int64))
                continue
            if top * width * (npairs + 1) * 2 >= limit:  # re-densify the prefixes
                _, gid = np.unique(gid, return_inverse=True)
                gid = gid.astype(np.int64, copy=False).reshape(-1)
                top = int(gid.max()) + 1
            gid = gid[:m] * width + tok[n - 1:]
            top *= width
        m = len(gid)
        valid = room[:m] >= n
        keys = (pair[:m] * top + gid) * 2 + side[:m]
        keys = np.sort(keys[valid] if n > 1 or not valid.all() else keys)
        if len(keys) == 0:
            out.append(np.zeros(npairs, np.int64))
            continue
        first = np.concatenate(([True], keys[1:] != keys[:-1]))
        idx = np.flatnonzero(first)
        uniq = keys[idx]
        counts = np.diff(np.append(idx, len(keys)))
        # (gram, side 0) directly followed by (gram, side 1): a gram both sides have
        both = (uniq[1:] >> 1) == (uniq[:-1] >> 1)
        both &= (uniq[:-1] & 1) == 0
        hit = np.flatnonzero(both)
        matched = np.minimum(counts[hit], counts[hit + 1])
        out.append(np.bincount((uniq[hit] >> 1) // top, weights=matched,
                               minlength=npairs).astype(np.int64))
    return out


def token_f1_column(pred_len: list[int], ref_len: list[int], overlap: list[int]) -> list[float]:
    """``token_f1(...)[2]`` per pair from token counts and bag overlaps."""
    out = []
    append = out.append
    for lp, lr, ov in zip(pred_len, ref_len, overlap):
        if not lp or not lr:
            append(float(not lp and not lr))
        elif ov == 0:
            append(0.0)
        else:
            p = ov / lp
            r = ov / lr
            append(2 * p * r / (p + r))
    return out


def sentence_bleu_column(cand_len, ref_len, matches, max_n: int = 4,
                         smoothing: bool = True) -> list[float]:
    """``sentence_bleu(...)[0]`` per pair from length arrays and per-order match-count
    arrays (``matches[n-1]``). Bit-identical to the scalar function: integer parts in
    numpy, element-wise IEEE + - * / in numpy (the same correctly rounded operations as
    Python floats, applied in the same order), and every log/exp through ``math``."""
    import numpy as np

    c = np.asarray(cand_len, dtype=np.int64)
    r = np.asarray(ref_len, dtype=np.int64)
    dead = (c == 0) | (r == 0)
    log_sum = None
    for n in range(1, max_n + 1):
        matched = np.asarray(matches[n - 1], dtype=np.int64)
        total = np.maximum(c - n + 1, 1)
        if smoothing and n > 1:
            matched, total = matched + 1, total + 1
        dead |= matched == 0
        p = matched / np.where(total == 0, 1, total)
        p[dead] = 1.0  # keep math.log defined; these rows score 0 below
        logs = np.fromiter(map(math.log, p.tolist()), np.float64, len(p))
        log_sum = logs if log_sum is None else log_sum + logs  # 0.0 + x == x
    safe_c = np.where(c == 0, 1, c)
    bp_arg = (1 - r / safe_c).tolist()
    bp = np.fromiter(map(math.exp, bp_arg), np.float64, len(bp_arg))
    bp[c > r] = 1.0
    geo = np.fromiter(map(math.exp, (log_sum / max_n).tolist()), np.float64, len(c))
    out = bp * geo
    out[dead] = 0.0
    return out.tolist()


def lcs_column(cand_codes, cand_len, ref_codes, ref_len, vocab_size: int) -> list[int] | None:
    """LCS length of each pair of token sequences, via rapidfuzz over strings with one
    character per token id. None when rapidfuzz is missing or the vocabulary does not
    fit in Unicode code points (callers then fall back to ``lcs_length``)."""
    import numpy as np

    if _rf_lcs is None or vocab_size > 0x10FFFF - 0x800:
        return None
    from rapidfuzz.process import cpdist

    def strings(codes, lens):
        cp = codes.astype(np.uint32) + 1  # skip NUL only for readability; any cp works
        cp = np.where(cp >= 0xD800, cp + 0x800, cp).astype("<u4")  # no surrogates
        big = cp.tobytes().decode("utf-32-le")
        ends = np.cumsum(lens).tolist()
        starts = [0] + ends[:-1]
        return [big[s:e] for s, e in zip(starts, ends)]

    if vocab_size + 1 > 0x10FFFF - 0x800:
        return None
    left, right = strings(cand_codes, cand_len), strings(ref_codes, ref_len)
    if not left:
        return []
    return cpdist(left, right, scorer=_rf_lcs.similarity, dtype=np.int64, workers=-1).tolist()


def rouge_l_column(cand_len: list[int], ref_len: list[int], lcs: list[int],
                   beta: float = 1.0) -> list[float]:
    """``rouge_l(...)[2]`` per pair from lengths and LCS lengths."""
    b2 = beta * beta
    out = []
    append = out.append
    for c, r, k in zip(cand_len, ref_len, lcs):
        if not c or not r or k == 0:
            append(0.0)
        else:
            p = k / c
            rr = k / r
            append((1 + b2) * p * rr / (rr + b2 * p))
    return out
