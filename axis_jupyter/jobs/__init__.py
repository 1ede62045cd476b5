"""One job model for every long task: uploads, syncs and evaluation runs.

The work function receives its :class:`Job` and reports through it::

    def work(job):
        for i, part in enumerate(parts):
            job.check_cancelled()              # raises JobCancelled once cancel was asked
            ...                                # (or poll job.cancel_event in blocking code)
            job.progress(done=i + 1, total=len(parts), stage="scoring")
            job.log(f"part {i} ok")
        return {"rows": 123}                   # becomes job.result

    runner = JobRunner(max_workers=4)
    job = runner.start("eval_run", work, key="eval:my_dataset", params={...})

States: ``queued -> running -> succeeded | failed | cancelled``. Events, each with a
sequence number ``seq``: ``progress`` (the merged progress dict), ``log``, ``result``,
``error`` ({message, type}), custom ones from :meth:`Job.emit`, and always last ``done``
(the job without its result). Who observes them:

* the server extension streams them as Server-Sent Events (``GET axis/api/jobs/{id}/events``,
  resuming with ``Last-Event-ID`` through :meth:`Job.events_after`), waking on
  :meth:`Job.subscribe_async` — an asyncio.Event set thread-safely from the worker;
* Python and the magic block in :meth:`Job.follow`, which calls ``on_event(event, data)``
  on the caller's thread (a progress bar updates from there), or :meth:`Job.wait_sync`;
* any code may :meth:`Job.subscribe` a callback run on the emitting thread.

Which runner: a :class:`~axis_jupyter.store.local.LocalStore` has one (``store.jobs``):
its own, created on first use, or the one it was opened with — the Jupyter server opens
its store with the server's runner, so every job on that store is a server job.
"""

from .job import FINAL_STATES, STATES, Event, Job, JobCancelled
from .runner import JobRunner

__all__ = ["FINAL_STATES", "STATES", "Event", "Job", "JobCancelled", "JobRunner"]
