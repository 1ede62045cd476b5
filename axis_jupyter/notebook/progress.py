"""Progress bars for long work started from a notebook (eval runs, syncs).

In a notebook front end a bar is an ipywidgets bar with a label; in a plain terminal it is
text on stderr or stdout. :class:`Progress` follows counts (``update(done, total, text)``);
:class:`SyncProgress` follows the events of a sync (``bar(event)``).
"""

from __future__ import annotations

import html
import sys
import time


def _widget_bar(description: str, maximum: int, label: str = ""):
    """(IntProgress, label) displayed in the running notebook, or (None, None) outside one."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None or getattr(shell, "kernel", None) is None:
            return None, None
        import ipywidgets as w
        from IPython.display import display

        bar = w.IntProgress(value=0, min=0, max=max(maximum, 1), description=description,
                            layout=w.Layout(width="50%"))
        text = w.HTML(label)
        display(w.HBox([bar, text]))
        return bar, text
    except ImportError:  # no IPython/ipywidgets: text progress
        return None, None


class Progress:
    """A bar of ``done`` out of ``total`` items; as text, a line on stderr every 10 %."""

    def __init__(self, title: str, total: int | None = None):
        self.title, self.total, self._last_pct = title, total, -10
        self._bar, self._label = _widget_bar(title, total or 1)

    def update(self, done: int, total: int | None = None, text: str = "") -> None:
        total = total or self.total or 0
        if self._bar is not None:
            self._bar.max = max(total, 1)
            self._bar.value = done
            self._label.value = html.escape(f"{done:,}/{total:,} {text}".strip())
            return
        pct = int(100 * done / total) if total else 100
        if pct >= self._last_pct + 10 or done == total:
            self._last_pct = pct
            print(f"{self.title}: {done:,}/{total:,} ({pct}%) {text}".rstrip(), file=sys.stderr, flush=True)

    def close(self, text: str = "done") -> None:
        if self._bar is not None:
            self._bar.bar_style = "success" if text == "done" else "danger"
            self._label.value = f"{self._label.value} — {html.escape(text)}"


class SyncProgress:
    """The progress of ``sync(..., progress=bar)``: rows read per table against the
    estimates; as text, one line rewritten in place (at most twice a second)."""

    def __init__(self):
        self._last_text = 0.0
        self.bar, self.label = _widget_bar("sync", 100, "starting…")

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
            self.label.value = html.escape(text)
            return
        now = time.monotonic()
        if phase == "reading" and now - self._last_text < 0.5:
            return
        self._last_text = now
        bar = ""
        if frac is not None:
            n = int(frac * 20)
            bar = "[" + "#" * n + "." * (20 - n) + f"] {frac:4.0%} "
        end = "\n" if phase in ("done", "error") else ""
        sys.stdout.write("\r" + bar + text[:120].ljust(100) + end)
        sys.stdout.flush()
