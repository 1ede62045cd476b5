"""One visual language in the compare payload (issue 21, item 6): ties are named "tie" in
the win donut (they once showed as "null"), each role and each experiment keeps one fixed
colour whatever pair is shown, and the radar names its spokes. Checked on data built so
that pandas knows the ties."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.notebook.widgets import call_action
from axis_jupyter.payloads.style import ROLE_COLORS

EXPS = ["a_base", "b_new", "c_alt"]
METRICS = ["m1", "m2", "m3", "m4"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    rng = np.random.default_rng(11)
    rows = []
    for i in range(30):
        base = rng.uniform(0.2, 0.9, len(METRICS))
        for e, shift in zip(EXPS, (0.0, 0.1, -0.1)):
            for m, b in zip(METRICS, base):
                s = b if i < 10 else b + shift  # the first ten cases score the same everywhere
                rows.append({"dataset_id": f"c{i:02d}", "evaluation_name": e, "metric_name": m,
                             "metric_score": float(np.clip(s, 0, 1))})
    s = axis_jupyter.LocalStore(tmp_path_factory.mktemp("vl") / "vl.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.load(pd.DataFrame(rows), name="vl", kind="evals")
    yield s
    s.close()


def scale(spec: dict) -> dict:
    """The colour scale of the first layer encoding colour by a field."""
    for node in [spec, *spec.get("layer", [])]:
        col = (node.get("encoding") or {}).get("color")
        if isinstance(col, dict) and "scale" in col:
            return col["scale"]
    raise AssertionError("no colour scale")


def test_ties_are_named_and_roles_keep_their_colours(store):
    p = call_action(store, "vl", "compare", "payload", {"baseline": "a_base", "challenger": "b_new"})
    pie = p["charts"]["pie"]
    rows = next(iter(pie["datasets"].values()))
    labels = {r["label"]: r["cases"] for r in rows}
    assert None not in labels and "null" not in labels
    assert labels["tie"] == 10  # the ten identical cases
    sc = scale(pie)
    got = dict(zip(sc["domain"], sc["range"]))
    assert got["tie"] == ROLE_COLORS["tie"]
    assert got.get("b_new") == ROLE_COLORS["challenger"] and got.get("a_base", ROLE_COLORS["baseline"]) == ROLE_COLORS["baseline"]


def test_an_experiment_keeps_its_colour_in_every_pair(store):
    seen: dict[str, set] = {}
    for b, c in (("a_base", "b_new"), ("b_new", "c_alt"), ("c_alt", "a_base")):
        p = call_action(store, "vl", "compare", "payload", {"baseline": b, "challenger": c})
        for name, colour in p["colors"].items():
            seen.setdefault(name, set()).add(colour)
        sc = scale(p["charts"]["radar"])
        assert dict(zip(sc["domain"], sc["range"])) == {b: p["colors"][b], c: p["colors"][c]}
    assert all(len(v) == 1 for v in seen.values()) and len({next(iter(v)) for v in seen.values()}) == 3


def test_the_radar_names_its_spokes(store):
    p = call_action(store, "vl", "compare", "payload", {"baseline": "a_base", "challenger": "c_alt"})
    radar = p["charts"]["radar"]
    assert sorted(r["metric_name"] for r in radar["datasets"]["labels"]) == METRICS
    text_layers = [l for l in radar["layer"] if (l.get("mark") or {}).get("type") == "text"
                   and l["encoding"].get("text", {}).get("field") == "metric_name"]
    assert len(text_layers) == 1
