"""Root conftest: pytest plugins must be declared at the rootdir (pytest >= 8)."""

pytest_plugins = ["pytest_jupyter.jupyter_server"]
