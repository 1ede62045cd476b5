"""Who a request acts for, as a name: the annotator of labels, the author of judge versions.

The authenticated user, never a field of the request. Under JupyterHub that is the hub
user (``service:<name>`` for a hub service). Jupyter's own identity providers (token or
password) know one credential, not people: whoever holds it is the server's owner, so the
name is the owner's — ``$JUPYTERHUB_USER`` or the OS user of the server process, the same
name the owner's kernels use. A custom identity provider's ``username`` is used as is.
"""

from __future__ import annotations

from axis_jupyter.alignment.identity import default_annotator


def user_name(handler) -> str:
    user = handler.current_user
    hub_user = getattr(user, "hub_user", None)
    if isinstance(hub_user, dict) and hub_user.get("name"):
        kind = hub_user.get("kind", "user")
        return str(hub_user["name"]) if kind == "user" else f"{kind}:{hub_user['name']}"
    provider = type(getattr(handler, "identity_provider", None))
    if getattr(handler, "_kernel_request", False) or provider.__module__.startswith("jupyter_server.auth"):
        return default_annotator()
    return str(getattr(user, "username", "") or default_annotator())
