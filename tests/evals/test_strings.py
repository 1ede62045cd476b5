"""String metrics: hand-checked values, and BLEU/ROUGE-L against reference packages."""

from __future__ import annotations

import math
import random
import warnings

import pytest
from nltk.translate import bleu_score as nltk_bleu  # the reference implementations: dev deps,
from rouge_score import rouge_scorer  # imported directly so a missing one fails the run

from axis_jupyter.evals import create
from axis_jupyter.evals import text as T


def s(key, actual, expected, **params):
    return create(key, **params).compute({"actual_output": actual, "expected_output": expected}).score


# -- exact_match / contains ----------------------------------------------------------
def test_exact_match_options():
    assert s("exact_match", "Paris", "Paris") == 1.0
    assert s("exact_match", "  Paris \n", "Paris") == 1.0          # strip both sides
    assert s("exact_match", "  Paris", "Paris", strip=False) == 0.0
    assert s("exact_match", "PARIS", "paris") == 0.0                 # case-sensitive by default
    assert s("exact_match", "PARIS", "paris", casefold=True) == 1.0
    assert s("exact_match", "Straße", "STRASSE", casefold=True) == 1.0  # casefold, not lower


def test_contains_string_and_list():
    assert s("contains", "The capital is Paris.", "Paris") == 1.0
    assert s("contains", "The capital is Paris.", "paris") == 0.0
    assert s("contains", "The capital is Paris.", "paris", casefold=True) == 1.0
    assert s("contains", "red green", ["red", "green", "blue", "pink"]) == 0.5
    assert s("contains", "red green", '["red", "blue"]') == 0.5      # JSON list from a CSV cell
    m = create("contains", substrings=["a", "b"])
    assert m.required_fields == ("actual_output",)
    assert m.compute({"actual_output": "a"}).score == 0.5
    res = create("contains").compute({"actual_output": "x", "expected_output": ["x", "y"]})
    assert "missing: ['y']" in res.explanation


# -- levenshtein -----------------------------------------------------------------------
@pytest.mark.parametrize("a,b,dist", [
    ("kitten", "sitting", 3), ("", "", 0), ("abc", "", 3), ("flaw", "lawn", 2),
    ("intention", "execution", 5), ("same", "same", 0)])
def test_levenshtein_distance_both_implementations(a, b, dist):
    assert T.levenshtein_distance(a, b) == dist
    assert T.levenshtein_distance(a, b, force_python=True) == dist


def test_levenshtein_metric_is_true_normalised_distance():
    assert s("levenshtein", "kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert T.levenshtein_similarity("", "") == 1.0
    assert s("levenshtein", "ABC", "abc") == 1.0                       # lower-cased by default
    assert s("levenshtein", "ABC", "abc", casefold=False) == 0.0


def test_levenshtein_random_agreement():
    rnd = random.Random(7)
    for _ in range(300):
        a = "".join(rnd.choice("abc ") for _ in range(rnd.randint(0, 15)))
        b = "".join(rnd.choice("abc ") for _ in range(rnd.randint(0, 15)))
        assert T.levenshtein_distance(a, b) == T.levenshtein_distance(a, b, force_python=True)


# -- token F1 --------------------------------------------------------------------------
def test_token_f1_squad_normalisation():
    # pred -> [eiffel, tower]; gold -> [eiffel, tower, in, paris]: P=1, R=.5
    assert s("token_f1", "The Eiffel Tower!", "eiffel tower in Paris") == pytest.approx(2 / 3)
    assert s("token_f1", "a an the", "the") == 1.0                    # both normalise to empty
    assert s("token_f1", "cat cat", "cat") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert s("token_f1", "dog", "cat") == 0.0
    assert T.squad_normalize("The  Cat's, hat!") == "cats hat"


# -- BLEU ------------------------------------------------------------------------------
def test_bleu_hand_checked():
    assert s("bleu", "the cat sat on the mat", "the cat sat on the mat") == pytest.approx(1.0)
    # c=2, r=6: p1=2/2, p2=(1+1)/(1+1), p3=p4=(0+1)/(1+1); BP=exp(1-6/2)
    expected = math.exp(-2) * (1 * 1 * 0.5 * 0.5) ** 0.25
    assert s("bleu", "the cat", "the cat sat on the mat") == pytest.approx(expected)
    assert s("bleu", "dog", "the cat") == 0.0                          # no unigram match
    score, precisions, bp = T.sentence_bleu([], ["a"])
    assert score == 0.0


def test_bleu_matches_nltk_method2():
    smooth = nltk_bleu.SmoothingFunction().method2
    rnd = random.Random(3)
    vocab = "the a cat dog sat on mat ran fast slow big red".split()
    for _ in range(400):
        c = [rnd.choice(vocab) for _ in range(rnd.randint(1, 14))]
        r = [rnd.choice(vocab) for _ in range(rnd.randint(1, 14))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = nltk_bleu.sentence_bleu([r], c, smoothing_function=smooth)
        assert T.sentence_bleu(c, r)[0] == pytest.approx(ref, abs=1e-12)


# -- ROUGE-L ---------------------------------------------------------------------------
def test_rouge_l_hand_checked():
    # LCS(police killed the gunman, police kill the gunman) = 3 -> P = R = F = .75
    assert s("rouge_l", "police killed the gunman", "police kill the gunman") == pytest.approx(0.75)
    assert s("rouge_l", "a b c d", "a c") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert T.lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert T.lcs_length(list("ABCBDAB"), list("BDCABA"), force_python=True) == 4


def test_rouge_l_matches_rouge_score():
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    rnd = random.Random(5)
    vocab = "The cat, dog. sat on mat! ran fast slow big red 42".split()
    for _ in range(300):
        a = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(1, 20)))
        b = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(1, 20)))
        ref = scorer.score(b, a)["rougeL"]  # score(target, prediction)
        p, r, f = T.rouge_l(T.rouge_tokens(a), T.rouge_tokens(b))
        assert (p, r, f) == pytest.approx((ref.precision, ref.recall, ref.fmeasure), abs=1e-12)
        assert T.lcs_length(T.rouge_tokens(a), T.rouge_tokens(b), force_python=True) == \
            T.lcs_length(T.rouge_tokens(a), T.rouge_tokens(b))


