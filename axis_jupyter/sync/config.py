"""Source configuration: one YAML file per source, with the reference's keys and defaults.

Layout (under :func:`axis_jupyter.config.config_dir`, i.e. ``$AXIS_CONFIG_DIR`` or
``~/.axis/config``)::

    sources/<name>.yaml        one source, written by axis.add_source():
                                 monitoring_db:            # section = kind (eval_db,
                                   enabled: true           #   monitoring_db, human_signals_db,
                                   url: postgresql://u@h/db  # kpi_db), reference keys
                                   dataset_query: ...
                                   results_query: ...
    duckdb.yaml                store section (reference §4.6): sync_chunk_size, max_sync_rows,
                               sync_workers, query_concurrency, sync_mode, ...
    eval_db.yaml, monitoring_db.yaml, human_signals_db.yaml, kpi_db.yaml
                               the reference's own files are read too, as sources named
                               eval, monitoring, human_signals and kpi.

**Secrets.** Secrets never live in these files, and nothing a source says is ever expanded
from the environment except its password:

* ``url``, ``host``, ``database``, ``username`` and the queries are used exactly as written.
  ``${VAR}`` in a ``url`` is refused (in files and in ``add_source``/HTTP alike): a URL is
  shown back to users (as ``target``), so expanding variables into it would let anyone who
  may add a source read any variable of the server. For connection details from the
  environment leave them out of the URL: libpq itself reads ``PGHOST``, ``PGPORT``,
  ``PGUSER``, ``PGDATABASE`` (and ``PGPASSWORD``).
* A password comes from, in order: ``password_env: VAR`` (or ``password: ${VAR}``, the same
  thing, in a hand-written file), ``AXIS_SOURCE_<NAME>_PASSWORD``, the reference's
  ``<PREFIX>_PASSWORD`` variables (``EVAL_DB_PASSWORD``, ... — for the reference's own files
  only), this process's memory (a URL password given to ``add_source`` is kept there for the
  session only, never written), and finally libpq's own ``PGPASSWORD`` / ``~/.pgpass``.
* ``VAR`` must be an *allowed* variable (:mod:`.secrets`): it matches ``AXIS_SOURCE_*``,
  ``*_PASSWORD`` or ``PG*``, or a pattern listed in the server's ``AXIS_SOURCE_ENV_ALLOW``
  (comma-separated shell patterns), and is never one of the server's own secrets
  (``AXIS_SERVER_*``, ``JUPYTER_*``, ``JUPYTERHUB_*``, ``JPY_*``, ``ANTHROPIC_*``), whatever
  the allow-list says.
  Whoever may write sources (``axis:sync``) can point a source at a host of their choosing,
  so these allowed variables — and libpq's own defaults, ``PGPASSWORD``, ``~/.pgpass`` and
  ``~/.postgresql/`` client certificates — are the only secrets a source can ever send.
* A URL may not set libpq parameters that name server files or carry a secret (``passfile``,
  ``sslkey``, ``sslcert``, ``sslrootcert``, ``service``, ``password``, ...).
* A literal password in a file (or in a URL inside a file) is rejected with a message naming
  the key. :meth:`SourceConfig.public` (what users and HTTP see) has no password, no URL
  credentials and no value read from the environment.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import yaml

from .. import config as axis_config
from ..errors import ConfigError, NotFoundError
from .config_values import (_as_bool, _as_int, _check_url_port, _err, _ident, _port,  # noqa: F401
                            _query, check_secret_env)

# Section name in YAML <-> AXIS dataset kind.
SECTION_KIND = {"eval_db": "evals", "monitoring_db": "monitoring",
                "human_signals_db": "signals", "kpi_db": "kpi"}
KIND_SECTION = {v: k for k, v in SECTION_KIND.items()}
KIND_ALIASES = {"eval": "evals", "evals": "evals", "evaluation": "evals", "monitoring": "monitoring",
                "signals": "signals", "human_signals": "signals", "kpi": "kpi"}
# The reference's files, read as sources with these names.
REFERENCE_FILES = {"eval_db": "eval", "monitoring_db": "monitoring",
                   "human_signals_db": "human_signals", "kpi_db": "kpi"}
ENV_PREFIX = {"eval_db": "EVAL_DB", "monitoring_db": "MONITORING_DB",
              "human_signals_db": "HUMAN_SIGNALS_DB", "kpi_db": "KPI_DB"}

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# libpq URL parameters that name files on the server or carry a secret: a source may not
# set them (the server's own ~/.pgpass and client certificate still apply as libpq's defaults).
URL_PARAMS_REFUSED = ("passfile", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslcrldir",
                      "sslpassword", "service", "servicefile", "password")

# Common *_db keys and defaults (reference §4.6).
COMMON_DEFAULTS: dict[str, Any] = {
    "enabled": False, "auto_load": False, "url": None, "host": None, "port": 5432,
    "database": None, "username": None, "password": None, "password_env": None,
    "ssl_mode": "prefer", "db_type": "postgres", "dataset_query": None, "results_query": None,
    "query_timeout": 60, "row_limit": 10000, "columns": {}, "partition_column": None,
    "refresh_interval_minutes": 0, "incremental_column": None, "tables": [], "filters": [],
}
# Display/analytics keys of each section: kept and passed through, not interpreted here.
EXTRA_KEYS = {
    "eval_db": {"eval_runner_enabled"},
    "monitoring_db": {"auto_connect", "schema", "table", "visible_metrics", "thresholds",
                      "anomaly_detection"},
    "human_signals_db": {"auto_connect", "schema", "table", "visible_metrics", "visible_kpis"},
    "kpi_db": {"query", "visible_kpis", "visible_kpis_per_source", "card_display_value",
               "trend_lines", "kpi_overrides", "display_per_source", "categories",
               "composition_charts"},
}
KPI_DEFAULTS = {"row_limit": 50000}

DUCKDB_DEFAULTS: dict[str, Any] = {
    "enabled": True, "path": None, "sync_mode": "startup", "auto_sync_on_startup": True,
    "sync_chunk_size": 10000, "max_sync_rows": 2_000_000, "query_concurrency": 8,
    "sync_workers": 1,
    # Ours: the bulk COPY of a sync is bounded by this (query_timeout, capped at 120 s as in
    # the reference, bounds probes, previews and the browser).
    "sync_timeout": 3600,
    # Ours: which read tier a sync uses (auto: arrow, else copy, else cursor; see sync/feeds.py).
    # The environment variable AXIS_SYNC_TIER overrides it (CI runs the sync tests per tier).
    "sync_tier": "auto",
}
SYNC_TIERS = ("auto", "arrow", "copy", "cursor")

# Passwords given inside a URL to add_source(): kept for this process only.
_SESSION_SECRETS: dict[str, str] = {}
_LOCK = threading.Lock()


@dataclass
class SourceConfig:
    """One configured source (a YAML section) after validation and defaults."""

    name: str
    kind: str  # evals, monitoring, signals, kpi
    section: str  # eval_db, monitoring_db, human_signals_db, kpi_db
    enabled: bool
    url: str | None
    host: str | None
    port: int
    database: str | None
    username: str | None
    ssl_mode: str
    dataset_query: str
    results_query: str | None
    query_timeout: int
    row_limit: int
    columns: dict[str, str]
    partition_column: str | None
    refresh_interval_minutes: float
    incremental_column: str | None
    auto_load: bool = False
    password_env: str | None = None  # an allowed variable (check_secret_env)
    path: str | None = None  # the YAML file it came from
    reference: bool = False  # one of the reference's own files (eval_db.yaml, ...)
    extras: dict = field(default_factory=dict)

    @property
    def split(self) -> bool:
        return bool(self.results_query)

    def __repr__(self) -> str:  # never shows a secret (there is none stored, but be explicit)
        return (f"SourceConfig(name={self.name!r}, kind={self.kind!r}, target={self.describe_target()!r}, "
                f"split={self.split}, incremental_column={self.incremental_column!r}, "
                f"refresh_interval_minutes={self.refresh_interval_minutes})")

    def describe_target(self) -> str:
        """host:port/database without user or password (safe to show and log). Built from
        the URL as written: nothing in it is ever read from the environment."""
        if self.url:
            u = urlsplit(self.url)
            host = u.hostname or (dict(p.split("=", 1) for p in u.query.split("&") if "=" in p).get("host", "local socket"))
            return f"{host}:{_port(u) or 5432}/{(u.path or '/').lstrip('/')}"
        return f"{self.host or 'localhost'}:{self.port}/{self.database or ''}"

    # -- connection -----------------------------------------------------------------
    def password(self) -> str | None:
        """The password, from an allowed environment variable (or this session's memory)."""
        if self.password_env:
            val = os.environ.get(self.password_env)
            if val is None:
                raise ConfigError(f"source {self.name!r}: password_env names ${self.password_env}, "
                                  "which is not set in this environment.")
            return val
        env = os.environ.get(f"AXIS_SOURCE_{self.name.upper()}_PASSWORD")
        if env is not None:
            return env
        if self.reference and self.path and Path(self.path).stem in ENV_PREFIX:
            env = os.environ.get(f"{ENV_PREFIX[Path(self.path).stem]}_PASSWORD")
            if env is not None:
                return env
        return _SESSION_SECRETS.get(self.name)

    def conninfo(self) -> dict[str, Any]:
        """Keyword arguments for psycopg.connect (the password is only ever in this dict)."""
        kw: dict[str, Any] = {}
        if self.url:
            kw["conninfo"] = self.url
        else:
            kw["conninfo"] = ""
            if self.host:
                kw["host"] = self.host
            kw["port"] = self.port
            if self.database:
                kw["dbname"] = self.database
            if self.username:
                kw["user"] = self.username
        if self.ssl_mode != "prefer" and "sslmode" not in (self.url or ""):
            kw["sslmode"] = self.ssl_mode
        pw = self.password()
        if pw is not None:
            kw["password"] = pw
        return kw

    def public(self) -> dict:
        """The config as shown to users and over HTTP: no password, no URL credentials."""
        return {
            "name": self.name, "kind": self.kind, "section": self.section, "enabled": self.enabled,
            "target": self.describe_target(), "split": self.split,
            "dataset_query": self.dataset_query, "results_query": self.results_query,
            "incremental_column": self.incremental_column,
            "partition_column": self.partition_column,
            "refresh_interval_minutes": self.refresh_interval_minutes,
            "query_timeout": self.query_timeout, "has_password": self._has_password(),
            "path": self.path,
        }

    def _has_password(self) -> bool:
        try:
            return self.password() is not None
        except ConfigError:
            return False


@dataclass
class StoreSettings:
    """The ``duckdb:`` section (reference §4.6)."""

    sync_mode: str = "startup"
    sync_chunk_size: int = 10000
    max_sync_rows: int = 2_000_000
    query_concurrency: int = 8
    sync_workers: int = 1
    sync_timeout: int = 3600
    sync_tier: str = "auto"
    enabled: bool = True
    path: str | None = None


# ----------------------------------------------------------------------------------
# Paths


def sources_dir() -> Path:
    return axis_config.config_dir() / "sources"


def source_path(name: str) -> Path:
    return sources_dir() / f"{name}.yaml"


# ----------------------------------------------------------------------------------
# Loading and validation (the checks of single values are in config_values.py)


def parse_section(name: str, section: str, raw: dict, path: str | None = None,
                  env_prefix: str | None = None) -> SourceConfig:
    """Validate one ``*_db`` section; every message names the key."""
    where = f"{path or 'source ' + repr(name)} [{section}]"
    if section not in SECTION_KIND:
        raise ConfigError(f"{path or name}: unknown section '{section}' (use one of "
                          f"{', '.join(SECTION_KIND)}).")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: the section must be a mapping of keys to values.")
    allowed = set(COMMON_DEFAULTS) | EXTRA_KEYS[section]
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _err(where, unknown[0], f"is not a known key (known: {', '.join(sorted(allowed))}).")
    cfg = {**COMMON_DEFAULTS, **(KPI_DEFAULTS if section == "kpi_db" else {}), **raw}

    # Reference env fallbacks (YAML beats env).
    if env_prefix:
        for key, suffix in (("url", "URL"), ("host", "HOST"), ("port", "PORT"), ("database", "NAME"),
                            ("username", "USER"), ("ssl_mode", "SSL_MODE"),
                            ("dataset_query", "DATASET_QUERY"), ("results_query", "RESULTS_QUERY"),
                            ("query_timeout", "QUERY_TIMEOUT")):
            if raw.get(key) in (None, "") and os.environ.get(f"{env_prefix}_{suffix}"):
                cfg[key] = os.environ[f"{env_prefix}_{suffix}"]

    password = cfg.get("password")
    password_env = cfg.get("password_env")
    if password_env not in (None, ""):
        password_env = check_secret_env(password_env, where, "password_env")
    else:
        password_env = None
    if password not in (None, ""):
        m = ENV_REF.fullmatch(password.strip()) if isinstance(password, str) else None
        if m is None:
            raise _err(where, "password", "must not hold a password: secrets stay in environment "
                       "variables. Write password_env: MY_DB_PASSWORD (or password: ${MY_DB_PASSWORD}) "
                       "and set that variable.")
        ref = check_secret_env(m.group(1), where, "password")
        if password_env and password_env != ref:
            raise _err(where, "password", f"names ${{{ref}}} but password_env names {password_env}; "
                       "keep one of them.")
        password_env = ref

    url = cfg.get("url")
    if url not in (None, ""):
        if not isinstance(url, str):
            raise _err(where, "url", "must be a postgresql:// URL.")
        if "${" in url:
            raise _err(where, "url", "must not refer to environment variables (${...}): a URL is "
                       "used as written. Give the password with password_env; leave host, user or "
                       "database out of the URL and libpq reads PGHOST, PGUSER, PGDATABASE itself.")
        u = urlsplit(url)
        if u.scheme not in ("postgresql", "postgres"):
            raise _err(where, "url", f"must start with postgresql:// (got {u.scheme or 'no scheme'}://).")
        _check_url_port(where, u)
        params = {unquote(p.partition("=")[0]).strip().lower() for p in u.query.split("&")}
        refused = sorted(params & set(URL_PARAMS_REFUSED))
        if refused:
            raise _err(where, "url", f"must not set {', '.join(refused)}: a source may not name "
                       "files on the server or carry a secret (use password_env).")
        if u.password:
            raise _err(where, "url", "contains a password: remove it from the URL and set "
                       "password_env (or AXIS_SOURCE_<NAME>_PASSWORD) instead.")
    else:
        url = None
        if not cfg.get("host") and not cfg.get("database") and cfg.get("enabled"):
            raise _err(where, "url", "is missing: give url (postgresql://user@host:5432/db) or "
                       "host/database/username.")

    ssl_mode = str(cfg.get("ssl_mode") or "prefer").lower()
    if ssl_mode not in SSL_MODES:
        raise _err(where, "ssl_mode", f"must be one of {', '.join(SSL_MODES)} (got {ssl_mode!r}).")
    if str(cfg.get("db_type") or "postgres").lower() not in ("postgres", "postgresql"):
        raise _err(where, "db_type", f"only postgres is supported (got {cfg.get('db_type')!r}).")

    if section == "kpi_db":
        dq = _query(where, "query", cfg.get("query") or cfg.get("dataset_query"))
        rq = None
        if not dq:
            raise _err(where, "query", "is missing: the KPI source needs one SELECT query.")
    else:
        dq = _query(where, "dataset_query", cfg.get("dataset_query"))
        rq = _query(where, "results_query", cfg.get("results_query"))
        if not dq:
            raise _err(where, "dataset_query", "is missing: give the SELECT that returns the records.")

    columns = cfg.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in columns.items()):
        raise _err(where, "columns", "must map source column names to canonical names (text: text).")
    for key in ("tables", "filters"):
        if not isinstance(cfg.get(key) or [], list):
            raise _err(where, key, "must be a list.")

    interval = cfg.get("refresh_interval_minutes") or 0
    try:
        interval = float(interval)
    except (TypeError, ValueError):
        raise _err(where, "refresh_interval_minutes", f"must be a number of minutes (got {interval!r}).") from None
    if interval < 0:
        raise _err(where, "refresh_interval_minutes", "must be >= 0 (0 = no schedule).")

    extras = {k: v for k, v in raw.items() if k in EXTRA_KEYS[section] and k != "query"}
    return SourceConfig(
        name=name, kind=SECTION_KIND[section], section=section,
        enabled=_as_bool(where, "enabled", cfg.get("enabled")),
        auto_load=_as_bool(where, "auto_load", cfg.get("auto_load")),
        url=url, host=cfg.get("host"), port=_as_int(where, "port", cfg.get("port") or 5432, 1, 65535),
        database=cfg.get("database"), username=cfg.get("username"), ssl_mode=ssl_mode,
        dataset_query=dq, results_query=rq,
        query_timeout=_as_int(where, "query_timeout", cfg.get("query_timeout") or 60, 1, cap=120),
        row_limit=_as_int(where, "row_limit", cfg.get("row_limit") or 10000, 1, cap=50000),
        columns=dict(columns),
        partition_column=_ident(where, "partition_column", cfg.get("partition_column")),
        refresh_interval_minutes=interval,
        incremental_column=_ident(where, "incremental_column", cfg.get("incremental_column")),
        password_env=password_env, path=path, reference=env_prefix is not None, extras=extras,
    )


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping with one section such as 'monitoring_db:'.")
    return data


