"""Helpers shared by the alignment tests (imported as ``alignment_helpers``: a module name
no other test folder uses, unlike ``conftest``)."""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "annotation_sample.csv"


def make_records_csv(path: Path, n: int = 12) -> Path:
    """``n`` records: r01.. with a query, an output and an expected output."""
    lines = ["dataset_id,query,actual_output,expected_output"]
    for i in range(1, n + 1):
        lines.append(f"r{i:02d},question {i},answer {i},expected {i}")
    path.write_text("\n".join(lines) + "\n")
    return path
