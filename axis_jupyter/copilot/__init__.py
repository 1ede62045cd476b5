"""The copilot: ask the data in plain words, get answers that show their queries.

``axis.ask("which experiment is best on faithfulness, and is it significant?")`` returns an
:class:`~.answer.Answer` (``text``, ``queries``, ``steps``, ``code()``). A tool-using agent
(:mod:`.agent`) calls read-only tools (:mod:`.tools`) through the LLM layer; skills are
files (:mod:`.skills`); without an API key the answer is rule-based quick insights
(:mod:`.quick`). See :mod:`.api` for the entry points.
"""

from .answer import Answer, QueryRecord, Step
from .api import ask
from .run import configured, run_question
from .budget import Budget
from .conversation import REGISTRY, Conversation
from .skills import Skill, Skills, load_skills

__all__ = ["REGISTRY", "Answer", "Budget", "Conversation", "QueryRecord", "Skill", "Skills",
           "Step", "ask", "configured", "load_skills", "run_question"]
