"""The OpenAI-compatible judge through the real ``openai`` client against the loopback
Chat-Completions server: function calls, streaming, rate limits, accounting, the shared
cache key, Azure's routes, and choosing a provider and model per run or per metric."""

from __future__ import annotations

import asyncio

import pytest

from axis_jupyter.evals import score_items
from axis_jupyter.llm import JudgeCache, JudgeError, LLMNotConfigured, ToolSpec, rate_limit_wait
from axis_jupyter.llm.openai_compat import OpenAIJudge
from axis_jupyter.llm.providers import build_judge, judge_config, resolve
from tests.support.chat_server import function_name, serve_chat
from tests.support.llm_server import tool_name

TOOL = ToolSpec("record_judgment", "d", {"type": "object", "properties": {
    "score": {"type": "integer", "enum": [0, 1]}, "explanation": {"type": "string"}},
    "required": ["score", "explanation"]})
ITEM = {"dataset_id": "1", "query": "2+2?", "actual_output": "4", "expected_output": "4"}


class RecordingSleep:
    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds):
        self.waits.append(seconds)
        await asyncio.sleep(0)


def judge(**overrides) -> tuple[OpenAIJudge, RecordingSleep]:
    sleep = RecordingSleep()
    return OpenAIJudge(judge_config("openai", **overrides), sleep=sleep), sleep


def ask(j, user="u"):
    return asyncio.run(j.structured(system="s", user=user, tool=TOOL))


@pytest.mark.parametrize("stream", [False, True])
def test_forced_function_call_whole_and_streamed(chat_server, stream):
    chat_server.responder = lambda req: {"score": 1, "explanation": "right"}
    j, _ = judge(stream=stream, model="gpt-4o-mini")
    v = ask(j)
    assert v.data == {"score": 1, "explanation": "right"}
    assert (v.tokens_in, v.tokens_out, v.model) == (50, 10, "gpt-4o-mini")
    req = chat_server.requests[0]
    assert req["tool_choice"] == {"type": "function", "function": {"name": "record_judgment"}}
    assert req["tools"][0]["function"]["parameters"] == TOOL.input_schema
    assert req["temperature"] == 0 and req["messages"][0] == {"role": "system", "content": "s"}
    assert bool(req.get("stream")) is stream


def test_rate_limits_are_honoured_from_retry_after_and_reset_headers(chat_server):
    chat_server.responder = lambda req: {"score": 0, "explanation": "x"}
    chat_server.fail_next(429, headers={"retry-after": "3"})
    chat_server.fail_next(429, headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s",
                                        "x-ratelimit-remaining-tokens": "900", "x-ratelimit-reset-tokens": "6m0s"})
    chat_server.fail_next(500)
    j, sleep = judge()
    assert ask(j).data["score"] == 0
    assert chat_server.request_count == 4 and j.usage.retries == 3
    assert 3 <= sleep.waits[0] <= 3.3            # retry-after, plus a little jitter
    assert 1.5 <= sleep.waits[1] <= 1.65         # the exhausted limit's reset, not the tokens'
    assert sleep.waits[2] <= 2.0                 # a 500: exponential backoff (third try: 1-2 s)


def test_a_bad_request_is_not_retried_and_exhausted_retries_say_so(chat_server):
    chat_server.fail_next(400, message="bad tool schema")
    j, sleep = judge()
    with pytest.raises(JudgeError, match="HTTP 400.*bad tool schema") as err:
        ask(j)
    assert err.value.attempts == 1 and sleep.waits == []
    chat_server.fail_next(503, times=3)
    j, _ = judge(max_retries=2)
    with pytest.raises(JudgeError, match="after 3 attempt"):
        ask(j, "other")


def test_max_tokens_renamed_for_models_that_want_the_new_name(chat_server):
    chat_server.fail_next(400, message="Unsupported parameter: 'max_tokens'; use 'max_completion_tokens'")
    chat_server.responder = lambda req: {"score": 1, "explanation": "e"}
    j, sleep = judge()
    assert ask(j).data["score"] == 1 and sleep.waits == []
    assert "max_completion_tokens" in chat_server.requests[1] and "max_tokens" not in chat_server.requests[1]


