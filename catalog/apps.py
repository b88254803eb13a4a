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
