"""Alignment benchmark (issue 13): kappa with its bootstrap interval, and local clustering.

Side by side in one run:

(a) Cohen's kappa and its 95% bootstrap interval (2,000 resamples) on 100,000 label pairs:
    * axis   - ``axis_jupyter.alignment.agreement(human, judge)``: one ``bincount`` for the
               confusion matrix, and the resamples drawn as Multinomial cell counts (the
               same distribution as resampling pairs) with kappa computed for all of them
               as arrays;
    * pandas - the straightforward version: ``pd.crosstab`` for the confusion matrix, then
               2,000 times ``df.sample(n, replace=True)`` + ``pd.crosstab`` + the formula,
               and ``np.percentile``;
    * numpy  - the textbook bootstrap written with numpy: 2,000 times draw n indices,
               ``np.bincount`` the resampled cells, the formula (what is left once pandas'
               per-call overhead is gone: the gain of drawing cell counts instead).
    Kappa must be equal; the intervals agree to within 0.01 (different random streams).
(b) local clustering of 2,000 notes (20 themes written several ways, with noise words):
    * axis   - ``axis_jupyter.patterns.cluster_local``: scikit-learn TF-IDF (words and
               character n-grams), one sparse product for all cosine similarities,
               average-linkage agglomerative clustering;
    * python - the straightforward version: TF-IDF with ``collections.Counter`` dicts,
               cosine similarity of every pair in Python, and clusters as the connected
               groups of pairs above the similarity cut (union-find).
    Both are scored against the themes with scikit-learn's adjusted Rand index.

Run: ``.venv/bin/python benchmarks/bench_alignment.py [--pairs N] [--notes M] [--resamples B]``.
Writes ``benchmarks/results/alignment.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.common import best_of, save, table  # noqa: E402

THEMES = [
    ("verbose", ["too verbose", "far too long winded", "verbose, needs trimming",
                 "verbosity buries the answer"]),
    ("hallucination", ["hallucinated a citation", "invented a source", "made up statistics",
                       "hallucinated facts"]),
    ("partial", ["missed the second question", "only answered half the question",
                 "ignored part of the question", "second part unanswered"]),
    ("tone", ["rude tone", "condescending tone", "tone is dismissive", "impolite wording"]),
    ("format", ["broken markdown table", "formatting is broken", "markdown renders badly",
                "list formatting wrong"]),
    ("math", ["arithmetic error", "wrong calculation", "miscalculated the total",
              "math mistake in step two"]),
    ("outdated", ["outdated information", "old pricing quoted", "stale data from last year",
                  "out of date policy"]),
    ("refusal", ["refused a safe request", "unnecessary refusal", "over refusal on benign ask",
                 "refused without reason"]),
    ("language", ["answered in the wrong language", "replied in english to a french question",
                  "language mismatch", "wrong reply language"]),
    ("code", ["code does not compile", "syntax error in code", "code sample broken",
              "buggy code snippet"]),
    ("privacy", ["leaked personal data", "exposed an email address", "shared private details",
                 "personal information disclosed"]),
    ("citation", ["no citations given", "missing sources", "uncited claims", "needs references"]),
    ("repetition", ["repeats itself", "repetitive answer", "same sentence repeated",
                    "redundant repetition"]),
    ("offtopic", ["off topic reply", "answered a different question", "irrelevant content",
                  "drifted off topic"]),
    ("units", ["wrong units", "mixed metric and imperial units", "unit conversion wrong",
               "units missing"]),
    ("dates", ["wrong date", "date format confusing", "incorrect year", "timezone mistake"]),
    ("links", ["broken link", "dead url", "link points nowhere", "404 link in answer"]),
    ("safety", ["unsafe medical advice", "dangerous instructions", "harmful suggestion",
                "risky advice given"]),
    ("length", ["too short to help", "answer too brief", "one word answer", "terse reply"]),
    ("names", ["misspelled the product name", "wrong product name", "brand name typo",
               "company name incorrect"]),
]
NOISE = ("really quite very again also here overall clearly somewhat maybe honestly "
         "basically").split()


def make_labels(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    human = (rng.random(n) < 0.55).astype(np.int8)
    flip = rng.random(n) < 0.18
    judge = np.where(flip, 1 - human, human).astype(np.int8)
    return human, judge


def pandas_kappa_bootstrap(human, judge, resamples: int, seed: int = 1):
    df = pd.DataFrame({"h": human, "j": judge})

    def kappa(frame):
        ct = pd.crosstab(frame["h"], frame["j"]).reindex(index=[0, 1], columns=[0, 1], fill_value=0)
        n = ct.values.sum()
        po = (ct.loc[0, 0] + ct.loc[1, 1]) / n
        pe = (ct.loc[0].sum() * ct[0].sum() + ct.loc[1].sum() * ct[1].sum()) / (n * n)
        return float("nan") if pe == 1 else (po - pe) / (1 - pe)

    k = kappa(df)
    ks = [kappa(df.sample(len(df), replace=True, random_state=seed + b)) for b in range(resamples)]
    ks = [x for x in ks if not math.isnan(x)]
    low, high = np.percentile(ks, [2.5, 97.5])
    return k, float(low), float(high)


def numpy_kappa_bootstrap(human, judge, resamples: int, seed: int = 2):
    h, j = human.astype(np.int64), judge.astype(np.int64)
    n = len(h)

    def kappa(cells):
        tn, fp, fn, tp = cells
        po = (tp + tn) / n
        pe = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n)
        return float("nan") if pe == 1 else (po - pe) / (1 - pe)

    rng = np.random.default_rng(seed)
    ks = []
    for _ in range(resamples):
        idx = rng.integers(0, n, n)
        ks.append(kappa(np.bincount(2 * h[idx] + j[idx], minlength=4)))
    ks = [x for x in ks if not math.isnan(x)]
    low, high = np.percentile(ks, [2.5, 97.5])
    return kappa(np.bincount(2 * h + j, minlength=4)), float(low), float(high)


def make_notes(n: int, seed: int = 0) -> tuple[list, list[str]]:
    from axis_jupyter.patterns import Note

    rng = random.Random(seed)
    notes, truth = [], []
    for i in range(n):
        theme, texts = THEMES[i % len(THEMES)]
        words = rng.choice(texts).split()
        for _ in range(rng.randint(0, 2)):
            words.insert(rng.randint(0, len(words)), rng.choice(NOISE))
        notes.append(Note(f"n{i:05d}", " ".join(words)))
        truth.append(theme)
    return notes, truth


STOP = set("a an the of to in is was for on with as by at from that this it be are or and not "
           "no".split())


def python_clusters(texts: list[str], cut: float) -> list[int]:
    """TF-IDF with Counters, every pair's cosine in Python, union-find over pairs >= cut."""
    docs = [Counter(w for w in t.lower().replace(",", " ").split() if w not in STOP) for t in texts]
    df = Counter(w for d in docs for w in d)
    n = len(docs)
    vecs = []
    for d in docs:
        v = {w: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[w])) + 1) for w, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({w: x / norm for w, x in v.items()})
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        vi = vecs[i]
        for j in range(i + 1, n):
            vj = vecs[j]
            small, big = (vi, vj) if len(vi) < len(vj) else (vj, vi)
            if sum(x * big.get(w, 0.0) for w, x in small.items()) >= cut:
                a, b = find(i), find(j)
                if a != b:
                    parent[b] = a
    return [find(i) for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=100_000)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--notes", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from sklearn.metrics import adjusted_rand_score

    from axis_jupyter.alignment import agreement
    from axis_jupyter.patterns import cluster_local

    # (a) kappa + bootstrap
    human, judge = make_labels(args.pairs)
    axis_s, m = best_of(lambda: agreement(human, judge, bootstrap=args.resamples), args.repeat)
    t0 = time.perf_counter()
    k, low, high = pandas_kappa_bootstrap(human, judge, args.resamples)
    pandas_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nk, nlow, nhigh = numpy_kappa_bootstrap(human, judge, args.resamples)
    numpy_s = time.perf_counter() - t0
    assert abs(k - m.kappa) < 1e-12 and abs(nk - m.kappa) < 1e-12, (k, nk, m.kappa)
    assert abs(nlow - m.kappa_ci_low) < 0.01 and abs(nhigh - m.kappa_ci_high) < 0.01
    assert abs(low - m.kappa_ci_low) < 0.01 and abs(high - m.kappa_ci_high) < 0.01, \
        ((low, high), (m.kappa_ci_low, m.kappa_ci_high))

    # (b) local clustering
    notes, truth = make_notes(args.notes)
    cl_s, (clusters, loose) = best_of(lambda: cluster_local(notes), args.repeat)
    label_of = {i: c for c, cluster in enumerate(clusters) for i in cluster.record_ids}
    axis_labels = [label_of.get(n.id, -1 - k) for k, n in enumerate(notes)]
    t0 = time.perf_counter()
    py_labels = python_clusters([n.text for n in notes], cut=0.5)
    py_s = time.perf_counter() - t0
    ari_axis = adjusted_rand_score(truth, axis_labels)
    ari_py = adjusted_rand_score(truth, py_labels)

    rows = [
        (f"kappa + {args.resamples:,}-resample interval, {args.pairs:,} pairs", "axis",
         f"{axis_s * 1000:.1f}", "1.00", f"κ={m.kappa:.4f} [{m.kappa_ci_low:.4f}, {m.kappa_ci_high:.4f}]"),
        ("", "pandas", f"{pandas_s * 1000:.1f}", f"{pandas_s / axis_s:.0f}",
         f"κ={k:.4f} [{low:.4f}, {high:.4f}]"),
        ("", "numpy (resampling indices)", f"{numpy_s * 1000:.1f}", f"{numpy_s / axis_s:.0f}",
         f"κ={nk:.4f} [{nlow:.4f}, {nhigh:.4f}]"),
        (f"local clustering, {args.notes:,} notes", "axis", f"{cl_s * 1000:.1f}", "1.00",
         f"{len(clusters)} clusters, ARI {ari_axis:.3f}"),
        ("", "python", f"{py_s * 1000:.1f}", f"{py_s / cl_s:.1f}",
         f"{len(set(py_labels))} groups, ARI {ari_py:.3f}"),
    ]
    print(table(rows, ("task", "path", "wall ms", "× axis", "result")))
    save("alignment", {
        "pairs": args.pairs, "resamples": args.resamples, "notes": args.notes,
        "kappa": {"axis_s": axis_s, "pandas_s": pandas_s, "ratio": pandas_s / axis_s,
                  "numpy_s": numpy_s, "numpy_ratio": numpy_s / axis_s,
                  "kappa": m.kappa, "axis_ci": [m.kappa_ci_low, m.kappa_ci_high],
                  "pandas_ci": [low, high]},
        "clustering": {"axis_s": cl_s, "python_s": py_s, "ratio": py_s / cl_s,
                       "axis_clusters": len(clusters), "axis_uncategorised": len(loose),
                       "ari_axis": ari_axis, "ari_python": ari_py}})


if __name__ == "__main__":
    main()
