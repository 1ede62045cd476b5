"""Where an attached dataset lives: from what the user passes (an Ibis backend, a SparkSession,
a URL or a configured source's name) to a live Ibis backend and a description the store may
keep — everything needed to connect again, and no secret.

* **URLs** may use only the schemes of :func:`allowed_schemes` (engines reached over the
  network or a Spark session; never a local file engine such as ``duckdb://`` or
  ``sqlite://``, which would read the server's files). A URL carries no password and no
  parameter naming a file or a secret; the password comes from ``password_env``, an
  environment variable that sources may read (the rule of :mod:`axis_jupyter.sync.secrets`),
  or the engine's own defaults (libpq's ``PGPASSWORD`` and ``~/.pgpass``).
* **Sources** (``~/.axis/config/sources/<name>.yaml``) connect as their sync does, with the
  password rules of the source.
* **Live objects** (the Python API only): a SparkSession or an Ibis backend is used as it
  is; the description keeps what connects again without a secret — a Spark master and a few
  harmless settings, a PostgreSQL host, port, database and user, or an Ibis backend's
  plain connection arguments minus anything that looks like a credential.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from ..errors import ConfigError, ParameterError
from ..sync import secrets
from ..sync.config import URL_PARAMS_REFUSED

#: Schemes a URL may use unless the server's ``AXIS_ATTACH_SCHEMES`` says otherwise.
DEFAULT_SCHEMES = ("postgres", "postgresql", "pyspark", "trino", "bigquery", "snowflake",
                   "mysql", "clickhouse", "mssql", "databricks", "impala", "oracle", "athena",
                   "risingwave", "materialize", "exasol", "druid")
#: Engines whose connection reads local files: never from a URL, whatever the allow-list.
LOCAL_FILE_ENGINES = ("duckdb", "sqlite", "file", "polars", "datafusion", "flink", "pandas")
SCHEMES_VAR = "AXIS_ATTACH_SCHEMES"
# Spark settings a description keeps (the rest come from the server's spark-defaults.conf):
# none of them carries a secret.
SPARK_CONF_KEPT = ("spark.master", "spark.app.name", "spark.sql.warehouse.dir",
                   "spark.sql.catalogImplementation", "spark.sql.shuffle.partitions",
                   "spark.sql.session.timeZone", "spark.driver.memory", "spark.executor.memory",
                   "spark.ui.enabled", "spark.default.parallelism", "spark.sql.ansi.enabled")
_SECRETISH = re.compile(r"pass|secret|token|key|cred|auth|cert", re.IGNORECASE)


def allowed_schemes() -> tuple[str, ...]:
    """The URL schemes attach accepts: ``$AXIS_ATTACH_SCHEMES`` (comma-separated) or
    :data:`DEFAULT_SCHEMES`, never a local file engine."""
    raw = os.environ.get(SCHEMES_VAR)
    names = [s.strip().lower() for s in raw.split(",")] if raw else list(DEFAULT_SCHEMES)
    return tuple(s for s in names if s and s not in LOCAL_FILE_ENGINES)


def engine_of(scheme: str) -> str:
    return "postgres" if scheme in ("postgres", "postgresql") else scheme


# --------------------------------------------------------------------------- URLs
def check_url(url: Any, param: str = "backend") -> dict:
    """The description of a URL backend (``ParameterError`` naming ``param`` if refused)."""
    if not isinstance(url, str) or "://" not in url:
        raise ParameterError(f"{param} must be a URL such as postgresql://user@host:5432/db or "
                             "pyspark://?spark.master=local[2], a configured source's name, "
                             "or (in Python) an Ibis backend or SparkSession.", param=param)
    if "${" in url:
        raise ParameterError(f"{param} must not refer to environment variables (${{...}}): a "
                             "URL is used as written; give the password with password_env.",
                             param=param)
    try:
        u = urlsplit(url)
    except ValueError:  # e.g. an unclosed [IPv6 address
        raise ParameterError(f"{param} is not a valid URL (check the host: an IPv6 address "
                             "goes in brackets, [::1]).", param=param) from None
    scheme = u.scheme.lower()
    if scheme not in allowed_schemes():
        raise ParameterError(f"{param}: the scheme {scheme or '(none)'}:// is not one attach "
                             f"may use ({', '.join(allowed_schemes())}).", param=param)
    try:
        u.port
    except ValueError:
        raise ParameterError(f"{param} has a port that is not a number between 0 and 65535.",
                             param=param) from None
    if u.password:
        raise ParameterError(f"{param} contains a password: remove it from the URL and pass "
                             "password_env (an environment variable holding it).", param=param)
    params = {unquote(k).strip().lower() for k, _ in parse_qsl(u.query, keep_blank_values=True)}
    refused = sorted(p for p in params if p in URL_PARAMS_REFUSED or _SECRETISH.search(p))
    if refused:
        raise ParameterError(f"{param} must not set {', '.join(refused)}: a URL may not name "
                             "files on the server or carry a secret (use password_env).",
                             param=param)
    engine = engine_of(scheme)
    if engine == "pyspark":
        if u.netloc or u.path.strip("/"):
            raise ParameterError(f"{param}: a pyspark:// URL takes settings only "
                                 "(pyspark://?spark.master=local[2]); the warehouse folder "
                                 "comes from the server's Spark configuration.", param=param)
        bad = sorted(p for p in params if p not in SPARK_CONF_KEPT)
        if bad:
            raise ParameterError(f"{param}: a pyspark:// URL may set only "
                                 f"{', '.join(SPARK_CONF_KEPT)} (not {', '.join(bad)}).",
                                 param=param)
        conf = dict(parse_qsl(u.query))
        return {"engine": "pyspark", "conf": conf, "target": conf.get("spark.master", "spark")}
    return {"engine": engine, "url": urlunsplit((scheme, u.netloc, u.path, u.query, "")),
            "target": target_of(u)}


def target_of(u) -> str:
    """host:port/database, without user or password (safe to show and log)."""
    q = dict(parse_qsl(u.query))
    host = u.hostname or q.get("host") or "local socket"
    port = f":{u.port}" if u.port else ""
    return f"{host}{port}/{u.path.lstrip('/')}"


def check_password_env(name: Any) -> str | None:
    if name in (None, ""):
        return None
    why = secrets.refusal(name)
    if why:
        raise ParameterError(f"password_env {why}", param="password_env")
    return name


def password(description: dict) -> str | None:
    var = description.get("password_env")
    if not var:
        return None
    check_password_env(var)  # the allow-list may have changed since
    value = os.environ.get(var)
    if value is None:
        raise ConfigError(f"password_env names ${var}, which is not set in this environment.")
    return value


# --------------------------------------------------------------------------- live objects
def describe_object(backend: Any) -> tuple[Any, dict]:
    """(Ibis backend, description) for a SparkSession or an Ibis backend object."""
    from . import spark

    if _is_spark_session(backend):
        return spark.connect(backend), spark_description(backend)
    name = getattr(backend, "name", None)
    if not hasattr(backend, "table") or not isinstance(name, str):
        raise ParameterError("backend must be an Ibis backend (ibis.postgres.connect(...), "
                             "ibis.pyspark.connect(session), ...), a SparkSession, a URL or a "
                             "configured source's name.", param="backend")
    if name == "pyspark":
        return spark.adapt(backend), spark_description(backend._session)
    if name == "postgres":
        from . import postgres

        return postgres.adapt(backend), postgres_description(backend)
    kwargs = {k: v for k, v in (getattr(backend, "_con_kwargs", None) or {}).items()
              if not _SECRETISH.search(k) and isinstance(v, (str, int, float, bool))}
    reconnect = name in allowed_schemes()
    return backend, {"engine": name, "kwargs": kwargs if reconnect else None,
                     "target": str(kwargs.get("host") or kwargs.get("database") or name)}


def _is_spark_session(obj: Any) -> bool:
    return type(obj).__name__ == "SparkSession" and type(obj).__module__.startswith("pyspark")


def spark_description(session) -> dict:
    conf = {}
    for k in SPARK_CONF_KEPT:
        v = session.conf.get(k, None)
        if v is not None:
            conf[k] = v
    conf.setdefault("spark.master", session.sparkContext.master)
    return {"engine": "pyspark", "conf": conf, "target": conf["spark.master"]}


def postgres_description(backend) -> dict:
    info = backend.con.info
    host = info.host or ""
    netloc = f"{info.user}@" if info.user else ""
    if host.startswith("/"):  # a Unix socket: libpq's host= parameter
        url = f"postgresql://{netloc}/{info.dbname}?host={host}&port={info.port}"
        target = f"local socket/{info.dbname}"
    else:
        url = f"postgresql://{netloc}{host}:{info.port}/{info.dbname}"
        target = f"{host}:{info.port}/{info.dbname}"
    return {"engine": "postgres", "url": url, "target": target}
