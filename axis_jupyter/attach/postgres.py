"""Ibis on PostgreSQL as AXIS needs it: one gap of Ibis' PostgreSQL compiler filled.

Ibis compiles ``arbitrary()`` (any value of a group; the scorecard uses it for a metric's
parent, weight and type, constant within the metric) to ``first()``, an aggregate
PostgreSQL does not have unless someone created it. Attached PostgreSQL backends compile it
to ``any_value()`` (PostgreSQL 16+) or, on older servers, ``min()`` — the same answer for a
value that is constant in its group, and a value of the group in any case.
"""

from __future__ import annotations

from typing import Any

_COMPILERS: dict[bool, Any] = {}


def _compiler(any_value: bool):
    if any_value not in _COMPILERS:
        import ibis.expr.operations as ops
        from ibis.backends.sql.compilers.postgres import PostgresCompiler

        class AxisPostgresCompiler(PostgresCompiler):
            __slots__ = ()
            # a SIMPLE_OPS entry would replace the visit_Arbitrary below (Ibis makes one
            # method per entry in every subclass)
            SIMPLE_OPS = {k: v for k, v in PostgresCompiler.SIMPLE_OPS.items()
                          if k is not ops.Arbitrary}

            def visit_Arbitrary(self, op, *, arg, where, order_by=()):
                fn = "any_value" if any_value else "min"
                if op.arg.dtype.is_boolean():  # PostgreSQL has no min(boolean)
                    fn, arg = "bool_or", arg
                return self.agg[fn](arg, where=where)

        _COMPILERS[any_value] = AxisPostgresCompiler()
    return _COMPILERS[any_value]


def adapt(backend):
    """``backend`` (an Ibis PostgreSQL backend), compiling ``arbitrary()`` portably."""
    version = getattr(getattr(backend.con, "info", None), "server_version", 0) or 0
    backend.compiler = _compiler(version >= 160000)
    return backend
