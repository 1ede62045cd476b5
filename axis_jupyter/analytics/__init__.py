"""Analytics written as Ibis expressions; see registry.ANALYTICS for the list."""

from .context import AnalyticContext
from .registry import ANALYTICS, get, register

__all__ = ["ANALYTICS", "AnalyticContext", "get", "register"]
