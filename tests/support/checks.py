"""Assertions shared by the suites."""

from __future__ import annotations

import pandas as pd
import pytest


def assert_mean_or_missing(got, values: pd.Series, **approx) -> None:
    """``got`` is the mean of ``values`` or, when there are none, missing (None or NaN):
    an empty group must not show a number, a full one must show the right one."""
    if len(values.dropna()):
        assert got == pytest.approx(values.dropna().mean(), **approx)
    else:
        assert got is None or pd.isna(got), got
