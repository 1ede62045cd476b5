"""Exception types, one family per layer.

Every error a user can cause derives from :class:`AxisError` and carries a message a
person can act on. The magic prints ``str(err)`` on one line; the server extension maps
``status`` to the HTTP code and ``code`` to the ``type`` of its JSON error body (a stable
word such as ``bad_parameter`` or ``not_found``, never a Python class name). Anything else
that escapes is a bug (HTTP 500, logged on the server with its traceback).
"""

from __future__ import annotations


class AxisError(Exception):
    """Base class for errors caused by input, configuration or state (not by bugs)."""

    status = 400
    code = "bad_request"


class ConfigError(AxisError):
    """A configuration file or setting is invalid; the message names the key."""

    code = "bad_config"


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

    code = "bad_input"


class StoreError(AxisError):
    """The store cannot be opened or used."""

    status = 500
    code = "store_unavailable"


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file's write lock."""

    status = 409
    code = "store_locked"


class NotFoundError(AxisError):
    """A dataset, job or other named thing does not exist."""

    status = 404
    code = "not_found"


class QueryError(AxisError):
    """A query or analytic request is invalid (bad SQL, unknown column, bad parameter)."""

    code = "bad_query"


class ParameterError(QueryError):
    """A parameter has the wrong type or value; ``param`` names it, the message says what
    it expects."""

    code = "bad_parameter"

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class ConflictError(AxisError):
    """The request conflicts with work in progress (e.g. a sync already running)."""

    status = 409
    code = "conflict"


class QueryTimeoutError(QueryError):
    """A read ran past its time limit and DuckDB interrupted it (not a 408: browsers
    resend a 408 on a reused connection, which would run the same heavy query again)."""

    status = 422
    code = "query_timeout"


class QueryCancelledError(QueryError):
    """A read was interrupted because its request or job was cancelled (client gone)."""

    status = 409
    code = "query_cancelled"


class ResultTooLargeError(QueryError):
    """A result exceeds the configured row or byte cap of an answer."""

    status = 413
    code = "result_too_large"


class TooBusyError(AxisError):
    """The user already runs as many heavy requests as allowed at once."""

    status = 429
    code = "too_many_requests"


# What an unexpected exception is called in error bodies and job records.
INTERNAL = "internal"


def error_code(exc: BaseException) -> str:
    """The stable code of an error: its class's ``code`` (AxisError) or ``internal``."""
    if isinstance(exc, AxisError):
        return getattr(exc, "code", None) or AxisError.code
    return INTERNAL


def error_class(code: str | None, default: type[AxisError] = AxisError) -> type[AxisError]:
    """The AxisError class for a code from an error body (or a class name from an older
    server); ``default`` when the code is unknown."""
    if not code:
        return default
    known: dict[str, type] = {}
    for c in _subclasses(AxisError):
        known.setdefault(c.code, c)
    cls = known.get(code) or globals().get(code)
    return cls if isinstance(cls, type) and issubclass(cls, AxisError) else default


def _subclasses(cls: type) -> list[type]:
    # Breadth first, so a code keeps its most general class when subclasses inherit it.
    out, todo = [], [cls]
    while todo:
        c = todo.pop(0)
        out.append(c)
        todo.extend(c.__subclasses__())
    return [c for c in out if "code" in vars(c)]