def load_source_file(path: Path, name: str | None = None, *, reference: bool = False) -> SourceConfig:
    """One source file. ``reference``: one of the reference's own files in the config folder
    (they also read ``<PREFIX>_URL``, ``_HOST``, ... and ``_PASSWORD`` from the environment)."""
    data = _read_yaml(path)
    sections = [k for k in data if k in SECTION_KIND]
    if len(sections) != 1 or len(data) != 1:
        raise ConfigError(f"{path}: must hold exactly one section, one of {', '.join(SECTION_KIND)} "
                          f"(found {', '.join(map(str, data)) or 'none'}).")
    section = sections[0]
    name = name or path.stem
    env_prefix = ENV_PREFIX.get(path.stem) if reference and path.stem in REFERENCE_FILES else None
    return parse_section(name, section, data[section], str(path), env_prefix)


def list_sources() -> dict[str, SourceConfig]:
    """Every configured source, by name (files under sources/ and the reference's files)."""
    out: dict[str, SourceConfig] = {}
    base = axis_config.config_dir()
    for stem, name in REFERENCE_FILES.items():
        p = base / f"{stem}.yaml"
        if p.exists():
            out[name] = load_source_file(p, name, reference=True)
    d = sources_dir()
    if d.is_dir():
        for p in sorted(d.glob("*.yaml")):
            out[p.stem] = load_source_file(p)
    return out


