"""Answering one question in this process: checks, the LLM loop and client, the work.

:func:`run_question` answers on a store here: with an API key the
:class:`~.agent.Agent` (tools, streaming, budget), without one the rule-based
:func:`~.quick.quick_insights`. It is the work function of every copilot job
(:mod:`.jobs`): the server's for HTTP and the view, the store's own for ``axis.ask``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

from .. import llm
from ..errors import ParameterError
from .agent import Agent
from .answer import Answer
from .budget import Budget
from .conversation import Conversation
from .quick import quick_insights
from .skills import load_skills

MAX_QUESTION = 4000
_JUDGES_LOCK = threading.Lock()


def check_question(question: Any) -> str:
    if not isinstance(question, str) or not question.strip():
        raise ParameterError("question must be non-empty text.", param="question")
    if len(question) > MAX_QUESTION:
        raise ParameterError(f"question must be at most {MAX_QUESTION} characters.",
                             param="question")
    return question.strip()


def check_datasets(store, datasets: Any) -> list[str] | None:
    if datasets is None:
        return None
    if isinstance(datasets, str):
        datasets = [d.strip() for d in datasets.split(",") if d.strip()]
    if not isinstance(datasets, (list, tuple)) or not all(isinstance(d, str) for d in datasets):
        raise ParameterError("datasets must be a list of dataset names.", param="datasets")
    for name in datasets:
        store.info(name)  # NotFoundError names the unknown one
    return list(datasets) or None


def configured() -> bool:
    """True when answers in words are possible (an API key is set)."""
    return llm.configured()


def make_judge(**overrides: Any) -> llm.Judge:
    """The LLM layer's client for the copilot: ``AXIS_COPILOT_MODEL`` (else the judge
    model), no verdict cache (every question is new), streaming."""
    import os

    model = os.environ.get("AXIS_COPILOT_MODEL") or None
    return llm.Judge(llm.JudgeConfig.from_env(model=model, cache=False, max_tokens=4096,
                                              **overrides))


def run_question(store, question: str, conversation: Conversation, *,
                 datasets: list[str] | None = None, budget: Budget | dict | None = None,
                 emit: Callable[[str, Any], None] | None = None,
                 cancelled: Callable[[], bool] | None = None, judge: llm.Judge | None = None,
                 skills=None) -> Answer:
    """Answer ``question`` on ``store`` here, on the calling thread (which must not be
    running an event loop), emitting steps through ``emit`` as they happen."""
    question = check_question(question)
    emit = emit or (lambda event, data: None)
    if judge is None and not configured():
        answer = quick_insights(store, question, datasets)
        answer.conversation = conversation.id
        for step in answer.steps:
            emit("thought", step.to_dict())
        return answer
    judge = judge or shared_judge()
    agent = Agent(store, judge, datasets=datasets, budget=Budget.coerce(budget),
                  skills=load_skills() if skills is None else skills, emit=emit,
                  cancelled=cancelled)
    with conversation.lock:
        return LLM_LOOP.run(agent.ask(question, conversation))


def store_to_connect(store) -> str | None:
    """What ``answer.code()`` passes to ``axis_jupyter.connect`` for an answer of
    ``axis.ask`` on an embedded store: None when a plain ``connect()`` opens the same file
    (the default store), else its path (``":memory:"`` for a throwaway store, which no
    code can open again). The Jupyter server's answers keep None: a kernel's
    ``connect()`` reaches that store."""
    from pathlib import Path

    from .. import config

    location = getattr(store, "location", None)
    if location is None or location == ":memory:":
        return location
    default = config.default_store_path()
    if default != ":memory:" and Path(default).expanduser().resolve() == Path(location).resolve():
        return None
    return str(location)


class _LLMLoop:
    """One event loop thread for every question of this process.

    The anthropic client (its connection pool, its TLS context: ~130 ms to build) belongs
    to the loop it was made on; with one loop, questions reuse one client per model and
    key instead of building one each (the Jupyter server answers many). Tools run in
    worker threads, so one question's DuckDB work never stalls another's stream."""

    def __init__(self):
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, coro):
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                                name="axis-copilot-llm")
                self._thread.start()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result()


LLM_LOOP = _LLMLoop()
_JUDGES: dict[tuple, llm.Judge] = {}


def shared_judge() -> llm.Judge:
    """The copilot's judge for the current configuration (key, base URL, model), kept for
    the next question (see :class:`_LLMLoop`)."""
    import os

    key = (os.environ.get("ANTHROPIC_API_KEY"), os.environ.get("ANTHROPIC_BASE_URL"),
           os.environ.get("AXIS_COPILOT_MODEL"), os.environ.get("AXIS_JUDGE_MODEL"))
    with _JUDGES_LOCK:
        judge = _JUDGES.get(key)
        if judge is None:
            if len(_JUDGES) > 8:
                _JUDGES.clear()
            judge = _JUDGES[key] = make_judge()
        return judge
