"""The evaluation runner as a notebook widget, with the output area where it opens the
scorecard (or the compare view) of a run's results."""

from __future__ import annotations

import traitlets

from ..errors import QueryError
from .widgets import AxisView, Compare, Scorecard, _WithOutputArea, resolve, run_action


class Runner(_WithOutputArea, AxisView):
    """The evaluation runner: pick a dataset, map its columns, choose metrics, start a run,
    follow it and open the scorecard of its results. ``Runner.container`` (what the magic
    displays, and what displaying a Runner shows) holds the runner and the ``output`` area
    where "Open scorecard" shows :class:`Scorecard` of the results."""

    view_name = "runner"
    payload_action = "setup"
    needs_dataset = False

    #: the run the front end is watching (set by the front end, or by :meth:`start`)
    run_id = traitlets.Unicode("").tag(sync=True)
    #: {"dataset": name, "n": counter}: set by the front end's "Open scorecard" button;
    #: with "view": "compare", "baseline", "challenger": its "Compare" button
    scorecard_request = traitlets.Dict().tag(sync=True)

    def __init__(self, dataset=None, store=None, **kwargs):
        store, name = resolve(dataset, store)
        super().__init__(name, store, params={"source": name or None}, compute=False, **kwargs)
        self._make_output_area()
        self.scorecard = None
        self.observe(self._on_scorecard_request, names="scorecard_request")
        self.refresh()

    @classmethod
    def from_magic(cls, store, dataset=None, **options):
        """``%axis show runner [DATASET]``: the runner with its scorecard area."""
        if options:
            raise QueryError("%axis show runner takes only an optional dataset name "
                             f"(got {', '.join(sorted(options))}).")
        return cls(dataset, store=store).container

    # -- Python API ------------------------------------------------------------------
    def call(self, action: str, params: dict | None = None) -> dict:
        return run_action(self._store, None, self.view, action, params)  # runs span datasets

    def payload_params(self) -> dict:
        return {"source": (self.params or {}).get("source") or self.dataset or None}

    def start(self, metrics: list, source: str | None = None, mapping: dict | None = None,
              name: str | None = None, concurrency: int = 8, agent: dict | None = None,
              provider: str | None = None, model: str | None = None) -> str:
        """Start a run from Python (the front end follows it like a clicked Start);
        ``agent`` fills empty outputs first, ``provider``/``model`` pick the judges."""
        source = source or self.dataset
        if mapping is None:
            mapping = (self.call("setup", {"source": source}) or {}).get("mapping", {})
        out = self.call("start", {"source": source, "metrics": list(metrics), "mapping": mapping,
                                  "name": name, "concurrency": concurrency, "agent": agent,
                                  "provider": provider, "model": model})
        self.run_id = out["run_id"]
        return self.run_id

    def status(self) -> dict:
        return self._run_call("status")

    def cancel(self) -> dict:
        return self._run_call("cancel")

    def _run_call(self, action: str) -> dict:
        if not self.run_id:
            raise QueryError("no run started from this runner yet.")
        return self.call(action, {"run_id": self.run_id})

    def open_scorecard(self, dataset: str | None = None) -> Scorecard:
        """Show the scorecard of ``dataset`` (default: the last run's results) in ``output``."""
        if dataset is None:
            dataset = self.status().get("dataset")
        if not dataset:
            raise QueryError("no results dataset to open yet.")
        self.scorecard = Scorecard(dataset, store=self._store)
        self._show_below(self.scorecard)
        return self.scorecard

    def open_compare(self, dataset: str, baseline: str, challenger: str) -> "Compare":
        """Show the compare view of two runs (``dataset`` holds both) in ``output``."""
        view = Compare(dataset, store=self._store, baseline=baseline, challenger=challenger)
        self._show_below(view)
        return view

    def _on_scorecard_request(self, change) -> None:
        req = change.get("new") or {}
        name = req.get("dataset")
        if not name:
            return
        try:
            if req.get("view") == "compare":
                self.open_compare(name, req.get("baseline"), req.get("challenger"))
                return
            self.open_scorecard(name)
        except Exception as exc:  # noqa: BLE001 - show it where the scorecard would be
            self._say_below(f"could not open the scorecard of {name!r}: {exc}")
