"""``%axis eval run DATASET --metrics a,b [--name N] [--mapping JSON]`` and ``%axis eval metrics``."""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from ..magic import UsageError, _json_arg, subcommand
from ..progress import Progress


@magic_arguments()
@argument("action", choices=["run", "metrics"], help="run: score a dataset; metrics: list the catalogue")
@argument("source", nargs="?", default=None, help="dataset name or file path")
@argument("--metrics", "-M", default="", help="comma-separated metric keys (see %%axis eval metrics)")
@argument("--name", "-n", default=None, help="name of the results dataset (default eval_<run id>)")
@argument("--mapping", "-m", default=None, help='JSON field mapping, e.g. \'{"actual_output": "answer"}\'')
@argument("--concurrency", type=int, default=8, help="items x metrics scored at once")
def _eval(magic, args, cell):
    """Score a dataset with metrics; the results become an evaluation dataset."""
    store = magic.store
    if args.action == "metrics":
        return store.metrics()
    if not args.source:
        raise UsageError("%axis eval run needs a dataset name or file path.")
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if not metrics:
        raise UsageError("give --metrics a,b,c (see %axis eval metrics).")
    bar = Progress("eval")
    try:
        ds = store.evaluate(args.source.strip("'\""), metrics, mapping=_json_arg(args.mapping, "--mapping"),
                            name=args.name, max_concurrent=args.concurrency,
                            on_progress=lambda done, total: bar.update(done, total))
    except BaseException:
        bar.close("failed")
        raise
    bar.close()
    info = ds.info
    print(f"Scored {info['records']:,} items x {len(metrics)} metrics into '{ds.name}' ({info['rows']:,} rows).")
    return ds.summary()


subcommand("eval", "eval run DATASET --metrics a,b [--name N] | eval metrics: evaluation runs")(_eval)