def test_cost_comes_from_the_price_table_per_provider(chat_server, monkeypatch):
    monkeypatch.setenv("AXIS_LLM_PRICES", '{"openai": {"my-local-model": [2.0, 4.0]}}')
    chat_server.responder = lambda req: {"score": 1, "explanation": "e"}
    j, _ = judge(model="my-local-model")
    v = ask(j)
    assert v.cost == pytest.approx((50 * 2.0 + 10 * 4.0) / 1e6)
    assert j.usage.cost == pytest.approx(v.cost) and j.usage.tokens_in == 50
    j2, _ = judge(model="gpt-4o-mini")  # from the default table
    assert j2.cost_of(1_000_000, 1_000_000) == pytest.approx(0.15 + 0.6)


def test_both_providers_compute_the_same_cache_key(chat_server, llm_server):
    """The verdict the Anthropic judge cached is the OpenAI judge's cache hit for the same
    metric, model, prompt and item (the key has no provider in it)."""
    from axis_jupyter.llm import Judge, JudgeConfig

    llm_server.responder = lambda req: {"score": 1, "explanation": "cached"}
    cache = JudgeCache()
    a = Judge(JudgeConfig.from_env(model="shared-model"), cache=cache)
    asyncio.run(a.structured(system="s", user="u", tool=TOOL, cache_scope=("m", "1")))
    o = OpenAIJudge(judge_config("openai", model="shared-model"), cache=cache)
    v = asyncio.run(o.structured(system="s", user="u", tool=TOOL, cache_scope=("m", "1")))
    assert v.cached and v.data["explanation"] == "cached" and chat_server.request_count == 0


def test_no_key_is_refused_up_front_naming_the_variable(monkeypatch, tmp_path):
    with pytest.raises(LLMNotConfigured, match="OPENAI_API_KEY"):
        score_items([ITEM], ["conciseness"], provider="openai")
    with pytest.raises(LLMNotConfigured, match="AZURE_OPENAI_API_KEY"):
        build_judge("azure", "my-deployment")
    import axis_jupyter

    store = axis_jupyter.connect(":memory:")
    with pytest.raises(LLMNotConfigured, match="OPENAI_API_KEY"):
        store.evaluate(str(tmp_path / "never_read.csv"), ["exact_match", "conciseness"], provider="openai")


def test_provider_and_model_per_run_and_per_metric(chat_server, llm_server, monkeypatch):
    monkeypatch.delenv("AXIS_JUDGE_PROVIDER")  # both keys set: the environment picks anthropic
    tone = {"score": 0.25, "tone_match": True, "style_match": True, "differences": [], "reason": "r"}
    llm_server.responder = lambda req: tone
    chat_server.responder = lambda req: tone if function_name(req) == "record_tone" else {
        "score": 0.75, "redundant_segments": [], "reason": "r"}
    df = score_items([ITEM], [{"key": "conciseness", "provider": "openai", "model": "gpt-4o-mini"}, "tone"])
    rows = df.set_index("metric_name")
    assert (rows.loc["conciseness", "llm_provider"], rows.loc["conciseness", "model_name"]) == ("openai", "gpt-4o-mini")
    assert (rows.loc["tone", "llm_provider"], rows.loc["tone", "model_name"]) == ("anthropic", "claude-sonnet-4-5")
    assert rows.loc["conciseness", "metric_score"] == 0.75 and rows.loc["tone", "metric_score"] == 0.25
    # per run: every judge on openai, with the run's model
    df = score_items([ITEM], ["tone"], provider="openai", model="gpt-4.1")
    assert df["llm_provider"].iloc[0] == "openai" and df["model_name"].iloc[0] == "gpt-4.1"
    assert [function_name(r) for r in chat_server.requests] == ["record_conciseness", "record_tone"]
    assert [tool_name(r) for r in llm_server.requests] == ["record_tone"]


