"""Conversations: follow-up questions keep what was asked, run and answered before.

A :class:`Conversation` holds the Messages-API history (questions, the model's tool calls,
the tool results and the answers), so "and on relevance?" after "which experiment is best
on faithfulness?" needs no repeating. Older questions are dropped from the front, whole,
once there are more than :data:`MAX_QUESTIONS` (a long session stays inside the model's
context and the token budget).

Conversations live in memory in the process that runs the copilot (the Jupyter server for
a server's store): :data:`REGISTRY` keeps the most recent ones by id. An id is a random
64-bit capability, like a job id: whoever holds it (and may ask the copilot) continues the
conversation. Users are not compared: a Jupyter server without JupyterHub names each
token-authenticated request a new anonymous user.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Any

from ..errors import NotFoundError

MAX_QUESTIONS = 8
MAX_CONVERSATIONS = 200


class Conversation:
    def __init__(self, owner: str | None = None, datasets: list[str] | None = None):
        self.id = secrets.token_hex(8)
        self.owner = owner
        self.datasets = datasets
        self.messages: list[dict[str, Any]] = []
        self.answers: list[Any] = []  # Answer objects, oldest first
        self._starts: list[int] = []  # index in messages where each question begins
        self.lock = threading.Lock()  # one question at a time per conversation

    def __repr__(self) -> str:
        return f"<Conversation {self.id} questions={len(self.answers)}>"

    def history(self) -> list[dict[str, Any]]:
        """The messages of the questions kept, to send before a new question."""
        return list(self.messages)

    def record(self, new_messages: list[dict[str, Any]], answer: Any) -> None:
        """Append one question's messages (its question first, its answer last)."""
        self._starts.append(len(self.messages))
        self.messages.extend(new_messages)
        self.answers.append(answer)
        while len(self._starts) > MAX_QUESTIONS:
            cut = self._starts[1]
            self.messages = self.messages[cut:]
            self._starts = [s - cut for s in self._starts[1:]]


class Registry:
    """The newest conversations by id (at most ``size``), with who started them."""

    def __init__(self, size: int = MAX_CONVERSATIONS):
        self.size = size
        self._items: OrderedDict[str, Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def new(self, owner: str | None = None, datasets: list[str] | None = None) -> Conversation:
        conv = Conversation(owner, datasets)
        with self._lock:
            self._items[conv.id] = conv
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return conv

    def get(self, conv_id: str) -> Conversation:
        """The conversation ``conv_id``; NotFoundError when it is unknown or forgotten."""
        with self._lock:
            conv = self._items.get(conv_id)
            if conv is not None:
                self._items.move_to_end(conv_id)
        if conv is None:
            raise NotFoundError(f"no conversation {conv_id!r} (it may have ended long ago); "
                                "ask without one to start a new conversation.")
        return conv


REGISTRY = Registry()