def get_source(name: str) -> SourceConfig:
    sources = list_sources()
    if name not in sources:
        raise NotFoundError(f"no source named {name!r} (sources: {', '.join(sorted(sources)) or 'none yet; add one with axis.add_source(...)'}).")
    return sources[name]


def load_store_settings() -> StoreSettings:
    p = axis_config.config_dir() / "duckdb.yaml"
    raw = _read_yaml(p).get("duckdb", {}) if p.exists() else {}
    where = f"{p} [duckdb]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: the section must be a mapping.")
    unknown = sorted(set(raw) - set(DUCKDB_DEFAULTS))
    if unknown:
        raise _err(where, unknown[0], f"is not a known key (known: {', '.join(sorted(DUCKDB_DEFAULTS))}).")
    cfg = {**DUCKDB_DEFAULTS, **raw}
    mode = cfg.get("sync_mode")
    if "sync_mode" not in raw and "auto_sync_on_startup" in raw:
        mode = "startup" if _as_bool(where, "auto_sync_on_startup", raw["auto_sync_on_startup"]) else "manual"
    if mode not in ("startup", "manual"):
        raise _err(where, "sync_mode", f"must be startup or manual (got {mode!r}).")
    tier = os.environ.get("AXIS_SYNC_TIER") or cfg["sync_tier"]
    if tier not in SYNC_TIERS:
        where_tier = "environment variable AXIS_SYNC_TIER" if os.environ.get("AXIS_SYNC_TIER") \
            else f"{where}: key 'sync_tier'"
        raise ConfigError(f"{where_tier} must be one of {', '.join(SYNC_TIERS)} (got {tier!r}).")
    return StoreSettings(
        sync_mode=mode, enabled=_as_bool(where, "enabled", cfg["enabled"]), path=cfg.get("path"),
        sync_chunk_size=_as_int(where, "sync_chunk_size", cfg["sync_chunk_size"], 100),
        max_sync_rows=_as_int(where, "max_sync_rows", cfg["max_sync_rows"], 1),
        query_concurrency=_as_int(where, "query_concurrency", cfg["query_concurrency"], 1),
        sync_workers=_as_int(where, "sync_workers", cfg["sync_workers"], 1, 64),
        sync_timeout=_as_int(where, "sync_timeout", cfg["sync_timeout"], 0),
        sync_tier=tier,
    )


