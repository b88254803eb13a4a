"""The catalog app: models, syncs, surfaces; connects the login-throttle signals."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the failed-login signal receivers.
        from catalog.api.fields import use_strict_json_fields
        from catalog.auth import throttle  # noqa: F401

        use_strict_json_fields()
