"""The catalog app: models, syncs, surfaces; connects the login-throttle signals."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the failed-login signal receivers.
        from django_q.signals import post_spawn

        from catalog import tasks
        from catalog.api.fields import use_strict_json_fields
        from catalog.auth import throttle  # noqa: F401

        post_spawn.connect(tasks.worker_spawned, dispatch_uid="catalog.worker_spawned")
        use_strict_json_fields()
        _save_upstream_counters_after_work()


def _save_upstream_counters_after_work() -> None:
    """Web requests and queued tasks that called an upstream leave their counts in the table."""
    from django.core.signals import request_finished
    from django_q.signals import post_execute_in_worker

    from catalog.metrics.counters import upstream_counters_flush_quietly

    request_finished.connect(upstream_counters_flush_quietly,
                             dispatch_uid="catalog.upstream_counters.request")
    post_execute_in_worker.connect(upstream_counters_flush_quietly,
                                   dispatch_uid="catalog.upstream_counters.task")