def test_resolution_order(monkeypatch):
    env = {"OPENAI_API_KEY": "k", "AXIS_JUDGE_MODEL": "gpt-4.1"}
    assert resolve(env=env) == ("openai", "gpt-4.1")           # the provider whose key is set
    assert resolve("anthropic", env=env) == ("anthropic", "claude-sonnet-4-5")  # not openai's model
    assert resolve("openai", "o3", env=env) == ("openai", "o3")
    assert resolve(env={}) == ("anthropic", "claude-sonnet-4-5")
    with pytest.raises(Exception, match="AXIS_JUDGE_PROVIDER must be one of anthropic, openai, azure"):
        resolve(env={"AXIS_JUDGE_PROVIDER": "gemini"})


def test_provider_and_model_from_the_config_file(monkeypatch, tmp_path, chat_server):
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("AXIS_JUDGE_PROVIDER", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "unused")  # without the file, anthropic's key would win
    assert resolve() == ("anthropic", "claude-sonnet-4-5")
    (tmp_path / "judge.yaml").write_text("provider: openai\nmodel: gpt-4o-mini\n")
    assert resolve(env={}) == ("openai", "gpt-4o-mini")
    # the environment and the run still win; the file's model is openai's only
    assert resolve(env={"AXIS_JUDGE_PROVIDER": "anthropic"}) == ("anthropic", "claude-sonnet-4-5")
    assert resolve("anthropic", env={}) == ("anthropic", "claude-sonnet-4-5")
    assert resolve(env={"AXIS_JUDGE_MODEL": "gpt-4.1"}) == ("openai", "gpt-4.1")
    # a run with no provider given is judged by the file's choice
    chat_server.responder = lambda req: {"score": 1, "explanation": "short"}
    df = score_items([{"dataset_id": "a", "actual_output": "Paris.", "expected_output": "Paris."}],
                     ["conciseness"])
    assert (df["llm_provider"].iloc[0], df["model_name"].iloc[0]) == ("openai", "gpt-4o-mini")
    assert chat_server.requests[0]["model"] == "gpt-4o-mini"
    (tmp_path / "judge.yaml").write_text("provider: gemini\n")
    with pytest.raises(Exception, match="judge.yaml provider must be one of anthropic, openai, azure"):
        resolve(env={})
    (tmp_path / "judge.yaml").write_text("provider: [unclosed\n")
    with pytest.raises(Exception, match="judge.yaml .* is not readable YAML"):
        resolve(env={})


def test_azure_deployment_routes_and_key_header(monkeypatch):
    with serve_chat(monkeypatch) as srv:
        monkeypatch.setenv("AXIS_JUDGE_PROVIDER", "azure")
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key")
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", srv.root)
        srv.responder = lambda req: {"score": 1, "explanation": "e"}
        j = build_judge(model="my-deployment")
        assert j.provider == "azure"
        assert asyncio.run(j.structured(system="s", user="u", tool=TOOL)).data["score"] == 1
        assert srv.paths == ["/openai/deployments/my-deployment/chat/completions"]
        assert srv.headers[0]["api-key"] == "azure-key"


def test_rate_limit_wait_reads_each_header_kind():
    assert rate_limit_wait({"retry-after-ms": "250"}) == 0.25
    assert rate_limit_wait({"retry-after": "2"}) == 2
    assert rate_limit_wait({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1m30s"}) == 90
    assert rate_limit_wait({"x-ratelimit-reset-requests": "20ms"}) == pytest.approx(0.02)
    assert rate_limit_wait({"retry-after": "soon"}) is None and rate_limit_wait({}) is None
    assert rate_limit_wait({"anthropic-ratelimit-requests-remaining": "0",
                            "anthropic-ratelimit-requests-reset": "2000-01-01T00:00:00Z"}) == 0
