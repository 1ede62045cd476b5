"""What the copilot view shows (reference: upstream-ui.md §3 "Copilot UI").

The view needs no dataset (``dataset`` scopes the conversation to one when given). A
question is a job of the store's runner (:mod:`axis_jupyter.copilot.jobs`), followed by
polling ``events``, so it streams the same way through HTTP and through the kernel.

``setup``   -> {configured, model, note (what answers in words need), context (datasets,
            records, metrics), suggestions (4 questions), skills}
``ask``     {question, conversation?} -> {job_id, conversation}
``events``  {job_id, after} -> {state, events: [{seq, event, data}], answer, error}
            (events: ``thought``, ``text`` {id, delta}, ``result``, ``error``, ``done``)
``cancel``  {job_id} -> {state}
"""

from __future__ import annotations

from ..copilot import api, jobs
from ..copilot.quick import KINDS, NO_KEY_NOTE
from ..copilot.skills import load_skills
from .registry import ViewSpec

VIEW = "copilot"


def suggestions(names: list[str]) -> list[str]:
    """Four questions for the empty state, like the reference's: the main insights, the
    metrics below threshold, a comparison of experiments and a summary."""
    first = names[0] if names else "my data"
    return [f"What are the main insights in {first}?",
            f"Which metrics of {first} are below 0.5, and what do their failing cases share?",
            f"Which experiment in {first} is best, and is the difference significant?",
            f"Summarise {first} in five lines."]


def setup(store, dataset: str | None = None) -> dict:
    infos = [store.info(n) for n in ([dataset] if dataset else list(store.datasets()["name"]))]
    infos = [i for i in infos if i.get("kind") in KINDS]
    configured = api.configured()
    return {"configured": configured,
            "model": api.make_judge().model if configured else None,
            "note": None if configured else NO_KEY_NOTE.replace("`", ""),
            "context": {"datasets": len(infos),
                        "records": sum(int(i.get("records") or 0) for i in infos),
                        "metrics": len({m for i in infos for m in (i.get("metrics") or [])})},
            "suggestions": suggestions([i["name"] for i in infos]),
            "skills": load_skills().names(), "dataset": dataset}


def ask(store, dataset: str | None = None, question: str | None = None,
        conversation: str | None = None) -> dict:
    job, conv = jobs.start(store, question, conversation=conversation,
                           datasets=[dataset] if dataset else None)
    return {"job_id": job.id, "conversation": conv.id}


def events(store, dataset: str | None = None, job_id: str | None = None, after: int = 0) -> dict:
    return jobs.poll(jobs.question_job(store.jobs, job_id or ""), after)


def cancel(store, dataset: str | None = None, job_id: str | None = None) -> dict:
    job = jobs.question_job(store.jobs, job_id or "")
    if not job.done:
        job.cancel()
    return {"state": job.state}


SPEC = ViewSpec(VIEW, "ask the data in plain words: thoughts, tool calls and answers",
                actions={"setup": setup, "ask": ask, "events": events, "cancel": cancel}, kinds=(),
                # asking over HTTP also needs write on axis:copilot, as POST copilot does
                guarded={"ask": "axis:copilot", "cancel": "axis:copilot"})
