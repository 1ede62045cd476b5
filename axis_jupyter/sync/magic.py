"""``%axis sync [SOURCE] [--full]`` and the sync section of ``%axis status``."""

from __future__ import annotations

import sys
import time

from IPython.core.magic_arguments import argument, magic_arguments

from ..magic import STATUS_SECTIONS, UsageError, subcommand


class _Progress:
    """A live progress bar (ipywidgets when available, else one rewritten text line)."""

    def __init__(self, display=None):
        self.bar = self.label = None
        self._last_text = 0.0
        try:
            import ipywidgets as w
            from IPython import get_ipython

            if get_ipython() is not None and getattr(get_ipython(), "kernel", None) is not None:
                self.bar = w.IntProgress(min=0, max=100, value=0, description="sync",
                                         layout=w.Layout(width="50%"))
                self.label = w.HTML("starting…")
                (display or _display)(w.HBox([self.bar, self.label]))
        except Exception:  # no widgets: text
            self.bar = None

    def __call__(self, ev: dict) -> None:
        phase = ev.get("phase", "")
        tables = ev.get("tables") or {}
        rows = sum((t or {}).get("rows", 0) for t in tables.values()) if tables else ev.get("rows") or 0
        est = sum((t or {}).get("estimate") or 0 for t in tables.values()) if tables else 0
        if isinstance(rows, dict):
            rows = sum(rows.values())
        frac = min(1.0, rows / est) if est else None
        detail = ", ".join(f"{k} {v.get('rows', 0):,}" for k, v in tables.items()) if tables else ""
        text = f"{ev.get('source', '')}: {phase}" + (f" — {detail} rows" if detail else "")
        if phase == "done":
            frac = 1.0
            text = (f"{ev.get('source')}: done — {ev.get('rows') or 0:,} rows "
                    f"({ev.get('sync_type')}, {ev.get('seconds', 0):.1f} s)")
        if phase == "error":
            text = f"{ev.get('source')}: failed — {ev.get('error')}"
        if self.bar is not None:
            if frac is not None:
                self.bar.value = int(frac * 100)
            self.bar.bar_style = "danger" if phase == "error" else ("success" if phase == "done" else "")
            self.label.value = _escape(text)
        else:
            now = time.monotonic()
            if phase in ("reading",) and now - self._last_text < 0.5:
                return
            self._last_text = now
            bar = ""
            if frac is not None:
                n = int(frac * 20)
                bar = "[" + "#" * n + "." * (20 - n) + f"] {frac:4.0%} "
            end = "\n" if phase in ("done", "error") else ""
            sys.stdout.write("\r" + bar + text[:120].ljust(100) + end)
            sys.stdout.flush()


def _escape(s: str) -> str:
    import html

    return html.escape(s)


def _display(obj):
    from IPython.display import display

    display(obj)


@magic_arguments()
@argument("source", nargs="?", default=None, help="source name (default: every enabled source)")
@argument("--full", action="store_true", help="full rebuild instead of incremental")
@argument("--list", action="store_true", help="list the configured sources")
@argument("--reset-watermark", action="store_true", help="forget the watermark of SOURCE")
def _sync(magic, args, cell):
    """Sync PostgreSQL sources into the store, with a live progress bar and a summary."""
    from . import engine

    if args.list:
        return engine.sources()
    store = magic.store
    if args.reset_watermark:
        if not args.source:
            raise UsageError("give the source: %axis sync SOURCE --reset-watermark")
        print(engine.reset_watermark(store, args.source)["message"])
        return None
    bar = _Progress(display=magic.display)  # fed by the sync jobs' progress events
    df = engine.sync(store, args.source, full=args.full, progress=bar)
    ok = df[df["state"] == "ready"]
    bad = df[df["state"] != "ready"]
    for _, r in ok.iterrows():
        extra = (f", +{int(r['incremental_rows']):,} new" if r["sync_type"] == "incremental"
                 and r["incremental_rows"] is not None else "")
        print(f"{r['source']}: {int(r['rows'] or 0):,} rows ({r['sync_type']}{extra}) in "
              f"{(r['seconds'] or 0):.1f} s")
    for _, r in bad.iterrows():
        print(f"{r['source']}: {r['state']} — {r['error']}", file=sys.stderr)
    return df


def _is_local(store) -> bool:
    from ..store.local import LocalStore

    return isinstance(store, LocalStore)


subcommand("sync", "sync [SOURCE] [--full] [--list]: sync PostgreSQL sources into the store")(_sync)


def _status_section(store):
    from . import engine

    if not _is_local(store):
        return None
    df = engine.status(store)
    if df.empty:
        return None
    return df[["source", "kind", "state", "rows", "last_sync", "sync_type", "incremental_rows",
               "watermark", "error"]]


if not any(title == "Sync" for title, _ in STATUS_SECTIONS):
    STATUS_SECTIONS.insert(0, ("Sync", _status_section))  # before the alerts
