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
        from catalog.auth import throttle  # noqa: F401

        post_spawn.connect(tasks.worker_spawned, dispatch_uid="catalog.worker_spawned")
        _teach_log_scrubber()


def _teach_log_scrubber() -> None:
    """Every log line of this process masks the configured upstream keys by value, even
    where no client has been built yet (Plex and Sonarr keys are learnt as clients are)."""
    from django.conf import settings

    from integrations.errors import Scrubber, install_log_scrubber
    from integrations.http import DEFAULT_SECRET_NAMES

    keys = {"api_key": settings.TMDB_API_KEY or "", "apikey": settings.TVMAZE_API_KEY or ""}
    install_log_scrubber(Scrubber.for_config(DEFAULT_SECRET_NAMES, params=keys))
