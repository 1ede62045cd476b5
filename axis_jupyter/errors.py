"""Exception types, one family per layer.

Every error a user can cause derives from :class:`AxisError` and carries a message a
person can act on. The magic prints ``str(err)`` on one line; the server extension maps
``status`` to the HTTP code. Anything else that escapes is a bug (HTTP 500).
"""

from __future__ import annotations


class AxisError(Exception):
    """Base class for errors caused by input, configuration or state (not by bugs)."""

    status = 400


class ConfigError(AxisError):
    """A configuration file or setting is invalid; the message names the key."""


class IngestError(AxisError):
    """A file or frame could not be loaded; the message names the file, line, column and fix."""


class StoreError(AxisError):
    """The store cannot be opened or used."""

    status = 500


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file's write lock."""

    status = 409


class NotFoundError(AxisError):
    """A dataset, job or other named thing does not exist."""

    status = 404


class QueryError(AxisError):
    """A query or analytic request is invalid (bad SQL, unknown column, bad parameter)."""


class ConflictError(AxisError):
    """The request conflicts with work in progress (e.g. a sync already running)."""

    status = 409


class QueryTimeoutError(QueryError):
    """A read ran past its time limit and DuckDB interrupted it (not a 408: browsers
    resend a 408 on a reused connection, which would run the same heavy query again)."""

    status = 422


class QueryCancelledError(QueryError):
    """A read was interrupted because its request or job was cancelled (client gone)."""

    status = 409


class ResultTooLargeError(QueryError):
    """A result exceeds the configured row or byte cap of an answer."""

    status = 413


class TooBusyError(AxisError):
    """The user already runs as many heavy requests as allowed at once."""

    status = 429
