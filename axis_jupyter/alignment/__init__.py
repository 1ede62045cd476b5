"""Alignment: people label records, an LLM judge is calibrated against them."""

from __future__ import annotations

from .metrics import AgreementMetrics, agreement

__all__ = ["AgreementMetrics", "agreement"]
