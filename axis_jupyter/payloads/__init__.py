"""What each view shows, as pure functions of a store and parameters (the engine side of views).

One module per view (``scorecard``, ``deepdive``, ``compare``, ``monitor``, ``production``,
``runner``, ``database``) holds its actions ``action(store, dataset, **params) -> dict``;
``registry`` names the views and runs their actions; ``params`` parses view parameters. None
of it imports IPython, ipywidgets, anywidget, Altair, jupyter_server or tornado: the faces
(``axis_jupyter.notebook``, the server extension) turn results into widgets, charts and HTTP.
"""

from __future__ import annotations

from .registry import ViewSpec, call_action, chart, get_view, views

__all__ = ["ViewSpec", "call_action", "chart", "get_view", "views"]
