"""Agreement between two binary raters (a person and an LLM judge).

Positive class = 1 = accept. The confusion matrix is ``[[TN, FP], [FN, TP]]``: rows the
human label, columns the judge's. Formulas (the reference's §5):

    accuracy    = (TP + TN) / n
    precision   = TP / (TP + FP)            undefined if the judge accepted nothing
    recall      = TP / (TP + FN)            undefined if the humans accepted nothing
    specificity = TN / (TN + FP)            undefined if the humans rejected nothing
    f1          = 2TP / (2TP + FP + FN)     (= 2PR/(P+R)); undefined if nobody accepted
    kappa       = (p_o - p_e) / (1 - p_e)   undefined if p_e = 1 (both gave one same label)

An undefined ratio is ``None`` and ``reasons[name]`` says why; never a crash or a silent 0.

The kappa interval is a percentile bootstrap over the label pairs. Resampling n pairs
with replacement only changes how many pairs fall in each of the four cells, and those
counts are exactly Multinomial(n, observed cell shares); so each resample is drawn as
four counts, not n indices: ``rng.multinomial`` gives all B resamples as a B x 4 array and
kappa is computed for all of them at once. The same distribution as resampling indices, in
O(B) instead of O(B n). Resamples where kappa is undefined are left out; if more than
half are, the interval is ``None`` (and with fewer than 2 pairs there is none either). Seeded (``seed``, default 0): the same labels give
the same interval.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import numpy as np

from ..errors import ParameterError

BANDS = ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
         (math.inf, "almost perfect"))
_ACCEPT = {"1", "1.0", "accept", "accepted", "pass", "passed", "true", "yes", "y", "good"}
_REJECT = {"0", "0.0", "reject", "rejected", "fail", "failed", "false", "no", "n", "bad"}


@dataclass(frozen=True)
class AgreementMetrics:
    """Agreement of two binary label vectors; see the module docstring for the formulas.

    ``kappa_band``: poor (< 0), slight (< 0.2), fair, moderate, substantial, almost perfect
    (> 0.8). ``verdict``: ``aligned`` (FP = FN), ``too lenient`` (FP > FN: the judge
    accepts what people reject) or ``too strict`` (FN > FP). ``reasons``: why a value is
    None. ``n_skipped``: pairs left out because a label was missing.
    """

    n: int
    accuracy: float | None
    precision: float | None
    recall: float | None
    specificity: float | None
    f1: float | None
    kappa: float | None
    kappa_ci_low: float | None
    kappa_ci_high: float | None
    confusion: list[list[int]]
    verdict: str | None
    kappa_band: str | None
    agreement_count: int
    tp: int
    tn: int
    fp: int
    fn: int
    n_skipped: int = 0
    confidence: float = 0.95
    bootstrap: int = 2000
    seed: int | None = 0
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def keys(self):
        return self.to_dict().keys()


def binary(value: Any, name: str = "label") -> int | None:
    """1 (accept), 0 (reject) or None (missing) from 0/1, booleans or words such as
    accept/reject, pass/fail; anything else is a ParameterError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if value in (0.0, 1.0):
            return int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "" or text in ("nan", "none", "null"):
            return None
        if text in _ACCEPT:
            return 1
        if text in _REJECT:
            return 0
    raise ParameterError(f"{name} must be 0/1 (or accept/reject, true/false), not {value!r}.",
                         param=name)


def as_pairs(human: Iterable[Any], judge: Iterable[Any]) -> tuple[np.ndarray, np.ndarray, int]:
    """Two int8 arrays of the pairs where both labels are present, and how many were not."""
    h = _labels(human, "human")
    j = _labels(judge, "judge")
    if len(h) != len(j):
        raise ParameterError(f"human and judge must have the same length ({len(h)} != {len(j)}).",
                             param="judge")
    keep = (h >= 0) & (j >= 0)
    return h[keep], j[keep], int((~keep).sum())


def _labels(values: Iterable[Any], name: str) -> np.ndarray:
    """-1 for missing; a fast path for clean numeric arrays (the 100k-pair case)."""
    arr = np.asarray(values if not isinstance(values, (str, bytes)) else [values])
    if arr.dtype.kind in "biu" or arr.dtype.kind == "f":
        arr_f = arr.astype(float)
        missing = np.isnan(arr_f)
        ok = missing | (arr_f == 0) | (arr_f == 1)
        if ok.all():
            out = np.where(missing, -1, arr_f).astype(np.int8)
            return out
    return np.array([(-1 if (b := binary(v, f"{name}[{i}]")) is None else b)
                     for i, v in enumerate(arr.tolist())], dtype=np.int8)


