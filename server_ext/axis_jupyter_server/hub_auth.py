"""JupyterHub scopes for AXIS: who may do what on a user's single-user server.

JupyterHub lets a user (or an admin) grant others ``access:servers`` to a server: with it
they pass the hub's check and, by default, may do everything the owner may. This module
adds three custom scopes and an Authorizer that maps them to the ``axis:*`` resources of
``{base_url}axis/api/`` (each handler's ``auth_resource``), so a server can be shared
read-only: see the analytics, not sync, upload, run evaluations or run SQL.

Enable it in the single-user server (explicitly: a policy the hub admin chooses; enabling it
changes what a plain ``access:servers`` share may do, see :class:`AxisHubAuthorizer`)::

    # jupyterhub_config.py
    from axis_jupyter_server.hub_auth import (
        AUTHORIZER, CUSTOM_SCOPES, OAUTH_CLIENT_SCOPES, OWNER_SCOPES)

    c.JupyterHub.custom_scopes = CUSTOM_SCOPES
    c.JupyterHub.load_roles = [
        {"name": "user", "scopes": ["self", *OWNER_SCOPES]},      # owners keep everything
        {"name": "alice-viewers", "users": ["carol"],             # a read-only share
         "scopes": ["access:servers!server=alice/", "custom:axis:read!server=alice/"]},
    ]
    c.Spawner.oauth_client_allowed_scopes = OAUTH_CLIENT_SCOPES   # browser sessions carry them
    c.Spawner.args = [f"--ServerApp.authorizer_class={AUTHORIZER}"]

The scopes must be given to users with a ``!user=``/``!server=`` filter (or none); the
single-user server cannot resolve ``!group=`` filters, so such grants give nothing.
"""

from __future__ import annotations

import os

from jupyterhub.singleuser.extension import JupyterHubAuthorizer

AUTHORIZER = "axis_jupyter_server.hub_auth.AxisHubAuthorizer"

READ = "custom:axis:read"
WRITE = "custom:axis:write"
EXECUTE = "custom:axis:execute"
ALL_SCOPES = (READ, WRITE, EXECUTE)

#: ``c.JupyterHub.custom_scopes`` for the hub. Holding write or execute implies read.
CUSTOM_SCOPES = {
    READ: {"description": "View the AXIS store of a server: datasets, rows, analytics, the "
                          "read-only views, job, run and sync status."},
    WRITE: {"description": "Change the AXIS store of a server: upload and delete datasets, "
                           "sync, start and cancel evaluation runs and jobs.",
            "subscopes": [READ]},
    EXECUTE: {"description": "Run SQL on the AXIS store of a server and use its database "
                             "browser (with write, also import).",
              "subscopes": [READ]},
}

#: For the ``user`` role: every user holds all AXIS scopes on their own servers.
OWNER_SCOPES = [f"{s}!user" for s in ALL_SCOPES]
#: For ``c.Spawner.oauth_client_allowed_scopes``: browser sessions of a server carry the
#: AXIS scopes their user holds on that server (without it they carry none).
OAUTH_CLIENT_SCOPES = [f"{s}!server" for s in ALL_SCOPES]

# The one table: which scopes (all of them) each axis:* resource needs for each action.
# jupyter_server's ``@authorized`` calls GET "read" and POST/PUT/PATCH/DELETE "write".
_R, _W, _X = (READ,), (WRITE,), (EXECUTE,)
RESOURCE_SCOPES: dict[str, dict[str, tuple[str, ...]]] = {
    "axis:health": {"read": _R},
    "axis:openapi": {"read": _R},
    "axis:branding": {"read": _R},                   # theme.yaml palette and agents.yaml
    "axis:datasets": {"read": _R, "write": _W},      # POST uploads, DELETE removes
    "axis:rows": {"read": _R},
    "axis:analytics": {"read": _R, "write": _R},     # POST computes an analytic, changes nothing
    "axis:jobs": {"read": _R, "write": _W},          # DELETE cancels a job
    "axis:evals": {"read": _R, "write": _W},         # POST starts a run (or suggests its mapping)
    "axis:sync": {"read": _R, "write": _W},
    # reading labels, runs and judges is read; labelling, calibrating and the LLM analyses
    # (they cost money) are write
    "axis:alignment": {"read": _R, "write": _W},
    "axis:signals": {"read": _R},                    # human signals: schema, config, cases
    "axis:memory": {"read": _R, "write": _W},        # POST/PUT/DELETE change rules
    "axis:graph": {"read": _R, "write": _W},         # POST rebuilds a knowledge graph
    "axis:query": {"read": _X, "write": _X},         # the caller's own SQL
    # Asking spends the owner's model budget and runs SQL the question steers (read-only,
    # through the store's guard): like an evaluation run (write) and like query (execute).
    "axis:copilot": {"read": _R, "write": _W + _X},
    "axis:reports": {"read": _R, "write": _W},       # POST writes a report (model budget)
    # The browser reaches other databases from the server, with saved credentials, and
    # imports into the store.
    "axis:database": {"read": _X + _W, "write": _X + _W},
}

