"""``GET branding``: the ``theme.yaml`` palette and the ``agents.yaml`` registry, as the
views draw them (see :mod:`axis_jupyter.branding`)."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from axis_jupyter import branding

from .base import AxisHandler


class BrandingHandler(AxisHandler):
    auth_resource = "axis:branding"
    openapi = {"get": {"responses": {"200": "{theme: {key, name, primary, ...}, agents: [{name, "
                                            "label, role, avatar, description, active}]}"}}}

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """The active palette and the agent registry; a bad file is a 400 naming the key."""
        theme = await self.run_blocking(branding.theme)
        agents = await self.run_blocking(branding.agents)
        self.write_json({"theme": theme, "agents": agents})


def routes() -> list[tuple[str, type]]:
    return [(r"branding", BrandingHandler)]