def _kappa_from_counts(tn, fp, fn, tp):
    """Cohen's kappa from cell counts (scalars or arrays); NaN where undefined."""
    tn, fp, fn, tp = (np.asarray(x, dtype=float) for x in (tn, fp, fn, tp))
    n = tn + fp + fn + tp
    with np.errstate(divide="ignore", invalid="ignore"):
        p_o = (tp + tn) / n
        p_e = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n)
        kappa = (p_o - p_e) / (1.0 - p_e)
    return np.where(np.isclose(p_e, 1.0) | (n == 0), np.nan, kappa)


def kappa_interval(tn: int, fp: int, fn: int, tp: int, *, resamples: int = 2000,
                   confidence: float = 0.95, seed: int | None = 0,
                   ) -> tuple[float | None, float | None, str | None]:
    """Percentile bootstrap interval of kappa from the four cell counts (see module doc):
    (low, high, reason when None)."""
    n = tn + fp + fn + tp
    if n < 2:
        return None, None, "a bootstrap interval needs at least 2 label pairs"
    if resamples < 1:
        return None, None, "no bootstrap resamples asked for"
    rng = np.random.default_rng(seed)
    shares = np.array([tn, fp, fn, tp], dtype=float) / n
    draws = rng.multinomial(n, shares, size=resamples)
    kappas = _kappa_from_counts(draws[:, 0], draws[:, 1], draws[:, 2], draws[:, 3])
    defined = kappas[~np.isnan(kappas)]
    if len(defined) * 2 < resamples:
        return None, None, ("kappa is undefined in most resamples (almost all pairs carry "
                            "one same label)")
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(defined, [alpha, 1.0 - alpha])
    return float(low), float(high), None


def band(kappa: float | None) -> str | None:
    if kappa is None:
        return None
    for upper, name in BANDS:
        if kappa < upper:
            return name
    return BANDS[-1][1]  # pragma: no cover - inf bound


def verdict_of(fp: int, fn: int, n: int) -> str | None:
    if n == 0:
        return None
    if fp > fn:
        return "too lenient"
    if fn > fp:
        return "too strict"
    return "aligned"


def _ratio(num: int, den: int, name: str, why: str, reasons: dict) -> float | None:
    if den == 0:
        reasons[name] = why
        return None
    return num / den


def agreement(human: Iterable[Any], judge: Iterable[Any], *, bootstrap: int = 2000,
              confidence: float = 0.95, seed: int | None = 0) -> AgreementMetrics:
    """Agreement metrics of two label vectors (0/1, booleans or accept/reject words; a
    missing label drops its pair). ``bootstrap`` resamples for the kappa interval (0: no
    interval), ``confidence`` its level, ``seed`` its random stream."""
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ParameterError("bootstrap must be an integer >= 0.", param="bootstrap")
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ParameterError("confidence must be a number between 0 and 1.", param="confidence")
    h, j, skipped = as_pairs(human, judge)
    # One pass over the pairs: cell index 2*human + judge -> counts [TN, FP, FN, TP].
    tn, fp, fn, tp = (int(c) for c in np.bincount(2 * h.astype(np.int64) + j, minlength=4))
    n = tn + fp + fn + tp
    reasons: dict[str, str] = {}
    if n == 0:
        reasons["n"] = "no label pairs (both labels present)"
    accuracy = _ratio(tp + tn, n, "accuracy", "no label pairs", reasons)
    precision = _ratio(tp, tp + fp, "precision", "the judge accepted no record", reasons)
    recall = _ratio(tp, tp + fn, "recall", "people accepted no record", reasons)
    specificity = _ratio(tn, tn + fp, "specificity", "people rejected no record", reasons)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn, "f1", "no record was accepted by either rater",
                reasons)
    kappa_value = float(_kappa_from_counts(tn, fp, fn, tp))
    kappa: float | None = None if math.isnan(kappa_value) else kappa_value
    if kappa is None:
        reasons["kappa"] = ("no label pairs" if n == 0 else
                            "both raters gave every record the same one label, so chance "
                            "agreement is 1 and kappa is undefined")
    low = high = None
    if kappa is None:
        reasons["kappa_ci"] = "kappa is undefined"
    elif bootstrap:
        low, high, why = kappa_interval(tn, fp, fn, tp, resamples=int(bootstrap),
                                        confidence=float(confidence), seed=seed)
        if why:
            reasons["kappa_ci"] = why
    else:
        reasons["kappa_ci"] = "bootstrap=0"
    return AgreementMetrics(
        n=n, accuracy=accuracy, precision=precision, recall=recall, specificity=specificity,
        f1=f1, kappa=kappa, kappa_ci_low=low, kappa_ci_high=high,
        confusion=[[tn, fp], [fn, tp]], verdict=verdict_of(fp, fn, n), kappa_band=band(kappa),
        agreement_count=tp + tn, tp=tp, tn=tn, fp=fp, fn=fn, n_skipped=skipped,
        confidence=float(confidence), bootstrap=int(bootstrap), seed=seed, reasons=reasons)
