"""Deterministic metrics (no LLM). Importing this package registers them."""

from . import format, pii, retrieval, strings, tools  # noqa: F401  (registration side effect)
