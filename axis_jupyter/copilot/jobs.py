"""Questions as jobs: the one path of the HTTP API, the copilot view and ``axis.ask``.

:func:`start` runs :func:`~.run.run_question` as a job of the store's runner (the Jupyter
server's for the server's store, the store's own in a kernel or script): its events are
the agent's ``thought`` and ``text`` events, then ``result`` (the answer as JSON) and
``done``. :func:`poll` gives the events after a sequence number, which is how the copilot
view follows a question through either transport.
"""

from __future__ import annotations

from typing import Any

from . import run
from .budget import Budget
from .conversation import REGISTRY, Conversation

KIND = "copilot"


def start(store, question: Any, *, conversation: str | Conversation | None = None,
          datasets: Any = None, budget: Any = None, owner: str | None = None, runner=None,
          judge=None):
    """Start answering ``question`` as a job; returns ``(job, conversation)``. Everything
    is checked before the job starts (ParameterError/NotFoundError name the problem).
    ``conversation``: an id or a Conversation to continue (None: a new one)."""
    question = run.check_question(question)
    datasets = run.check_datasets(store, datasets)
    budget = Budget.coerce(budget)
    if isinstance(conversation, Conversation):
        conv = conversation
    elif conversation:
        conv = REGISTRY.get(str(conversation))
        datasets = datasets if datasets is not None else conv.datasets
    else:
        conv = REGISTRY.new(owner, datasets)
    runner = runner if runner is not None else store.jobs

    def work(job):
        answer = run.run_question(store, question, conv, datasets=datasets, budget=budget,
                                  emit=job.emit, cancelled=lambda: job.cancelled, judge=judge)
        return answer.to_dict()

    job = runner.start(KIND, work, key=f"copilot:{conv.id}", owner=owner,
                       params={"question": question, "conversation": conv.id,
                               "datasets": datasets})
    return job, conv


def question_job(runner, job_id: str):
    """The copilot job ``job_id`` of ``runner`` (NotFoundError for any other job)."""
    return runner.get(job_id, KIND, "copilot question")


def poll(job, after: int = 0) -> dict:
    """``{state, events: [{seq, event, data}], answer (once succeeded), error}``: the job's
    events after sequence number ``after``."""
    return job.poll(after, "answer")
