"""LLM-judged metrics. Importing this package registers them."""

from . import context, conversation, rag, reference, rubric  # noqa: F401  (registration side effect)
from .base import JudgeSession, LLMMetric
from .rubric import RubricJudge, binary_judge, rubric_class

__all__ = ["JudgeSession", "LLMMetric", "RubricJudge", "binary_judge", "rubric_class"]
