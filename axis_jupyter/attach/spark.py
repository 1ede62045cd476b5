"""Ibis on Spark as AXIS needs it: two gaps of Ibis' PySpark compiler filled.

* **Paging.** Ibis emulates ``OFFSET`` on Spark with a ``row_number()`` column that it then
  fails to drop (the result's columns no longer match its schema) and that numbers rows
  without the query's order. Spark has run ``LIMIT n OFFSET m`` natively since 3.4 (the
  ``pyspark`` wheel AXIS requires is 3.5 or newer), so the rewrite is left out.
* **Most common value.** Ibis has no rule for ``Mode`` on Spark; Spark's ``mode()``
  aggregate (3.4+) is the same operation (ties are broken arbitrarily, as in DuckDB).

Quantiles need nothing: Ibis compiles them to Spark's ``percentile``, which is exact (linear
interpolation between the two nearest ranks, as DuckDB's ``quantile_cont`` and PostgreSQL's
``percentile_cont``), not to the approximate ``percentile_approx``.
"""

from __future__ import annotations

from typing import Any


def _compiler_class():
    from ibis.backends.sql.compilers.base import SQLGlotCompiler
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler, offset_to_filter

    class AxisSparkCompiler(PySparkCompiler):
        __slots__ = ()
        rewrites = tuple(r for r in PySparkCompiler.rewrites if r is not offset_to_filter) \
            or SQLGlotCompiler.rewrites

        def visit_Mode(self, op, *, arg, where):
            return self.agg.mode(arg, where=where)

    return AxisSparkCompiler


_COMPILER: Any = None


def connect(session):
    """An Ibis PySpark backend on ``session`` that compiles with :func:`_compiler_class`."""
    import warnings

    import ibis

    # PySpark warns on every result it converts that it "does not yet fully support pandas
    # >= 3.0.0"; AXIS's conversions are the plain ones it does support (tested on Spark), so
    # the notice would only bury the user's own output under the same lines on every view.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                            category=FutureWarning)
    global _COMPILER
    if _COMPILER is None:
        _COMPILER = _compiler_class()()
    backend = ibis.pyspark.connect(session)
    backend.compiler = _COMPILER
    return backend


def adapt(backend):
    """``backend`` itself, compiling as :func:`connect`'s do when it is a PySpark one."""
    if getattr(backend, "name", None) == "pyspark" and not isinstance(
            backend.compiler, type(_COMPILER) if _COMPILER is not None else ()):
        return connect(backend._session)
    return backend
