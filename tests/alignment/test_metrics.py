"""Agreement metrics: every number against an independent computation (scikit-learn and a
plain Python loop), on generated labels and on the edge cases (all agree, all disagree,
one class only, n = 1, no pairs), plus the bootstrap interval of kappa."""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from axis_jupyter.alignment import agreement
from axis_jupyter.alignment.metrics import kappa_interval
from axis_jupyter.errors import ParameterError


def loop_metrics(human, judge):
    """The textbook formulas, one pair at a time; None where a denominator is 0."""
    tp = tn = fp = fn = 0
    for h, j in zip(human, judge):
        if h == 1 and j == 1:
            tp += 1
        elif h == 0 and j == 0:
            tn += 1
        elif h == 0 and j == 1:
            fp += 1
        else:
            fn += 1
    n = tp + tn + fp + fn

    def div(a, b):
        return None if b == 0 else a / b

    p, r = div(tp, tp + fp), div(tp, tp + fn)
    po = div(tp + tn, n)
    pe = None if n == 0 else ((tp + fp) / n) * ((tp + fn) / n) + ((tn + fn) / n) * ((tn + fp) / n)
    kappa = None if pe is None or pe == 1 else (po - pe) / (1 - pe)
    return {"n": n, "tp": tp, "tn": tn, "fp": fp, "fn": fn, "accuracy": po, "precision": p,
            "recall": r, "specificity": div(tn, tn + fp), "f1": div(2 * tp, 2 * tp + fp + fn),
            "kappa": kappa, "confusion": [[tn, fp], [fn, tp]]}


def sklearn_metrics(human, judge):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {
            "accuracy": skm.accuracy_score(human, judge),
            "precision": skm.precision_score(human, judge, zero_division=np.nan),
            "recall": skm.recall_score(human, judge, zero_division=np.nan),
            "specificity": skm.recall_score(human, judge, pos_label=0, zero_division=np.nan),
            "f1": skm.f1_score(human, judge, zero_division=np.nan),
            "kappa": skm.cohen_kappa_score(human, judge, labels=[0, 1]),
            "confusion": skm.confusion_matrix(human, judge, labels=[0, 1]).tolist(),
        }
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def check_against_both(human, judge):
    m = agreement(human, judge, bootstrap=200)
    loop = loop_metrics(human, judge)
    for key in ("n", "tp", "tn", "fp", "fn"):
        assert m[key] == loop[key], key
    assert m.confusion == loop["confusion"]
    for key in ("accuracy", "precision", "recall", "specificity", "f1", "kappa"):
        assert same(m[key], loop[key]), (key, m[key], loop[key])
        if m[key] is None:
            assert m.reasons[key]  # a None always says why
    if loop["n"]:
        sk = sklearn_metrics(human, judge)
        assert m.confusion == sk["confusion"]
        for key in ("accuracy", "precision", "recall", "specificity", "kappa"):
            assert same(m[key], sk[key]), (key, m[key], sk[key])
        # scikit-learn's F1 is undefined when precision is (TP+FP = 0) even if FN > 0;
        # ours is 2TP/(2TP+FP+FN) = 0 then (the judge accepted none of what people did)
        if m.precision is not None:
            assert same(m.f1, sk["f1"])
    return m


@pytest.mark.parametrize("seed", range(12))
def test_random_labels_match_sklearn_and_a_loop(seed):
    rng = random.Random(seed)
    n = rng.choice([2, 3, 7, 50, 400])
    p_h, flip = rng.random(), rng.random() * 0.6
    human = [int(rng.random() < p_h) for _ in range(n)]
    judge = [h if rng.random() > flip else 1 - h for h in human]
    check_against_both(human, judge)


def test_all_agree_with_both_classes():
    m = check_against_both([1, 0, 1, 0, 1], [1, 0, 1, 0, 1])
    assert m.kappa == 1.0 and m.accuracy == 1.0 and m.verdict == "aligned"
    assert m.kappa_band == "almost perfect" and m.kappa_ci_low == 1.0 and m.kappa_ci_high == 1.0


def test_all_disagree():
    m = check_against_both([1, 0, 1, 0], [0, 1, 0, 1])
    assert m.accuracy == 0.0 and m.kappa == -1.0 and m.kappa_band == "poor"
    assert m.precision == 0.0 and m.recall == 0.0 and m.f1 == 0.0 and m.verdict == "aligned"


def test_all_disagree_one_way_is_a_verdict():
    lenient = check_against_both([0, 0, 0, 1], [1, 1, 1, 1])
    assert lenient.verdict == "too lenient" and lenient.specificity == 0.0
    strict = check_against_both([1, 1, 1, 0], [0, 0, 0, 0])
    assert strict.verdict == "too strict" and strict.precision is None and strict.f1 == 0.0
    assert "accepted no record" in strict.reasons["precision"]


def test_one_class_only():
    both_accept = check_against_both([1, 1, 1], [1, 1, 1])
    assert both_accept.kappa is None and "same one label" in both_accept.reasons["kappa"]
    assert both_accept.specificity is None and both_accept.accuracy == 1.0
    assert both_accept.kappa_ci_low is None and both_accept.kappa_band is None
    both_reject = check_against_both([0, 0], [0, 0])
    assert both_reject.precision is None and both_reject.recall is None and both_reject.f1 is None
    human_one_class = check_against_both([1, 1, 1, 1], [1, 0, 1, 1])
    assert human_one_class.kappa == 0.0 and human_one_class.specificity is None


