"""``%axis ask`` and ``%axis report``: the copilot and reports from the magic.

``%axis ask "which experiment is best on faithfulness?"`` (or ``%%axis ask`` with the
question in the cell) streams the copilot's steps as they happen — each tool call on one
line with its SQL — then shows the answer as Markdown and returns it (``_.code()``
reproduces its numbers). Follow-ups continue the conversation; ``--new`` starts another.
``%axis report DATASET [--kind K] [--mode M] [--node N] [--out FILE]`` writes a report,
streaming its steps, shows it and saves it as Markdown when ``--out`` is given.
"""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.magic_arguments import argument, magic_arguments

from .magic import AxisMagic, UsageError, subcommand


class StepPrinter:
    """Prints the copilot's and reports' steps as they come, one line each; the streamed
    text goes into one live Markdown display (in a notebook) or is left for the end."""

    def __init__(self, magic: AxisMagic):
        self.magic = magic
        self.handle = None
        self.text = ""
        try:
            from IPython import get_ipython

            shell = get_ipython()
            self.live = shell is not None and getattr(shell, "kernel", None) is not None
        except ImportError:  # pragma: no cover - IPython is a dependency
            self.live = False

    def __call__(self, event: str, data: Any) -> None:
        if event == "thought" and isinstance(data, dict):
            self.thought(data)
        elif event == "text" and isinstance(data, dict) and self.live:
            from IPython.display import Markdown, display

            from ..copilot.answer import safe_markdown

            self.text += data.get("delta", "")
            if self.handle is None:
                self.handle = display(Markdown(safe_markdown(self.text)), display_id=True)
            else:
                self.handle.update(Markdown(safe_markdown(self.text)))

    def thought(self, t: dict) -> None:
        kind, content = t.get("type"), (t.get("content") or "").strip()
        if kind == "reasoning" and (not content or self.live):
            return  # streamed (or about to be streamed) as text
        tool = f" [{t['tool']}]" if t.get("tool") else ""
        line = f"· {kind}{tool}: {content.splitlines()[0] if content else ''}"
        sql = (t.get("metadata") or {}).get("sql")
        if sql:
            line += "\n    " + " ".join(str(sql).split())
        print(line, file=sys.stderr if kind == "error" else sys.stdout, flush=True)

    def finish(self) -> None:
        if self.handle is not None:  # the streamed draft gives way to the final answer
            from IPython.display import Markdown

            self.handle.update(Markdown(""))


@magic_arguments()
@argument("question", nargs="*", help="the question (or use %%axis ask with it in the cell)")
@argument("--new", action="store_true", help="start a new conversation")
@argument("--datasets", "-d", default=None, help="comma-separated datasets to limit it to")
def _ask(magic: AxisMagic, args, cell):
    """Ask the data in plain words; returns the answer (its .code() reproduces the numbers)."""
    from IPython.display import Markdown

    question = (cell if cell is not None else " ".join(args.question)).strip()
    if len(question) > 1 and question[0] == question[-1] and question[0] in "'\"":
        question = question[1:-1]
    if not question:
        raise UsageError('give a question: %axis ask "which experiment is best?"')
    printer = StepPrinter(magic)
    answer = magic.store.ask(question, new=args.new, datasets=args.datasets, on_event=printer)
    printer.finish()
    magic.display(Markdown(answer._repr_markdown_()))
    return answer


subcommand("ask", 'ask "QUESTION" [--new] | %%axis ask: ask the copilot about your data',
           cell=True)(_ask)


@magic_arguments()
@argument("dataset", help="the evaluation dataset")
@argument("--kind", "-k", default="summary", help="summary, detailed, grouped or recommendations")
@argument("--mode", "-m", default="low", help="low, high or overall")
@argument("--threshold", "-t", type=float, default=0.5, help="score threshold (default 0.5)")
@argument("--node", default=None, help="a metric-tree node: report on it and what is below it")
@argument("--max-issues", type=int, default=100, help="issues sent to the model (1-500)")
@argument("--sample-rate", type=float, default=1.0, help="share of records (md5 sampling)")
@argument("--out", "-o", default=None, help="save the report as this Markdown file")
def _report(magic: AxisMagic, args, cell):
    """Write an AI report on a dataset's issues (streamed), show it, optionally save it."""
    from IPython.display import Markdown

    printer = StepPrinter(magic)
    ds = magic.store.dataset(args.dataset.strip("'\""))
    report = ds.report(kind=args.kind, mode=args.mode, threshold=args.threshold, node=args.node,
                       max_issues=args.max_issues, sample_rate=args.sample_rate,
                       on_event=printer)
    printer.finish()
    magic.display(Markdown(report._repr_markdown_()))
    if args.out:
        print(f"Saved to {report.save(args.out)}")
    return report


subcommand("report", "report DATASET [--kind K] [--mode M] [--node N] [--out FILE]: AI report")(_report)
