"""Alignment: people label records, an LLM judge is calibrated against them, and the
disagreements teach the judge better criteria.

* :class:`Annotations` (``axis.annotations(name)``): labels in the store, with history;
* :func:`agreement`: the metrics of two label vectors (kappa with a bootstrap interval);
* :func:`calibrate` (``axis.calibrate(name, judge=...)``) -> :class:`Calibration`:
  ``records``, ``metrics``, ``misalignment()``, ``optimize()``, ``apply()``, ``history()``;
* judges (:mod:`.judges`): configurations saved and versioned in the store;
* few-shot suggestions (:mod:`.fewshot`); pattern discovery of the critiques
  (:mod:`axis_jupyter.patterns`).
"""

from __future__ import annotations

from .annotations import Annotations
from .calibration import Calibration, calibrate
from .judges import JudgeSpec
from .metrics import AgreementMetrics, agreement

__all__ = ["AgreementMetrics", "Annotations", "Calibration", "JudgeSpec", "agreement",
           "calibrate"]
