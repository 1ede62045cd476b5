"""HTTP API of the copilot (``auth_resource = "axis:copilot"``).

Routes, relative to ``{base_url}axis/api/``:

  GET   copilot              status: configured (an API key is set), model, skills, budget
  POST  copilot              {question, conversation?, datasets?, budget?} -> 202 {job, events,
                             conversation}: the question runs as a server job; its SSE stream
                             at jobs/{id}/events carries ``thought`` (steps: reasoning, tool
                             calls with their SQL, observations, errors) and ``text``
                             (``{id, delta}``, the model's words as they stream), then
                             ``result`` (the answer: text, queries, steps, tokens, cost) and
                             ``done``
  GET   copilot/{job_id}     the job and, once it finished, its answer

A follow-up passes the ``conversation`` id of an earlier answer (an unknown or forgotten
id is a 404); one question runs at a time in each conversation (409). Like job ids, a
conversation id is a random capability: whoever holds it and may ask continues it. Without ``ANTHROPIC_API_KEY`` the answer is the rule-based quick insights.

Authorization: GET needs ``read``; asking (POST) is a ``write`` on ``axis:copilot`` — it
spends the server owner's model budget and runs SQL that the question steers (through the
read-only guard), so the hub scope table asks for write and execute (see hub_auth).
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import params as P
from .base import AxisHandler
from .params import Body, Spec, described

BUDGET = {"type": "object", "properties": {
    "tool_calls": P.integer(1, 100), "tokens": P.integer(1000, 5_000_000),
    "cost": P.number(0.0001, 1000)}, "additionalProperties": False}


class _CopilotBase(AxisHandler):
    auth_resource = "axis:copilot"

    @property
    def user_name(self) -> str | None:
        user = self.current_user
        return getattr(user, "username", None) if user is not None else None


class CopilotHandler(_CopilotBase):
    params = {"post": Spec(body=Body({
        "question": described({"type": "string", "minLength": 1, "maxLength": 4000},
                              "the question, in plain words"),
        "conversation": described(P.STRING, "id of the conversation to continue (the "
                                            "'conversation' of an earlier answer)"),
        "datasets": described(P.STRINGS, "limit the copilot to these datasets"),
        "budget": described(BUDGET, "this question's limits: tool_calls, tokens, cost (USD)")},
        required=("question",)))}
    openapi = {"post": {"responses": {"202": "the question's job, its events URL and the "
                                             "conversation id",
                                      "409": "the conversation is answering another question"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Copilot status: whether answers in words are possible, the model, the skills."""
        from axis_jupyter.copilot import api, load_skills
        from axis_jupyter.copilot.budget import Budget
        from axis_jupyter.copilot.tools import row_cap_from_env

        skills = await self.run_blocking(load_skills)
        budget = Budget.from_env()
        model = None
        if api.configured():
            model = await self.run_blocking(lambda: api.make_judge().model)
        self.write_json({
            "configured": api.configured(), "model": model,
            "skills": [s.to_dict() for s in skills.enabled()], "skill_errors": len(skills.errors),
            "budget": {"tool_calls": budget.tool_calls, "tokens": budget.tokens,
                       "cost": budget.cost},
            "row_cap": row_cap_from_env(),
            "tools": ["list_datasets", "describe_dataset", "run_sql", "run_analytic",
                      "sample_cases", "use_skill"]})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Ask a question; it is answered by a server job (events: thought, text, result)."""
        from axis_jupyter.copilot import jobs

        body = self.body_args()
        job, conv = await self.run_blocking(
            jobs.start, self.store, body.get("question"), conversation=body.get("conversation"),
            datasets=body.get("datasets"), budget=body.get("budget"), owner=self.user_name,
            runner=self.jobs)
        url = f"{self.axis.api_path}jobs/{job.id}"
        self.set_header("Location", url)
        self.write_json({"job": job.to_dict(), "events": f"{url}/events",
                         "conversation": conv.id}, status=202)


class CopilotAnswerHandler(_CopilotBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str):
        """A question's job and, when it has finished, its answer."""
        from axis_jupyter.copilot import jobs

        job = jobs.question_job(self.jobs, job_id)
        d = job.to_dict(result=False)
        self.write_json({"job": d, "answer": job.result if job.state == "succeeded" else None})


def routes():
    return [
        (r"copilot", CopilotHandler),
        (r"copilot/(?P<job_id>[0-9a-f]+)", CopilotAnswerHandler),
    ]