# axis:views is one route for every view: POST views/{view}/{action}. The views that only
# show the store need read; the runner starts and cancels runs; the database view is the
# database browser. A view or action not listed needs every scope.
_READ_VIEWS = ("scorecard", "compare", "deepdive", "monitor", "production", "signals")
VIEW_SCOPES: dict[str, dict[str, tuple[str, ...]]] = {
    **{view: {"*": _R} for view in _READ_VIEWS},
    # the runner's agent test calls the user's agent from the server, so it writes like a run
    "runner": {"setup": _R, "status": _R, "open_run": _R, "export": _R, "start": _W,
               "cancel": _W, "test_agent": _W, "rerun": _W, "compare": _W},
    "memory": {"*": _R, "create": _W, "update": _W, "delete": _W},  # the rule editor writes
    "graph": {"*": _R},
    "database": {"*": _X + _W},
    # labelling writes the store; the calibration view's LLM calls cost money
    "annotate": {"payload": _R, "page": _R, "record": _R, "label": _W, "undo": _W},
    "calibrate": {"payload": _R, "status": _R, "fewshot": _R, "patterns": _W, "start": _W,
                  "misalignment": _W, "optimize": _W, "save_judge": _W},
    # the data manager: the list and the shared filter/code actions read; uploads and
    # deletes write; attaching connects the server to a database, as POST attach does
    "datasets": {"payload": _R, "filter_options": _R, "code": _R, "preview": _W, "commit": _W,
                 "discard": _W, "delete": _W, "stage": _W, "attach": _X + _W},
    # asking spends the owner's model budget and runs SQL the question steers (axis:copilot)
    "copilot": {"setup": _R, "events": _R, "ask": _W + _X, "cancel": _W + _X},
    # writing a report spends the owner's model budget (axis:reports); so from the scorecard
    "report": {"setup": _R, "events": _R, "markdown": _R, "start": _W, "cancel": _W},
}
VIEW_SCOPES["scorecard"] = {"*": _R, "report_start": _W, "report_cancel": _W}


def required_scopes(resource: str, action: str, path_kwargs: dict | None = None,
                    ) -> tuple[str, ...]:
    """The AXIS scopes a request needs, all of them: from the table above; anything it does
    not name (other ``axis:*`` resources, and the server's own APIs: kernels, terminals,
    contents, ... which run code or touch files as the owner) needs every AXIS scope."""
    if resource == "axis:views":
        kw = path_kwargs or {}
        by_action = VIEW_SCOPES.get(str(kw.get("view")), {})
        return by_action.get(str(kw.get("action")), by_action.get("*", ALL_SCOPES))
    return RESOURCE_SCOPES.get(resource, {}).get(action, ALL_SCOPES)


class AxisHubAuthorizer(JupyterHubAuthorizer):
    """Authorizes each request by the AXIS scopes it holds on this server.

    * No request gets anything without ``access:servers`` for this server (JupyterHub's check,
      repeated here).
    * The scopes of the request (token or browser session) that apply to this server,
      ``custom:axis:{read,write,execute}``, open what :func:`required_scopes` says.
    * The owner's requests that carry no AXIS scope at all (hubs without these scopes, a
      session from before) hold all three. A token the owner limited to some AXIS scopes
      holds only those.
    * Anyone else needs the scopes: a plain ``access:servers`` share gets nothing here.
    * The server's kernel secret (``base.py``) is presented as the server's own API token, so
      the hub identifies it as the owner with that token's scopes (the owner rule above). A
      user without a hub model (no such request reaches a hub-run server today) holds all
      three only if it is named as the owner.
    """

    @property
    def owner(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    @property
    def server_filter(self) -> str:
        return f"!server={self.owner}/{os.environ.get('JUPYTERHUB_SERVER_NAME', '')}"

    def held_scopes(self, user) -> frozenset[str]:
        """The AXIS scopes ``user`` holds on this server."""
        if not self.owner or user is None:
            return frozenset()
        hub_user = getattr(user, "hub_user", None)
        if not isinstance(hub_user, dict):
            return frozenset(ALL_SCOPES if user.username == self.owner else ())
        if not self.hub_auth.check_scopes(self.hub_auth.access_scopes, hub_user):
            return frozenset()
        held = frozenset(s for s in ALL_SCOPES
                         if self.hub_auth.check_scopes({s + self.server_filter}, hub_user))
        is_owner = hub_user.get("kind", "user") == "user" and hub_user.get("name") == self.owner
        if is_owner and not held:
            return frozenset(ALL_SCOPES)
        return held

    def is_authorized(self, handler, user, action, resource) -> bool:
        needed = required_scopes(resource, action, getattr(handler, "path_kwargs", None))
        held = self.held_scopes(user)
        allowed = set(needed) <= held
        if not allowed:
            self.log.info("AXIS: %s may not %s %s: needs %s, holds %s on this server",
                          getattr(user, "username", None), action, resource,
                          sorted(needed), sorted(held) or "no AXIS scope")
        return allowed
