"""Prometheus metrics, liveness and readiness: what operators and orchestrators read about the
running system, computed from the database so it is true whichever process did the work."""

from catalog.metrics.view import metrics_view

__all__ = ["metrics_view"]
