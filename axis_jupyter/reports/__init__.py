"""Reports: the issues of an evaluation written up by a model (reference §8.1).

``ds.issues(mode, threshold, ...)`` extracts the issues in SQL (the ``issues`` analytic,
:mod:`axis_jupyter.analytics.issues`); ``ds.report(kind, ...)`` groups them by metric
(:mod:`.context`), asks the model for a summary, detailed, grouped or recommendations
report (:mod:`.prompts`), streams it with its thought events (:mod:`.generate`) and returns
a :class:`~.report.Report` that exports to a Markdown file.
"""

from .generate import generate_report, subtree_metrics
from .prompts import KINDS
from .report import Report

__all__ = ["KINDS", "Report", "generate_report", "subtree_metrics"]
