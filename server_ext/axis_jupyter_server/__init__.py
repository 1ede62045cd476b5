"""The AXIS Jupyter server extension: ``{base_url}axis/api/`` over the shared DuckDB store.

* :mod:`.app` — :class:`AxisExtension` (the ExtensionApp: store, env for kernels, traits)
* :mod:`.routes` — the route table and the OpenAPI document built from it
* :mod:`.handlers` — the core handlers; :mod:`.base` — :class:`AxisHandler`, SSE helpers
* long work (uploads, syncs, eval runs) runs as jobs of the engine's
  :class:`axis_jupyter.jobs.JobRunner`; the handlers stream their events as SSE

Enabled on install by ``jupyter-config/jupyter_server_config.d/axis_jupyter_server.json``.
"""

from __future__ import annotations

__version__ = "0.1.0"


def _jupyter_server_extension_points():
    from .app import AxisExtension

    return [{"module": "axis_jupyter_server", "app": AxisExtension}]