# ----------------------------------------------------------------------------------
# Writing (axis.add_source)


def save_source(name: str, kind: str, url: str, dataset_query: str, results_query: str | None = None,
                incremental_column: str | None = None, partition_column: str | None = None,
                refresh_interval_minutes: float = 0, *, columns: dict | None = None,
                query_timeout: int | None = None, password_env: str | None = None,
                enabled: bool = True) -> SourceConfig:
    """Validate and write ``sources/<name>.yaml``. A password in ``url`` is not written: it is
    kept in this process's memory and the message says which variable to set for later."""
    if not isinstance(name, str) or not NAME_RE.match(name) or name.lower().startswith("_axis"):
        raise ConfigError(f"source name {name!r} is not valid: use letters, digits and _, starting "
                          "with a letter (it is also the dataset name).")
    k = KIND_ALIASES.get(str(kind).lower())
    if k is None:
        raise ConfigError(f"kind {kind!r} is not one of evals, monitoring, signals, kpi.")
    section = KIND_SECTION[k]
    if not isinstance(url, str) or not url:
        raise ConfigError("url is missing: give postgresql://user@host:5432/database.")
    if "${" in url:
        raise _err(f"source {name!r}", "url", "must not refer to environment variables (${...}): "
                   "it is used as written. Give the password with password_env.")
    u = urlsplit(url)
    _check_url_port(f"source {name!r}", u)
    session_pw = None
    if u.password:
        session_pw = unquote(u.password)
        netloc = (quote(unquote(u.username), safe="") + "@" if u.username else "") + (u.hostname or "")
        if u.port:
            netloc += f":{u.port}"
        url = urlunsplit((u.scheme, netloc, u.path, u.query, u.fragment))
    body: dict[str, Any] = {"enabled": bool(enabled), "url": url}
    if section == "kpi_db":
        body["query"] = dataset_query
    else:
        body["dataset_query"] = dataset_query
        if results_query:
            body["results_query"] = results_query
    if incremental_column:
        body["incremental_column"] = incremental_column
    if partition_column:
        body["partition_column"] = partition_column
    if refresh_interval_minutes:
        body["refresh_interval_minutes"] = refresh_interval_minutes
    if columns:
        body["columns"] = dict(columns)
    if query_timeout:
        body["query_timeout"] = int(query_timeout)
    if password_env:
        body["password_env"] = password_env
    path = source_path(name)
    cfg = parse_section(name, section, body, str(path))  # validate before writing
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# AXIS source {name!r} ({k}). Written by axis.add_source().\n"
              f"# No secrets here: set password_env, or AXIS_SOURCE_{name.upper()}_PASSWORD.\n")
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(header + yaml.safe_dump({section: body}, sort_keys=False, width=100))
    os.replace(tmp, path)
    with _LOCK:
        if session_pw is not None:
            _SESSION_SECRETS[name] = session_pw
    return cfg


def remove_source(name: str) -> None:
    """Delete the source ``sources/<name>.yaml`` and forget its session password. The dataset
    it synced stays (delete that separately). Callers check first that no sync of it runs."""
    p = source_path(name) if isinstance(name, str) and NAME_RE.match(name) else None
    if p is None or not p.exists():
        stem = next((s for s, n in REFERENCE_FILES.items() if n == name), None)
        if stem and (axis_config.config_dir() / f"{stem}.yaml").exists():
            raise ConfigError(f"source {name!r} is defined by {stem}.yaml in the config folder, a "
                              "file written by hand: edit or delete it there (enabled: false "
                              "stops its syncs).")
        raise NotFoundError(f"no source named {name!r}.")
    p.unlink()
    with _LOCK:
        _SESSION_SECRETS.pop(name, None)
