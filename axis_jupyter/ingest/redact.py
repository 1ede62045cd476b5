"""Load errors for answers that leave the process: no content of the data in them.

An :class:`~axis_jupyter.errors.IngestError` may quote the data it failed on (a value, a
column name, the first line of a file that is not a table) — helpful to the user fixing their
own file in Python, but over HTTP it would let anyone who can name a file read part of it.
Every such message also carries ``public``: the same message with line numbers and column
positions only. Server code wraps the loads it runs for a request::

    with without_contents():
        store.load(path, name=name)

and the error it raises (and a job records) is the public one.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..errors import IngestError


@contextmanager
def without_contents() -> Iterator[None]:
    """Re-raise an IngestError from the block as its ``public`` message."""
    try:
        yield
    except IngestError as exc:
        if exc.public == str(exc):
            raise
        raise IngestError(exc.public) from None
