"""``axis.attach``: datasets whose rows stay in another engine (Spark, PostgreSQL, Trino,
BigQuery, ... through Ibis) and whose analytics and views run there.

::

    axis.attach("prod_evals", "postgresql://axis@db:5432/prod", table="eval_results",
                kind="evals", password_env="PROD_DB_PASSWORD")
    axis.attach("big", spark, table="lake.monitoring")        # a SparkSession (Python only)
    axis.attach("warehouse", "prod", table="scores")           # a configured sync source

The store keeps the dataset's metadata and a secret-free description of the connection
(:mod:`.targets`); :func:`connect` re-creates the connection from it when the dataset is
next read in a new process (the server does it for every attached dataset at start).
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import AxisError, ParameterError, StoreError
from . import postgres, targets

log = logging.getLogger("axis_jupyter.attach")


def resolve(backend: Any, password_env: str | None = None) -> tuple[Any, dict]:
    """(live Ibis backend, description) for what the user passed as ``backend``."""
    password_env = targets.check_password_env(password_env)
    if isinstance(backend, str):
        desc = (targets.check_url(backend) if "://" in backend
                else {"engine": "postgres", "source": _source_name(backend),
                      "target": f"source {backend}"})
        if password_env:
            desc["password_env"] = password_env
        return _connected(desc), desc
    live, desc = targets.describe_object(backend)
    if password_env:
        desc["password_env"] = password_env
    return live, desc


def _connected(desc: dict):
    """:func:`connect`, its failures as a ParameterError naming ``backend`` (the engine's
    first line says why; a URL here carries no password to leak)."""
    try:
        return connect(desc)
    except AxisError:
        raise
    except ImportError as exc:
        raise ParameterError(f"backend: the {desc.get('engine')} engine needs a package this "
                             f"Python does not have ({exc.name or exc}); install Ibis' "
                             f"extra for it (pip install 'ibis-framework[{desc.get('engine')}]').",
                             param="backend") from None
    except Exception as exc:  # noqa: BLE001 - each driver has its own connection errors
        log.info("attach: cannot connect to %s: %s", desc.get("target"), exc)
        first = (str(exc).strip().splitlines() or ["error"])[0][:240]
        raise ParameterError(f"backend: cannot connect to {desc.get('engine')} "
                             f"{desc.get('target', '')}: {first}", param="backend") from None


def _source_name(name: str) -> str:
    from ..errors import NotFoundError
    from ..sync import config as sconfig

    try:
        return sconfig.get_source(name).name
    except NotFoundError as exc:
        raise ParameterError(f"backend must be a URL such as postgresql://user@host:5432/db or "
                             f"pyspark://?spark.master=local[2], or a configured source's name: "
                             f"{exc}", param="backend") from None


def connect(description: dict):
    """A live Ibis backend for a stored description (secrets from the environment)."""
    import ibis

    engine = description.get("engine")
    if description.get("source"):
        import psycopg

        from ..sync import config as sconfig

        cfg = sconfig.get_source(description["source"])
        return postgres.adapt(ibis.postgres.from_connection(
            psycopg.connect(**{"connect_timeout": 15, **cfg.conninfo()}, autocommit=True)))
    if engine == "pyspark":
        from pyspark.sql import SparkSession

        builder = SparkSession.builder
        for k, v in (description.get("conf") or {}).items():
            builder = builder.config(k, v)
        from . import spark

        return spark.connect(builder.getOrCreate())
    if engine == "postgres" and description.get("url"):
        import psycopg

        targets.check_url(description["url"], param="url")
        kw = {"password": targets.password(description)} if description.get("password_env") else {}
        con = psycopg.connect(description["url"], autocommit=True, connect_timeout=15, **kw)
        return postgres.adapt(ibis.postgres.from_connection(con))
    if description.get("url"):
        targets.check_url(description["url"], param="url")
        kw = {"password": targets.password(description)} if description.get("password_env") else {}
        return ibis.connect(description["url"], **kw)
    if description.get("kwargs") is not None and engine in targets.allowed_schemes():
        kw = dict(description["kwargs"])
        if description.get("password_env"):
            kw["password"] = targets.password(description)
        return getattr(ibis, engine).connect(**kw)
    raise StoreError(f"this {engine} connection was handed over in another process and cannot "
                     "be re-created here: attach the dataset again (by URL or source name to "
                     "make it reconnect by itself).")


def attach(store, name: str, backend: Any, table: str | None = None, *, kind: str = "auto",
           mapping: dict | None = None, database: str | None = None,
           password_env: str | None = None):
    """Attach ``table`` of ``backend`` as dataset ``name`` of the embedded ``store``."""
    if not table:
        raise ParameterError("table is required: the engine's table to attach "
                             "(table='results', or 'schema.results').", param="table")
    live, desc = resolve(backend, password_env)
    return store.attach_dataset(name, live, table, description=desc, kind=kind,
                                mapping=mapping, database=database)
