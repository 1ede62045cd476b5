"""The engine stands alone: its modules import each other without cycles (lazy imports
included), the store knows nothing of sync or evals (the workbench composes them), and the
server's store is shared with connect() through an explicit call, not a module global.
(test_engine_without_jupyter.py runs every analytic and view action without Jupyter.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import axis_jupyter
from axis_jupyter.store import local, remote
from axis_jupyter.store.base import Store

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "axis_jupyter"
# The faces that need Jupyter (the magic, widgets, progress bars); everything else is engine.
FACES = ("axis_jupyter.notebook", "axis_jupyter.views", "axis_jupyter.magic",
         "axis_jupyter.progress", "axis_jupyter.sync.magic", "axis_jupyter.evals.magic")

def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_face(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FACES)


def engine_imports() -> dict[str, set[str]]:
    """Module -> the axis_jupyter modules it imports (function-level imports included)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                for alias in node.names:  # "from pkg import module" names a module
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in files else base)
        graph[name] = {m for m in found if m in files and m != name}
    return graph


def test_the_engine_imports_no_face_and_has_no_import_cycle():
    graph = engine_imports()
    engine = {m for m in graph if not _is_face(m)}
    # the package's top level reaches the faces lazily (load_ipython_extension, view classes)
    wrong = sorted((m, i) for m in engine - {"axis_jupyter"} for i in graph[m] if _is_face(i))
    assert wrong == []
    # strongly connected components of the engine's import graph (Tarjan)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v] & engine):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(engine):
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_store_knows_nothing_of_sync_or_evals():
    graph = engine_imports()
    store_modules = [m for m in graph if m.startswith("axis_jupyter.store")]
    reached = {i for m in store_modules for i in graph[m]}
    assert not [i for i in reached if i.startswith(("axis_jupyter.sync", "axis_jupyter.evals"))]
    for call in ("add_source", "sync", "metrics", "evaluate"):
        assert not hasattr(Store, call) and not hasattr(local.LocalStore, call)
    # ... and what connect() returns has them (the workbench composes them on top)
    axis = axis_jupyter.connect(":memory:")
    try:
        assert isinstance(axis, local.LocalStore)
        assert type(axis) is axis_jupyter.LocalStore
        assert "exact_match" in set(axis.metrics().key)
    finally:
        axis.close()
    assert issubclass(axis_jupyter.RemoteStore, remote.RemoteStore)


def test_a_shared_store_is_what_connect_returns_while_it_is_open(tmp_path, monkeypatch):
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "default.duckdb"))
    from axis_jupyter.jobs import JobRunner

    runner = JobRunner(executor="job")
    shared = axis_jupyter.open_local(tmp_path / "served.duckdb", jobs=runner, shared=True)
    try:
        assert axis_jupyter.connect() is shared
        assert shared.jobs is runner
    finally:
        shared.close()
        runner.shutdown()
    other = axis_jupyter.connect()  # closed: no longer shared; the default store again
    try:
        assert other is not shared and other.location == str(tmp_path / "default.duckdb")
    finally:
        other.close()


def test_opening_a_file_twice_with_another_runner_is_refused(tmp_path):
    from axis_jupyter.errors import StoreError
    from axis_jupyter.jobs import JobRunner

    store = axis_jupyter.open_local(tmp_path / "a.duckdb")
    try:
        assert axis_jupyter.open_local(tmp_path / "a.duckdb") is store
        with pytest.raises(StoreError, match="another job runner"):
            axis_jupyter.open_local(tmp_path / "a.duckdb", jobs=JobRunner())
    finally:
        store.close()
