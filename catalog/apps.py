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
        _teach_log_scrubber()


def _save_upstream_counters_after_work() -> None:
    """Web requests and queued tasks that called an upstream leave their counts in the table."""
    from django.core.signals import request_finished
    from django_q.signals import post_execute_in_worker

    from catalog.metrics.counters import upstream_counters_flush_quietly

    request_finished.connect(upstream_counters_flush_quietly,
                             dispatch_uid="catalog.upstream_counters.request")
    post_execute_in_worker.connect(upstream_counters_flush_quietly,
                                   dispatch_uid="catalog.upstream_counters.task")


def _teach_log_scrubber() -> None:
    """Every log line of this process masks the configured upstream keys by value, even
    where no client has been built yet (Plex and Sonarr keys are learnt as clients are)."""
    from django.conf import settings

    from integrations.errors import Scrubber, install_log_scrubber
    from integrations.http import DEFAULT_SECRET_NAMES

    keys = {"api_key": settings.TMDB_API_KEY or "", "apikey": settings.TVMAZE_API_KEY or ""}
    install_log_scrubber(Scrubber.for_config(DEFAULT_SECRET_NAMES, params=keys))
