"""The scope table of hub_auth covers every AXIS route and view on purpose: a route or view
added later must be placed in it (until then it needs every AXIS scope)."""

from __future__ import annotations

from axis_jupyter_server import hub_auth, routes
from axis_jupyter_server.hub_auth import ALL_SCOPES, EXECUTE, READ, WRITE, required_scopes


def test_every_route_and_verb_has_a_row():
    missing = []
    for pattern, handler, *_ in routes.all_routes():
        for verb in routes.verbs(handler):
            action = "read" if verb == "get" else "write"
            resource = handler.auth_resource
            if resource == "axis:views":
                continue  # by view and action, below
            if action not in hub_auth.RESOURCE_SCOPES.get(resource, {}):
                missing.append((verb.upper(), pattern, resource))
    assert missing == []


def test_every_view_action_has_a_row():
    from axis_jupyter.payloads import views

    assert views()
    missing = []
    for name, spec in views().items():
        rows = hub_auth.VIEW_SCOPES.get(name, {})
        missing += [(name, action) for action in spec.actions
                    if action not in rows and "*" not in rows]
    assert missing == []


def test_reading_needs_read_and_changing_needs_write():
    assert required_scopes("axis:datasets", "read") == (READ,)
    assert required_scopes("axis:datasets", "write") == (WRITE,)
    assert required_scopes("axis:analytics", "write") == (READ,)
    assert required_scopes("axis:query", "write") == (EXECUTE,)
    assert set(required_scopes("axis:database", "read")) == {EXECUTE, WRITE}
    scorecard = {"view": "scorecard", "action": "cases"}
    assert required_scopes("axis:views", "write", scorecard) == (READ,)
    runner = {"view": "runner", "action": "start"}
    assert required_scopes("axis:views", "write", runner) == (WRITE,)


def test_anything_unlisted_needs_every_scope():
    for resource, action, kw in [("kernels", "execute", None), ("contents", "read", None),
                                 ("terminals", "execute", None), ("axis:new-thing", "read", None),
                                 ("axis:health", "write", None),
                                 ("axis:views", "write", {"view": "new", "action": "payload"}),
                                 ("axis:views", "write", {"view": "runner", "action": "new"})]:
        assert required_scopes(resource, action, kw) == ALL_SCOPES, (resource, action, kw)
