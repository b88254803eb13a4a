"""Prometheus metrics computed from the database, true whichever process did the work."""

from catalog.metrics.counters import upstream_counters_flush
from catalog.metrics.view import metrics_view

__all__ = ["metrics_view", "upstream_counters_flush"]
