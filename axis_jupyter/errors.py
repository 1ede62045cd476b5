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
    """A file or frame could not be loaded; the message names the file, line, column and fix.

    The message may quote the data (a value, a column name, a line) to help the user fix
    their own file. ``public`` is the same message without any of the data's content — line
    numbers and column positions only — for answers that leave this process: the server
    raises that one (``axis_jupyter.ingest.without_contents``).
    """

    def __init__(self, message: str = "", *, public: str | None = None):
        super().__init__(message)
        self.public = message if public is None else public


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
