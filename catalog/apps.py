"""The catalog app: models, syncs, surfaces; connects the login-throttle signals."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the failed-login signal receivers.
        from catalog.auth import throttle  # noqa: F401
        from catalog.hooks import on_shows_changed, on_shows_entered_library
        from catalog.sync.loading.queue import shows_queue_new, shows_refresh_episodes

        on_shows_entered_library(shows_queue_new)
        on_shows_changed(shows_refresh_episodes)
