"""What a build of a dataset's tables is (:class:`Built`) and how its SQL runs (:func:`run`):
shared by the generic builds (:mod:`.build`) and the rules build (:mod:`.rules`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import IngestError
from .readers import NeedsCarefulRead, Source


@dataclass
class Built:
    kind: str
    layout: str
    records_table: str | None  # wide layouts only
    scores_table: str  # the long table every analytic reads
    metric_columns: list[str]  # wide: the score columns of the records table
    warnings: list[str] = field(default_factory=list)
    extras: dict = field(default_factory=dict)

    @property
    def tables(self) -> list[str]:
        """Every table of this build (records, scores, the record-latency index of long
        monitoring data and the cases table of human signals)."""
        return [t for t in (self.records_table, self.scores_table, self.extras.get("latency_table"),
                            self.extras.get("cases_table")) if t]


def run(cur, sql: str, source: Source) -> None:
    """Run a statement that reads ``source``; its failure becomes an IngestError naming the
    file (or NeedsCarefulRead on a fast read, so the load is retried line by line)."""
    import duckdb

    try:
        cur.execute(sql)
    except duckdb.Error as exc:
        if source.extras.get("fast"):
            raise NeedsCarefulRead() from None  # read again, with rejects stored per line
        msg = first_line(exc)
        if isinstance(exc, duckdb.ConversionException):
            raise IngestError(f"{source.label}: a value could not be converted ({msg}). Fix the value "
                              "or pass kind/mapping so the column is read as text.",
                              public=f"{source.label}: a value could not be converted. Fix the "
                                     "value or pass kind/mapping so the column is read as text.") from exc
        if "unicode" in msg.lower() or "utf" in msg.lower():
            raise IngestError(f"{source.label}: not valid UTF-8 ({msg}). Re-save the file as UTF-8 "
                              "or pass encoding='latin-1' to load().",
                              public=f"{source.label}: not valid UTF-8. Re-save the file as UTF-8 "
                                     "or pass encoding='latin-1'.") from exc
        if isinstance(exc, (duckdb.InvalidInputException, duckdb.IOException)):
            raise IngestError(f"{source.label}: cannot read ({msg}). The file may be truncated or "
                              "malformed.",
                              public=f"{source.label}: cannot read. The file may be truncated or "
                                     "malformed.") from exc
        raise


def first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
