"""A progress bar for long work started from a notebook (eval runs, syncs).

In a notebook front end it is an ipywidgets bar with a label; in a plain terminal it prints
a line every 10%. Both are driven by ``update(done, total, text)``.
"""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, title: str, total: int | None = None):
        self.title, self.total, self._last_pct = title, total, -10
        self._bar = None
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
                import ipywidgets as w
                from IPython.display import display

                self._bar = w.IntProgress(value=0, min=0, max=max(total or 1, 1), description=title)
                self._label = w.Label("")
                display(w.HBox([self._bar, self._label]))
        except ImportError:  # no IPython/ipywidgets: text progress
            self._bar = None

    def update(self, done: int, total: int | None = None, text: str = "") -> None:
        total = total or self.total or 0
        if self._bar is not None:
            self._bar.max = max(total, 1)
            self._bar.value = done
            self._label.value = f"{done:,}/{total:,} {text}".strip()
            return
        pct = int(100 * done / total) if total else 100
        if pct >= self._last_pct + 10 or done == total:
            self._last_pct = pct
            print(f"{self.title}: {done:,}/{total:,} ({pct}%) {text}".rstrip(), file=sys.stderr, flush=True)

    def close(self, text: str = "done") -> None:
        if self._bar is not None:
            self._bar.bar_style = "success" if text == "done" else "danger"
            self._label.value = f"{self._label.value} — {text}"
