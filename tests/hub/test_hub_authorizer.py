"""Who holds which AXIS scopes on alice's server, decided by AxisHubAuthorizer from the
identity the hub reports (the same dicts ``/hub/api/user`` returns). The live hub tests
cover the same rules end to end; these name each rule."""

from __future__ import annotations

import pytest
from jupyter_server.auth import User
from jupyterhub.services.auth import HubOAuth
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider, JupyterHubUser

from axis_jupyter_server.hub_auth import ALL_SCOPES, EXECUTE, READ, AxisHubAuthorizer

ACCESS = "access:servers!server=alice/"


@pytest.fixture
def authorizer(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    monkeypatch.setenv("JUPYTERHUB_SERVER_NAME", "")
    hub_auth = HubOAuth(api_token="unused", api_url="http://127.0.0.1:9/hub/api",
                        access_scopes={ACCESS, "access:servers!user=alice"})
    return AxisHubAuthorizer(identity_provider=JupyterHubIdentityProvider(hub_auth=hub_auth))


def held(authorizer, name, scopes, kind="user"):
    return authorizer.held_scopes(JupyterHubUser({"name": name, "kind": kind, "scopes": scopes}))


def test_the_owner_without_axis_scopes_holds_all(authorizer):
    assert held(authorizer, "alice", ["access:servers!user=alice"]) == set(ALL_SCOPES)


def test_a_token_the_owner_limited_holds_only_its_scopes(authorizer):
    assert held(authorizer, "alice", [ACCESS, "custom:axis:read!user=alice"]) == {READ}


@pytest.mark.filterwarnings("ignore:.*combinations of filters present")
def test_others_hold_the_axis_scopes_granted_on_this_server(authorizer):
    assert held(authorizer, "carol", [ACCESS, "custom:axis:read!server=alice/",
                                      "custom:axis:execute!user=alice"]) == {READ, EXECUTE}
    # granted on another server, or by a group the server cannot resolve: nothing here
    assert held(authorizer, "carol", [ACCESS, "custom:axis:write!server=dave/",
                                      "custom:axis:read!group=team"]) == set()
    # a plain share, an admin without AXIS scopes: nothing
    assert held(authorizer, "carol", [ACCESS, "admin:users"]) == set()


def test_no_access_to_this_server_means_nothing(authorizer):
    assert held(authorizer, "carol", ["custom:axis:read!server=alice/"]) == set()
    assert held(authorizer, "alice", ["custom:axis:read!user=alice"]) == set()


def test_a_service_named_like_the_owner_is_not_the_owner(authorizer):
    assert held(authorizer, "alice", [ACCESS], kind="service") == set()


def test_a_user_the_hub_did_not_identify_counts_only_as_the_owner(authorizer, monkeypatch):
    """The kernel secret (base.py) acts as the server's owner: a User named like them."""
    assert authorizer.held_scopes(User(username="alice")) == set(ALL_SCOPES)
    assert authorizer.held_scopes(User(username="axis-kernel")) == set()
    monkeypatch.delenv("JUPYTERHUB_USER")
    assert authorizer.held_scopes(User(username="alice")) == set()
