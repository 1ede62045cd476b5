"""A real JupyterLab (non-trivial base_url, token auth, temp root, the AXIS extension owning
a temp store) driven by headless Debian Chromium through Playwright. Screenshots, console
logs and the server log of failing tests go to test-artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser.labserver import CHROMIUM, launch_chromium, start_lab
from support.required import missing

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(autouse=True)
def jp_asyncio_loop():
    """pytest-jupyter's autouse loop fixture (enabled at the rootdir for the server tests)
    closes the current event loop after each test, which is Playwright's running loop here.
    These tests start their own JupyterLab process and need no loop of their own."""
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup():
    """No in-process ServerApp to clean up (see jp_asyncio_loop)."""
    yield


@pytest.fixture(scope="session")
def chromium():
    """The browser's path; without it the browser tests fail under CI and skip elsewhere."""
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"Chromium is not installed at {CHROMIUM} (set AXIS_CHROMIUM to its path)")
    return CHROMIUM


@pytest.fixture(scope="session")
def lab(chromium, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    lab = start_lab(tmp, tmp / "store.duckdb")
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def browser(chromium):
    # module scope: Playwright's sync API runs an event loop that pytest-jupyter's autouse
    # fixtures in later test folders would try to close; stop it before they run
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


@pytest.fixture
def page(browser, lab, request):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    console: list[str] = []
    pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.name.replace("/", "_")
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception:
            pass
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
        try:
            (ARTIFACTS / f"{name}.lab.log").write_text(lab.log.read_text()[-20000:])
        except Exception:
            pass
    ctx.close()
