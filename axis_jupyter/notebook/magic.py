"""The ``%axis`` magic: ``%load_ext axis_jupyter`` then ``%axis help``.

One ``Magics`` + ``Configurable`` class (so ``%config AxisMagic.short_errors = False`` works),
with one ``magic_arguments`` parser per subcommand; :func:`subcommand` registers each in
``COMMANDS``, which the dispatch and ``%axis help`` read. User errors print one line; only
real bugs show a traceback.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Callable

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Unicode
from traitlets.config import Configurable

from ..errors import AxisError


@dataclass
class Subcommand:
    name: str
    fn: Callable[..., Any]  # fn(magic, args, cell) with args parsed by its magic_arguments
    summary: str
    cell: bool = False  # also usable as %%axis NAME


COMMANDS: dict[str, Subcommand] = {}


def subcommand(name: str, summary: str, *, cell: bool = False):
    def deco(fn):
        COMMANDS[name] = Subcommand(name, fn, summary, cell)
        return fn

    return deco


class UsageError(AxisError):
    """Bad magic arguments."""


@magics_class
class AxisMagic(Magics, Configurable):
    """``%axis`` line and cell magic."""

    store_path = Unicode(None, allow_none=True, config=True,
                         help="Store to use (default: the shared store, see axis_jupyter.connect).")
    short_errors = Bool(True, config=True, help="Print user errors on one line instead of a traceback.")

    def __init__(self, shell=None, **kwargs):
        Configurable.__init__(self, config=shell.config if shell is not None else None)
        Magics.__init__(self, shell=shell, **kwargs)
        if shell is not None:
            shell.configurables.append(self)
        self._store = None

    # -- store ----------------------------------------------------------------------
    @property
    def store(self):
        if self._store is None or getattr(self._store, "_closed", False):
            from .. import connect

            self._store = connect(self.store_path)
        return self._store

    # -- dispatch -------------------------------------------------------------------
    @line_cell_magic
    def axis(self, line: str = "", cell: str | None = None):
        line = line.strip()
        name, _, rest = line.partition(" ")
        name = name or "help"
        cmd = COMMANDS.get(name)
        try:
            if cmd is None:
                raise UsageError(f"unknown command {name!r}. Try %axis help.")
            if cell is not None and not cmd.cell:
                raise UsageError(f"%%axis {name} is not a cell magic; use %axis {name} on one line.")
            try:
                args = parse_argstring(cmd.fn, rest)
            except SystemExit:  # argparse already printed the usage line
                return None
            except Exception as exc:  # UsageError from IPython's argparse wrapper
                raise UsageError(f"%axis {name}: {exc}") from None
            return cmd.fn(self, args, cell)
        except AxisError as exc:
            if not self.short_errors:
                raise
            print(f"AXIS error: {exc}", file=sys.stderr)
            return None

    def display(self, obj) -> None:
        from IPython.display import display

        display(obj)


def _json_arg(text: str | None, what: str) -> dict | None:
    if not text:
        return None
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]  # IPython's argument splitter keeps the shell quotes
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{what} must be JSON, e.g. '{{\"input\": \"query\"}}' ({exc}).") from None
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a JSON object.")
    return value


# ----------------------------------------------------------------------------------
# Core subcommands


@magic_arguments()
@argument("path", help="CSV, Parquet or JSON-lines file (a variable name holding a frame works too)")
@argument("--name", "-n", default=None, help="dataset name (default: from the file name)")
@argument("--kind", "-k", default="auto",
          help="auto, evals, monitoring, signals, annotations, kpi or rules")
@argument("--mapping", "-m", default=None, help='JSON column mapping, e.g. \'{"input": "query"}\'')
@argument("--encoding", default="utf-8", help="file encoding (utf-8, latin-1, utf-16)")
def _load(magic: AxisMagic, args, cell):
    """Load a file or data frame as a dataset."""
    import warnings

    source: Any = args.path.strip("'\"")
    ns = magic.shell.user_ns if magic.shell is not None else {}
    if source in ns and not isinstance(ns[source], str):
        source = ns[source]  # %axis load df --name x
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = magic.store.load(source, name=args.name, kind=args.kind,
                              mapping=_json_arg(args.mapping, "--mapping"), encoding=args.encoding)
    info = ds.info
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print(f"Loaded {info['rows']:,} rows ({info['records']:,} records) as '{ds.name}' "
          f"[{info['kind']}, {info['layout']}].")
    return None


subcommand("load", "load PATH [--name N] [--kind K] [--mapping JSON]: load a file or frame")(_load)


@magic_arguments()
def _datasets(magic: AxisMagic, args, cell):
    """List the datasets in the store."""
    return magic.store.datasets()


subcommand("datasets", "datasets: list datasets (name, kind, rows, columns, updated)")(_datasets)

def _sync_section(store):
    """The sync state of each configured source (the embedded store only)."""
    from ..store.local import LocalStore
    from ..sync import engine

    if not isinstance(store, LocalStore):
        return None
    df = engine.status(store)
    if df.empty:
        return None
    return df[["source", "kind", "state", "rows", "last_sync", "sync_type", "incremental_rows",
               "watermark", "error"]]


def _alerts_section(store):
    from ..analytics.alerts import status_section

    return status_section(store)


# The sections of %axis status after the datasets: fn(store) -> DataFrame | str | None.
STATUS_SECTIONS: list[tuple[str, Callable[[Any], Any]]] = [("Sync", _sync_section), ("Alerts", _alerts_section)]


@magic_arguments()
def _status(magic: AxisMagic, args, cell):
    """Show where the store lives and what it holds (plus sync status and alerts)."""
    from ..store.local import LocalStore

    store = magic.store
    mode = "embedded in this process" if isinstance(store, LocalStore) else "shared through the Jupyter server"
    print(f"AXIS store: {store.location} ({mode})")
    ds = store.datasets()
    print(f"{len(ds)} dataset(s)")
    if len(ds):
        magic.display(ds)
    for title, fn in STATUS_SECTIONS:
        try:
            out = fn(store)
        except AxisError as exc:
            out = f"unavailable: {exc}"
        if out is None:
            continue
        print(f"\n{title}")
        if isinstance(out, str):
            print(out)
        else:
            magic.display(out)
    return None


subcommand("status", "status: store location, datasets, sync state and alerts")(_status)


@magic_arguments()
@argument("query", nargs="*", help="a SELECT statement (or use %%axis sql with the query in the cell)")
@argument("--limit", "-l", type=int, default=None, help="rows to return (default: all)")
def _sql(magic: AxisMagic, args, cell):
    """Run one read-only SELECT on the store; returns a DataFrame."""
    query = (cell if cell is not None else " ".join(args.query)).strip()
    if not query:
        raise UsageError("give a query: %axis sql SELECT ... or %%axis sql with the query below.")
    if args.limit is not None:
        query = f"SELECT * FROM ({query.rstrip(';')}) LIMIT {int(args.limit)}"
    return magic.store.sql(query)


subcommand("sql", "sql SELECT ... | %%axis sql: run a read-only query", cell=True)(_sql)


@magic_arguments(name="axis show")
@argument("view", nargs="?", default=None, metavar="VIEW", help="view name: scorecard, deepdive, compare, monitor, production, "
                                                "runner, database, datasets, ...")
@argument("dataset", nargs="?", default=None, metavar="DATASET", help="dataset name (optional when the store has one of "
                                                  "the view's kind)")
@argument("options", nargs="*", metavar="key=value", help="view options (e.g. experiment=baseline)")
def _show(magic: AxisMagic, args, cell):
    """Show an inline view of a dataset."""
    from ..payloads import views
    from .widgets import show

    if not args.view:
        raise UsageError("give a view: %axis show VIEW [DATASET] [key=value ...] (views: "
                         f"{', '.join(sorted(views()))}).")
    if args.dataset and "=" in args.dataset:  # %axis show monitor time=7d: options, no name
        args.options.insert(0, args.dataset)
        args.dataset = None
    opts = {}
    for item in args.options:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"view option {item!r} must look like key=value.")
        opts[key.lstrip("-")] = value
    return show(args.view, magic.store, args.dataset, **opts)


subcommand("show", "show VIEW [DATASET] [key=value ...]: inline view (scorecard, ..., datasets: the data manager)")(_show)


@magic_arguments()
@argument("topic", nargs="?", default=None, help="a command to explain")
def _help(magic: AxisMagic, args, cell):
    """List the commands."""
    if args.topic:
        cmd = COMMANDS.get(args.topic)
        if cmd is None:
            raise UsageError(f"unknown command {args.topic!r}.")
        parser = getattr(cmd.fn, "parser", None)
        # the parser's help has the usage line and the docstring once (fn.__doc__ repeats them)
        text = parser.format_help() if parser is not None else cmd.summary
        print(text.replace("::\n\n", "").replace(f"%_{cmd.name}", f"%axis {cmd.name}").strip())
        return None
    lines = ["%axis commands:"] + [f"  %axis {c.summary}" for c in COMMANDS.values()]
    lines.append("Use %axis help COMMAND for its options; %config AxisMagic for settings.")
    print("\n".join(lines))
    return None


subcommand("help", "help [COMMAND]: this list")(_help)



# ----------------------------------------------------------------------------------
# Sync and evaluation runs


@magic_arguments()
@argument("source", nargs="?", default=None, help="source name (default: every enabled source)")
@argument("--full", action="store_true", help="full rebuild instead of incremental")
@argument("--list", action="store_true", help="list the configured sources")
@argument("--reset-watermark", action="store_true", help="forget the watermark of SOURCE")
def _sync(magic: AxisMagic, args, cell):
    """Sync PostgreSQL sources into the store, with a live progress bar and a summary."""
    from ..sync import engine
    from .progress import SyncProgress

    if args.list:
        return engine.sources()
    store = magic.store
    if args.reset_watermark:
        if not args.source:
            raise UsageError("give the source: %axis sync SOURCE --reset-watermark")
        print(engine.reset_watermark(store, args.source)["message"])
        return None
    # fed by the sync jobs' progress events (the server's, over SSE, for a server's store)
    df = engine.sync(store, args.source, full=args.full, progress=SyncProgress())
    for _, r in df[df["state"] == "ready"].iterrows():
        extra = (f", +{int(r['incremental_rows']):,} new" if r["sync_type"] == "incremental"
                 and r["incremental_rows"] is not None else "")
        print(f"{r['source']}: {int(r['rows'] or 0):,} rows ({r['sync_type']}{extra}) in "
              f"{(r['seconds'] or 0):.1f} s")
    for _, r in df[df["state"] != "ready"].iterrows():
        print(f"{r['source']}: {r['state']} — {r['error']}", file=sys.stderr)
    return df


subcommand("sync", "sync [SOURCE] [--full] [--list]: sync PostgreSQL sources into the store")(_sync)


@magic_arguments()
@argument("action", choices=["build", "show"], help="build: (re)build them; show: their keys and tables")
@argument("name", help="dataset name")
def _summaries(magic: AxisMagic, args, cell):
    """The pre-aggregated summaries of a dataset: build them (a dataset loaded before they
    existed has none) or show their keys and tables."""
    from ..summaries.rebuild import rebuild

    if args.action == "build":
        meta = rebuild(magic.store, args.name)
    else:
        meta = magic.store.info(args.name).get("summary")
    if not meta:
        return f"{args.name} has no summaries (no metric_name and numeric metric_score)."
    shown = {k: meta.get(k) for k in ("keys", "time_bucket", "day_keys", "bin_keys", "latency_keys", "day_bin_keys",
                                      "lat_day_keys", "class_days_keys", "hours_from", "hour_keys", "hour_bin_keys",
                                      "lat_hour_keys", "class_hours_keys", "case_bits", "tables", "build_s")}
    # the keys the days and fine bins take from metric_name, not from a scan (summaries/implied.py)
    return {**shown, "implied": sorted(meta.get("implied") or {})}


subcommand("summaries", "summaries build|show NAME: (re)build or show a dataset's summaries")(_summaries)


@magic_arguments()
@argument("action", choices=["run", "metrics", "runs", "export", "rerun", "test-agent"],
          help="run: score a dataset; metrics: the catalogue; runs: stored runs; export RUN PATH; "
               "rerun RUN: only its failed rows; test-agent: call --agent once")
@argument("source", nargs="?", default=None, help="dataset name or file path (export/rerun: the run)")
@argument("path", nargs="?", default=None, help="export: the file (.csv, .parquet, .json, .jsonl)")
@argument("--agent", "-a", default=None, help='JSON agent settings, e.g. \'{"url": "http://...", '
          '"answer_path": "choices.0.message.content"}\'')
@argument("--provider", default=None, help="the judges' provider: anthropic, openai or azure")
@argument("--model", default=None, help="the judges' model")
@argument("--metrics", "-M", default="", help="comma-separated metric keys (see %%axis eval metrics)")
@argument("--name", "-n", default=None, help="name of the results dataset (default eval_<run id>)")
@argument("--mapping", "-m", default=None, help='JSON field mapping, e.g. \'{"actual_output": "answer"}\'')
@argument("--concurrency", type=int, default=8, help="items x metrics scored at once")
def _eval(magic: AxisMagic, args, cell):
    """Score a dataset with metrics; the results become an evaluation dataset."""
    from .progress import Progress

    store = magic.store
    if args.action == "metrics":
        return store.metrics()
    if args.action == "runs":
        return store.runs()
    agent = _json_arg(args.agent, "--agent")
    if args.action == "test-agent":
        if agent is None:
            raise UsageError("%axis eval test-agent needs --agent '{\"url\": ...}'.")
        return store.test_agent(agent, args.source or "Hello, how are you?")
    if args.action in ("export", "rerun") and not args.source:
        raise UsageError(f"%axis eval {args.action} needs the run's name.")
    if args.action == "export":
        if not args.path:
            raise UsageError("%axis eval export RUN PATH: give the file to write.")
        path = store.run(args.source).export(args.path)
        print(f"Wrote {path}.")
        return None
    if args.action == "rerun":
        run = store.run(args.source).rerun_failed(agent=agent)
        print(f"Re-ran the failed rows of '{run.name}': {len(run.failed()):,} still without a score.")
        return run.summary()
    if not args.source:
        raise UsageError("%axis eval run needs a dataset name or file path.")
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if not metrics:
        raise UsageError("give --metrics a,b,c (see %axis eval metrics).")
    bar = Progress("eval")
    try:
        ds = store.evaluate(args.source.strip("'\""), metrics, mapping=_json_arg(args.mapping, "--mapping"),
                            name=args.name, max_concurrent=args.concurrency,
                            on_progress=lambda done, total: bar.update(done, total), agent=agent,
                            provider=args.provider, model=args.model)
    except BaseException:
        bar.close("failed")
        raise
    bar.close()
    info = ds.info
    print(f"Scored {info['records']:,} items x {len(metrics)} metrics into '{ds.name}' ({info['rows']:,} rows).")
    return ds.summary()


subcommand("eval", "eval run DATASET --metrics a,b [--name N] [--agent JSON] [--provider P --model M] | "
                   "eval metrics | eval runs | eval export RUN PATH | eval rerun RUN | "
                   "eval test-agent [QUERY] --agent JSON: evaluation runs")(_eval)


# ----------------------------------------------------------------------------------
# Alignment


@magic_arguments()
@argument("dataset", help="the dataset whose labels the judge is measured against")
@argument("--judge", "-j", default=None,
          help="a judge YAML file or a saved judge's name (name or name@version); default: "
               "the default judge")
@argument("--annotator", default=None, help="only this annotator's labels (default: the newest "
                                            "label of each record)")
def _calibrate(magic: AxisMagic, args, cell):
    """Run an LLM judge over the labelled records and measure it against people."""
    from ..alignment import calibrate
    from .progress import Progress

    bar = Progress("calibrate")

    def on_event(event: str, data: Any) -> None:
        if event == "progress" and isinstance(data, dict) and "done" in data:
            bar.update(int(data["done"]), int(data.get("total") or 0))

    judge = args.judge.strip("'\"") if args.judge else None
    try:
        cal = calibrate(magic.store, args.dataset.strip("'\""), judge, annotator=args.annotator,
                        progress=on_event)
    except BaseException:
        bar.close("failed")
        raise
    bar.close()
    m = cal.metrics
    kappa = "undefined" if m.kappa is None else f"{m.kappa:.3f}"
    interval = "" if m.kappa_ci_low is None else f" [{m.kappa_ci_low:.3f}, {m.kappa_ci_high:.3f}]"
    print(f"Judge {cal.data['run']['judge_name']} v{cal.data['run']['judge_version']} on "
          f"{m.n:,} labelled records: kappa {kappa}{interval} ({m.kappa_band or 'n/a'}), "
          f"accuracy {m.accuracy if m.accuracy is None else round(m.accuracy, 3)}, "
          f"verdict: {m.verdict}. Run {cal.run_id}.")
    return cal


subcommand("calibrate", "calibrate DATASET [--judge FILE|NAME]: measure an LLM judge against "
                        "the labels")(_calibrate)


from . import copilot_magic  # noqa: E402,F401  (registers %axis ask and %axis report)
from . import attach_magic  # noqa: E402,F401  (registers %axis attach)