# -- batch / column paths agree with per-item compute ------------------------------------
@pytest.mark.parametrize("key", ["exact_match", "contains", "levenshtein", "token_f1", "bleu", "rouge_l"])
def test_column_path_equals_item_path(key):
    rnd = random.Random(11)
    words = "alpha beta gamma delta Alpha the a".split()
    actual = [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 8))) for _ in range(200)]
    expected = [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 8))) for _ in range(200)]
    actual[3], expected[7] = None, ""  # missing values score None on both paths
    m = create(key)
    items = [{"actual_output": a, "expected_output": e} for a, e in zip(actual, expected)]
    batch = [r.score for r in m.score_batch(items)]
    cols = m.score_columns({"actual_output": actual, "expected_output": expected}, len(items))
    assert batch[3] is None and cols[3] is None and cols[7] is None
    assert [c is None for c in cols] == [b is None for b in batch]
    assert [c for c in cols if c is not None] == pytest.approx([b for b in batch if b is not None])


def _varied_pairs(seed: int, n: int = 400):
    """Pairs with the awkward cases: empty/whitespace, punctuation, unicode (final sigma,
    dotted I, Kelvin sign, CJK, combining marks), repeated tokens, articles, non-str."""
    rnd = random.Random(seed)
    words = ("the a an The A cat cat cat dog, dog. sat on-the mat! 42 4.2 x_y Straße STRASSE "
             "ΟΔΟΣ Σ σς İstanbul \u212a \u00e9t\u00e9 e\u0301t\u0301e 東京 naïve a·b the·end "
             "an'd don't ' - -- ... (a) [the] \u00b2 \u2160 \t tab\ttab \n").split(" ")
    def text():
        r = rnd.random()
        if r < 0.05:
            return rnd.choice(["", " ", "\n", "the", "a an the", "...", "x"])
        return " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 25)))
    actual = [text() for _ in range(n)]
    expected = [text() for _ in range(n)]
    for i in range(0, n, 37):
        expected[i] = actual[i]  # identical pairs
    actual[5], expected[6], actual[7], expected[8] = None, float("nan"), 12345, 3.5
    actual[9] = "\x00 nul \x00 inside"  # the column path's separator character
    return actual, expected


@pytest.mark.parametrize("key,params", [
    ("exact_match", {}), ("exact_match", {"casefold": True}), ("exact_match", {"strip": False}),
    ("contains", {}), ("levenshtein", {}), ("levenshtein", {"casefold": False}),
    ("token_f1", {}), ("bleu", {}), ("bleu", {"lowercase": False}), ("bleu", {"smoothing": False}),
    ("bleu", {"max_n": 2}), ("rouge_l", {}), ("rouge_l", {"beta": 2.0}),
])
@pytest.mark.parametrize("seed", [1, 2])
def test_column_path_identical_on_varied_inputs(key, params, seed):
    actual, expected = _varied_pairs(seed)
    m = create(key, **params)
    items = [{"actual_output": a, "expected_output": e} for a, e in zip(actual, expected)]
    batch = [r.score for r in m.score_batch(items)]
    cols = m.score_columns({"actual_output": actual, "expected_output": expected}, len(items))
    assert cols == batch  # exactly equal floats, None in the same places
    assert all(type(c) is float for c in cols if c is not None)
    # without the separator item the joined-column tokenisation is used; also small columns
    for lo, hi in ((10, len(items)), (10, 11), (0, 0)):
        part = m.score_columns({"actual_output": actual[lo:hi], "expected_output": expected[lo:hi]},
                               hi - lo)
        assert part == batch[lo:hi]