@pytest.mark.parametrize("pair", [([1], [1]), ([0], [1]), ([1], [0]), ([0], [0])])
def test_n_equals_one(pair):
    m = check_against_both(*pair)
    assert m.n == 1 and m.kappa_ci_low is None and m.kappa_ci_high is None
    assert "at least 2" in m.reasons["kappa_ci"] or m.kappa is None
    # one agreeing pair: chance agreement is 1, kappa undefined; one disagreeing pair: 0
    assert m.kappa == (None if pair[0] == pair[1] else 0.0)


def test_no_pairs_and_missing_labels():
    empty = agreement([], [])
    assert empty.n == 0 and empty.accuracy is None and empty.verdict is None
    assert set(empty.reasons) >= {"n", "accuracy", "kappa", "kappa_ci"}
    m = agreement([1, None, "accept", "reject", float("nan")], [1, 1, 0, "fail", 1])
    assert m.n == 3 and m.n_skipped == 2 and m.confusion == [[1, 0], [1, 1]]


def test_bad_labels_are_refused_naming_them():
    with pytest.raises(ParameterError, match=r"human\[1\] must be 0/1"):
        agreement([1, 2], [1, 0])
    with pytest.raises(ParameterError, match="same length"):
        agreement([1, 0], [1])
    with pytest.raises(ParameterError, match="bootstrap"):
        agreement([1], [1], bootstrap=-1)


def test_bootstrap_interval_is_the_percentiles_of_the_resampled_kappas():
    """Redo the seeded resamples with a loop: the same draws, kappa per draw by the
    textbook formula, percentiles by hand (linear interpolation)."""
    tn, fp, fn, tp = 40, 7, 11, 42
    low, high, why = kappa_interval(tn, fp, fn, tp, resamples=500, seed=5)
    assert why is None
    rng = np.random.default_rng(5)
    n = tn + fp + fn + tp
    draws = rng.multinomial(n, [tn / n, fp / n, fn / n, tp / n], size=500)
    kappas = []
    for a, b, c, d in draws.tolist():
        labels_h = [0] * (a + b) + [1] * (c + d)
        labels_j = [0] * a + [1] * b + [0] * c + [1] * d
        k = loop_metrics(labels_h, labels_j)["kappa"]
        if k is not None:
            kappas.append(k)
    kappas.sort()

    def pct(q):
        pos = q * (len(kappas) - 1)
        lo = math.floor(pos)
        return kappas[lo] + (kappas[min(lo + 1, len(kappas) - 1)] - kappas[lo]) * (pos - lo)

    assert math.isclose(low, pct(0.025), abs_tol=1e-12)
    assert math.isclose(high, pct(0.975), abs_tol=1e-12)


def test_bootstrap_matches_resampling_indices_and_is_seeded():
    rng = random.Random(11)
    human = [int(rng.random() < 0.55) for _ in range(300)]
    judge = [h if rng.random() > 0.2 else 1 - h for h in human]
    m = agreement(human, judge, bootstrap=2000, seed=3)
    assert agreement(human, judge, bootstrap=2000, seed=3).kappa_ci_low == m.kappa_ci_low
    assert m.kappa_ci_low < m.kappa < m.kappa_ci_high
    # the textbook bootstrap: resample indices, recompute kappa, take percentiles
    idx_rng = np.random.default_rng(99)
    h, j = np.array(human), np.array(judge)
    ks = []
    for _ in range(2000):
        pick = idx_rng.integers(0, len(h), len(h))
        ks.append(skm.cohen_kappa_score(h[pick], j[pick]))
    lo, hi = np.quantile(ks, [0.025, 0.975])
    assert abs(lo - m.kappa_ci_low) < 0.03 and abs(hi - m.kappa_ci_high) < 0.03


def test_mostly_one_label():
    # a judge that accepts everything: kappa is 0 in every resample where it is defined
    m = agreement([1] * 400 + [0], [1] * 401)
    assert m.kappa == 0.0 and m.kappa_ci_low == 0.0 and m.kappa_ci_high == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_no_interval_when_most_resamples_are_undefined(seed):
    """Two pairs (one accept, one reject, agreeing): about half the resamples hold one
    label only. Count them by hand from the same draws; the interval exists iff at most
    half are undefined."""
    low, high, why = kappa_interval(1, 0, 0, 1, resamples=101, seed=seed)
    draws = np.random.default_rng(seed).multinomial(2, [0.5, 0, 0, 0.5], size=101).tolist()
    undefined = sum(1 for a, _, _, d in draws if a == 2 or d == 2)
    if undefined * 2 > 101:
        assert low is None and high is None and "undefined in most resamples" in why
    else:
        assert low == 1.0 and high == 1.0 and why is None


def test_metrics_are_a_mapping_and_json_ready():
    import json

    m = agreement([1, 0, 1], [1, 1, 1])
    d = m.to_dict()
    assert json.loads(json.dumps(d))["confusion"] == [[0, 1], [0, 2]]
    assert set(d) >= {"n", "accuracy", "precision", "recall", "specificity", "f1", "kappa",
                      "kappa_ci_low", "kappa_ci_high", "confusion", "verdict"}
    assert m["kappa"] == m.kappa
