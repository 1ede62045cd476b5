"""Dataset names: the default one for a source and the rule every name follows."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import IngestError

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def dataset_name_from(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        stem = Path(source).stem
    else:
        stem = "data"
    name = re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_").lower() or "data"
    if name[0].isdigit():
        name = "d_" + name
    return name[:63]


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name) or name.lower().startswith("_axis"):
        raise IngestError(f"dataset name {name!r} is not valid: use letters, digits and _, "
                          "starting with a letter (e.g. 'evals_v2').")
    return name
