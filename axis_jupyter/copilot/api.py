"""``axis.ask(question)``: the copilot's entry point for Python, the magic and the server.

:func:`run_question` answers one question on a store in this process: with an API key the
:class:`~.agent.Agent` (tools, streaming, budget), without one the rule-based
:func:`~.quick.quick_insights`. It is the work function of the server's ``copilot`` jobs
and of :func:`ask` in a notebook or script. Follow-up questions continue a
:class:`~.conversation.Conversation`: ``axis.ask`` keeps one per store (``new=True``
starts another), the widget keeps its own, the HTTP API passes its id.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any, Callable

from .. import llm
from ..errors import ParameterError
from .agent import Agent
from .answer import Answer
from .budget import Budget
from .conversation import REGISTRY, Conversation
from .quick import quick_insights
from .skills import load_skills

MAX_QUESTION = 4000
_DEFAULT: "weakref.WeakKeyDictionary[Any, Conversation]" = weakref.WeakKeyDictionary()
_DEFAULT_LOCK = threading.Lock()


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


def default_conversation(store, new: bool = False) -> Conversation:
    """The conversation ``axis.ask`` continues on ``store`` (a fresh one with ``new``)."""
    with _DEFAULT_LOCK:
        conv = _DEFAULT.get(store)
        if conv is None or new:
            conv = _DEFAULT[store] = REGISTRY.new()
        return conv


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
    with _DEFAULT_LOCK:
        judge = _JUDGES.get(key)
        if judge is None:
            if len(_JUDGES) > 8:
                _JUDGES.clear()
            judge = _JUDGES[key] = make_judge()
        return judge


def ask(store, question: str, *, datasets=None, new: bool = False,
        conversation: "Conversation | str | None" = None, budget=None,
        on_event: Callable[[str, Any], None] | None = None, judge: llm.Judge | None = None) -> Answer:
    """Answer ``question`` about the data in ``store``, continuing the store's conversation
    unless ``new`` (or another ``conversation``, an Answer's ``.conversation`` id) is given.
    ``on_event(event, data)`` sees each step as it happens, on the calling thread.

    Where it runs: for the Jupyter server's store (a ``RemoteStore``) as a server job, its
    events followed over HTTP; for an embedded store as a job of the store's runner here.
    ``judge``: the LLM client to use (tests pass one with a recorded backoff sleep)."""
    if _is_remote(store):
        return _ask_remote(store, question, datasets=datasets, new=new,
                           conversation=conversation, budget=budget, on_event=on_event)
    question = check_question(question)
    datasets = check_datasets(store, datasets)
    if isinstance(conversation, str):
        conv = REGISTRY.get(conversation)
    else:
        conv = conversation or default_conversation(store, new=new)
    from . import jobs

    job, _ = jobs.start(store, question, conversation=conv, datasets=datasets, budget=budget,
                        judge=judge)
    job.follow(on_event)
    return Answer.from_dict(job.outcome())


def _is_remote(store) -> bool:
    """The Jupyter server's store, reached over HTTP (its jobs run in the server)."""
    from ..store.remote import RemoteStore

    return isinstance(store, RemoteStore)


_REMOTE_CONVERSATIONS: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


def _ask_remote(store, question, *, datasets, new, conversation, budget, on_event) -> Answer:
    """The question as a job of the Jupyter server (``POST copilot``), followed here."""
    conv_id = conversation if isinstance(conversation, str) else None
    if conv_id is None and not new:
        conv_id = _REMOTE_CONVERSATIONS.get(store)
    if isinstance(datasets, str):
        datasets = [d.strip() for d in datasets.split(",") if d.strip()]
    body = {"question": question, "conversation": conv_id, "datasets": datasets,
            "budget": budget.__dict__ if isinstance(budget, Budget) else budget}
    started = store.request_json("POST", "copilot",
                                 json={k: v for k, v in body.items() if v is not None})
    _REMOTE_CONVERSATIONS[store] = started["conversation"]
    job = store.wait_job(started["job"]["id"], on_event)
    return Answer.from_dict(job["result"])
