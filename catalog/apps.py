"""The catalog app: models, syncs, surfaces; connects the login-throttle signals and the
receivers that keep Plex library schedules in step with the libraries."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the failed-login signal receivers.
        from catalog.auth import throttle  # noqa: F401
        from catalog.schedules import connect_schedule_signals

        connect_schedule_signals()
