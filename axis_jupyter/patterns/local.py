"""Local clustering: TF-IDF and agglomerative clustering with scikit-learn.

No network and no model download, so pattern discovery works offline, on air-gapped hubs
and in tests. Short notes share few whole words ("too verbose" / "verbosity again"), so
the similarity mixes word TF-IDF with character n-gram TF-IDF (3-5 characters inside word
boundaries), which sees "verbose" and "verbosity" as close. Clusters are cut from an
average-linkage tree at a cosine distance (``distance_threshold``); singletons and
smaller-than-``min_size`` groups are *uncategorised*, not clusters. Names come from the
word TF-IDF alone (readable terms): the top three terms of a cluster's mean vector.

Deterministic: the same notes in the same order give the same clusters.
"""

from __future__ import annotations

import numpy as np

from .clusters import Cluster, examples_of
from .evidence import Note

DEFAULT_DISTANCE = 0.88


def _features(texts: list[str]):
    """(similarity features, word TF-IDF matrix, word vocabulary) or None without terms."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    words = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True,
                            strip_accents="unicode", token_pattern=r"(?u)\b[^\W\d_]{2,}\b")
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                            strip_accents="unicode")
    try:
        w = words.fit_transform(texts)
        vocab = words.get_feature_names_out()
    except ValueError:  # only stop words / digits: no word features
        w, vocab = None, np.array([], dtype=object)
    try:
        c = chars.fit_transform(texts)
    except ValueError:
        c = None
    parts = [m for m in (w, c) if m is not None]
    if not parts:
        return None
    x = normalize(sparse.hstack(parts).tocsr()) if len(parts) > 1 else parts[0]
    return x, w, vocab


def cluster_local(notes: list[Note], *, distance_threshold: float = DEFAULT_DISTANCE,
                  min_size: int = 2) -> tuple[list[Cluster], list[str]]:
    """Cluster the notes' texts; returns (clusters largest first, uncategorised ids)."""
    from sklearn.cluster import AgglomerativeClustering

    ids = [n.id for n in notes]
    texts = [n.text for n in notes]
    if len(notes) < 2:
        return [], ids
    feats = _features(texts)
    if feats is None:
        return [], ids
    x, w, vocab = feats
    sim = (x @ x.T).toarray()
    dist = np.clip(1.0 - sim, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                     distance_threshold=distance_threshold).fit_predict(dist)
    clusters: list[Cluster] = []
    uncategorised: list[str] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < max(2, min_size):
            uncategorised.extend(ids[i] for i in members)
            continue
        keywords = _top_terms(w, vocab, members, 5)
        name = " / ".join(k.title() for k in keywords[:3]) or f"Pattern {len(clusters) + 1}"
        centre = np.asarray(x[members].mean(axis=0)).ravel()
        norm = np.linalg.norm(centre)
        confidence = float(np.clip((x[members] @ (centre / norm)).mean(), 0, 1)) if norm else 0.0
        clusters.append(Cluster(
            category=name,
            description="Topics: " + ", ".join(keywords) if keywords else "Similar notes",
            record_ids=[ids[i] for i in members],
            examples=examples_of([texts[i] for i in members]),
            keywords=keywords, confidence=round(confidence, 4), method="local"))
    clusters.sort(key=lambda c: (-c.count, c.record_ids[0]))
    uncategorised_set = set(uncategorised)
    return clusters, [i for i in ids if i in uncategorised_set]


def _top_terms(w, vocab, members: np.ndarray, n: int) -> list[str]:
    """The ``n`` terms with the highest mean word TF-IDF in the cluster; a bigram is
    skipped when one of its words is already listed (no "verbose / too verbose")."""
    if w is None or not len(vocab):
        return []
    mean = np.asarray(w[members].mean(axis=0)).ravel()
    order = np.argsort(-mean, kind="stable")
    out: list[str] = []
    taken: set[str] = set()
    for j in order:
        if mean[j] <= 0 or len(out) >= n:
            break
        term = str(vocab[j])
        parts = term.split()
        if any(p in taken for p in parts) or term in taken:
            continue
        out.append(term)
        taken.update(parts)
    return out
