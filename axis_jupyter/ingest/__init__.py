"""Ingestion: readers (files and frames), column aliases, kind/layout detection, table builds."""

from .columns import canonical_names, normalise_name
from .detect import KINDS, detect
from .jsonish import parse_jsonish
from .redact import without_contents

__all__ = ["KINDS", "canonical_names", "detect", "normalise_name", "parse_jsonish",
           "without_contents"]
