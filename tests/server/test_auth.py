"""Authentication sweep: no /axis/api route answers without credentials.

The routes are read from the running server's own handler list (not from our table), so a
route registered any other way is swept too; the table and the server must also agree.
"""

from __future__ import annotations

import re

import httpx
import pytest
from axis_helpers import cookie_login
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.serverapp import ServerWebApplication

from axis_jupyter_server import routes


def registered_axis_routes(web_app) -> list[tuple[str, type]]:
    """(regex, handler) of every rule under /axis/api in the tornado app's routers."""
    found: list[tuple[str, type]] = []

    def walk(router):
        for rule in getattr(router, "rules", []):
            target = rule.target
            if hasattr(target, "rules"):
                walk(target)
                continue
            regex = getattr(rule.matcher, "regex", None)
            if regex is not None and "/axis/api/" in regex.pattern:
                found.append((regex.pattern, target))

    walk(web_app.wildcard_router)
    walk(web_app.default_router)
    return found


SAMPLES = ("sample", "0123abcd", "abc", "1", "0123456789abcdef")  # the last: a staged upload id


def _sample(match: re.Match) -> str:
    for value in SAMPLES:
        if re.fullmatch(match.group(2), value):
            return value
    raise AssertionError(f"no sample value for group {match.group(0)}")


def sample_url(regex: str) -> str:
    """A concrete path for a route regex: each named group gets a value it matches."""
    path = re.sub(r"\(\?P<(\w+)>([^)]*)\)", _sample, regex)
    return path.rstrip("$").replace("\\.", ".").replace("\\", "")


@pytest.fixture
def swept(jp_serverapp):
    found = registered_axis_routes(jp_serverapp.web_app)
    assert found, "no /axis/api routes registered"
    return found


def test_table_and_server_agree(swept, axis_state):
    table = axis_state.extras["routes"]
    assert len(swept) == len(table)
    server = {(sample_url(rx).split("/axis/api/", 1)[1], h) for rx, h in swept}
    ours = {(sample_url(p), h) for p, h, *_ in table}
    assert server == ours


def test_every_verb_is_decorated(swept):
    """What ``ServerApp.allow_unauthenticated_access=False`` checks at start-up."""
    missing = []
    for regex, handler in swept:
        missing += ServerWebApplication._check_handler_auth(None, regex, handler)
    assert missing == []


def test_every_handler_has_its_own_axis_resource(swept):
    areas = {"axis:datasets", "axis:rows", "axis:analytics", "axis:query", "axis:jobs",
             "axis:views", "axis:health", "axis:openapi"}
    seen = set()
    for _regex, handler in swept:
        assert handler.auth_resource.startswith("axis:"), handler
        seen.add(handler.auth_resource)
    assert areas <= seen


async def test_no_route_answers_without_credentials(swept, base_http, jp_base_url):
    origin = base_http[: -len(jp_base_url)]
    async with httpx.AsyncClient() as client:
        checked = 0
        for regex, handler in swept:
            url = origin + sample_url(regex)
            for verb in routes.verbs(handler):
                kw = {"content": b"{}"} if verb in ("post", "put", "patch") else {}
                r = await client.request(verb.upper(), url, **kw)
                assert r.status_code == 403, (verb, url, r.status_code, r.text[:200])
                checked += 1
                # a wrong kernel token is no better
                r = await client.request(verb.upper(), url, headers={
                    "Authorization": "axis-token not-the-secret"}, **kw)
                assert r.status_code == 403, (verb, url, r.status_code)
        assert checked >= 15


async def test_cookie_auth_needs_xsrf_for_post_and_delete(swept, base_http, jp_base_url,
                                                         jp_serverapp):
    origin = base_http[: -len(jp_base_url)]
    token = jp_serverapp.identity_provider.token
    async with httpx.AsyncClient() as client:
        xsrf = await cookie_login(client, base_http, token)
        for regex, handler in swept:
            url = origin + sample_url(regex)
            for verb in routes.verbs(handler):
                if verb == "get":
                    if url.endswith("/events"):
                        continue  # would stream; covered by test_sse
                    r = await client.get(url)
                    assert r.status_code != 403, (url, r.text)
                    continue
                kw = {"content": b"{}"}  # DELETE bodies are ignored
                r = await client.request(verb.upper(), url, **kw)
                assert r.status_code == 403, (verb, url, r.status_code, r.text[:200])
                assert "xsrf" in r.text.lower()
                r = await client.request(verb.upper(), url, headers={"X-XSRFToken": xsrf}, **kw)
                assert r.status_code != 403, (verb, url, r.status_code, r.text[:200])


async def test_kernel_secret_is_token_auth(base_http, axis_state):
    """The secret kernels inherit works without XSRF (it is a token, not a cookie)."""
    async with httpx.AsyncClient(headers={"Authorization": f"axis-token {axis_state.secret}"}) as c:
        r = await c.get(base_http + "axis/api/health")
        assert r.status_code == 200
        r = await c.post(base_http + "axis/api/query", json={"sql": "SELECT 42 AS x"})
        assert r.status_code == 200 and r.json()["data"] == [[42]]
        # also as the plain Jupyter scheme
        r = await c.get(base_http + "axis/api/health",
                        headers={"Authorization": f"token {axis_state.secret}"})
        assert r.status_code == 200
        # the secret opens /axis/api only, not the rest of the server
        r = await c.get(base_http + "api/contents")
        assert r.status_code == 403


async def test_jupyterhub_api_token_is_no_credential_without_a_hub(base_http, monkeypatch):
    """Under JupyterHub the hub's identity provider checks that token (with its scopes); a
    server without a hub must not take a variable in its environment for a credential."""
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-secret-for-this-server")
    async with httpx.AsyncClient() as c:
        r = await c.get(base_http + "axis/api/health",
                        headers={"Authorization": "token hub-secret-for-this-server"})
        assert r.status_code == 403


class RecordingAuthorizer(Authorizer):
    """Denies everything under /axis/api and records what it was asked."""

    calls: list[tuple[str, str, str]] = []

    def is_authorized(self, handler, user, action, resource):
        if "/axis/api/" in handler.request.path:
            RecordingAuthorizer.calls.append((handler.request.method, action, resource))
            return False
        return True


@pytest.fixture
def jp_server_config(axis_store_path, request):
    from traitlets.config import Config

    cfg = {"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True}},
           "AxisExtension": {"store_path": str(axis_store_path)}}
    if "authorizer" in request.node.name:
        cfg["ServerApp"]["authorizer_class"] = RecordingAuthorizer
    return Config(cfg)


async def test_authorizer_sees_each_route_action_and_resource(swept, api, jp_base_url):
    RecordingAuthorizer.calls = []
    expected = []
    for regex, handler in swept:
        rel = sample_url(regex).split("/axis/api/", 1)[1]
        for verb in routes.verbs(handler):
            kw = {"body": "{}"} if verb in ("post", "put", "patch") else {}
            r = await api(verb.upper(), *rel.split("/"), **kw)
            assert r.code == 403, (verb, rel, r.code)
            action = "read" if verb == "get" else "write"
            expected.append((verb.upper(), action, handler.auth_resource))
    assert RecordingAuthorizer.calls == expected
