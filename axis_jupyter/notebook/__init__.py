"""The faces of AXIS that need Jupyter: the ``%axis`` magic (``magic``), the view widgets
(``widgets``, with their ``static_html`` fallbacks), the charts' Vega-Lite specs (``charts``)
and progress bars (``progress``).

Nothing here is imported by ``import axis_jupyter``: the engine runs in scripts without
IPython, and the package top level loads the widget classes on first use.
"""

from __future__ import annotations


def load_ipython_extension(ipython) -> None:
    """``%load_ext axis_jupyter`` registers the ``%axis`` magic."""
    from .magic import AxisMagic

    ipython.register_magics(AxisMagic(shell=ipython))
