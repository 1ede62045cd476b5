"""``%axis attach``: a table of PostgreSQL, Spark or another Ibis engine as a dataset whose
rows stay there (``axis_jupyter.attach``).

::

    %axis attach prod postgresql://axis@db:5432/warehouse --table eval_results --password-env PROD_DB_PASSWORD
    %axis attach lake spark --table lake.monitoring --kind monitoring   # `spark`: a SparkSession variable
"""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.magic_arguments import argument, magic_arguments

from .magic import AxisMagic, _json_arg, subcommand


@magic_arguments()
@argument("name", help="the dataset's name")
@argument("backend", help="a URL (postgresql://user@host/db, pyspark://?spark.master=local[2], "
                          "trino://...; no password), a configured source's name, or a variable "
                          "holding a SparkSession or an Ibis backend")
@argument("--table", "-t", required=True, help="the engine's table (schema.table allowed)")
@argument("--kind", "-k", default="auto", help="auto, evals, monitoring, kpi or signals")
@argument("--mapping", "-m", default=None, help='JSON column mapping, e.g. \'{"score": "metric_score"}\'')
@argument("--database", default=None, help="the engine's database or schema of the table")
@argument("--password-env", default=None,
          help="environment variable holding the password (AXIS_SOURCE_*, *_PASSWORD, PG*)")
def _attach(magic: AxisMagic, args, cell):
    """Attach an engine's table: only its metadata enters the store."""
    import warnings

    backend: Any = args.backend.strip("'\"")
    ns = magic.shell.user_ns if magic.shell is not None else {}
    if "://" not in backend and backend in ns and not isinstance(ns[backend], str):
        backend = ns[backend]  # %axis attach big spark --table t
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = magic.store.attach(args.name, backend, args.table.strip("'\""), kind=args.kind,
                                mapping=_json_arg(args.mapping, "--mapping"),
                                database=args.database, password_env=args.password_env)
    for w in caught:  # attach's own (UserWarning), not the engines' deprecation notices
        if w.category is UserWarning:
            print(f"warning: {w.message}", file=sys.stderr)
    info = ds.info
    where = info["attached"].get("target") or info["attached"].get("engine")
    print(f"Attached {info['attached']['engine']} table {info['attached']['table']} ({where}) as "
          f"'{ds.name}' [{info['kind']}, {info['layout']}]: {info['rows']:,} rows, "
          f"{info['records']:,} records; the queries run there.")
    return None


subcommand("attach", "attach NAME BACKEND --table T [--kind K] [--mapping JSON] "
                     "[--password-env VAR]: a table of PostgreSQL, Spark, ... as a dataset "
                     "(rows stay there)")(_attach)
