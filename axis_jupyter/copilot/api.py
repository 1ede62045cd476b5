"""``axis.ask(question)``: the copilot's entry point for Python and the magic.

A question is a job (:mod:`.jobs`): for an embedded store a job of the store's runner in
this process, for the Jupyter server's store (``RemoteStore``) a server job started with
``POST copilot`` and followed over HTTP. Either way ``on_event`` sees the steps as they
happen and an :class:`~.answer.Answer` comes back. Follow-up questions continue a
:class:`~.conversation.Conversation`: ``axis.ask`` keeps one per store (``new=True`` starts
another), the widget keeps its own, the HTTP API passes its id.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable

from .. import llm
from . import jobs
from .answer import Answer
from .budget import Budget
from .conversation import REGISTRY, Conversation
from .run import (LLM_LOOP, check_datasets, check_question, configured, make_judge,  # noqa: F401
                  run_question, shared_judge, store_to_connect)

_DEFAULT: "weakref.WeakKeyDictionary[Any, Conversation]" = weakref.WeakKeyDictionary()
_DEFAULT_LOCK = threading.Lock()


def default_conversation(store, new: bool = False) -> Conversation:
    """The conversation ``axis.ask`` continues on ``store`` (a fresh one with ``new``)."""
    with _DEFAULT_LOCK:
        conv = _DEFAULT.get(store)
        if conv is None or new:
            conv = _DEFAULT[store] = REGISTRY.new()
        return conv


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
    job, _ = jobs.start(store, question, conversation=conv, datasets=datasets, budget=budget,
                        judge=judge)
    job.follow(on_event)
    answer = Answer.from_dict(job.outcome())
    answer.store = store_to_connect(store)
    return answer


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
