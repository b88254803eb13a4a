"""Creates the first admin account once, from the environment or with a printed password."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from mediasync.env import envstr


class Command(BaseCommand):
    help = (
        "Create the first superuser from MEDIASYNC_ADMIN_USER / MEDIASYNC_ADMIN_PASSWORD "
        "(or print a generated password once). Does nothing when any superuser exists."
    )

    def handle(self, *args: object, **options: object) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            return
        username = envstr("MEDIASYNC_ADMIN_USER", "admin") or "admin"
        password = envstr("MEDIASYNC_ADMIN_PASSWORD")
        generated = password is None
        if generated:
            password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username=username, email="", password=password)
        if generated:
            self.stdout.write(
                f"Created admin user {username!r} with password: {password}\n"
                "This is shown once; change it after logging in."
            )
        else:
            self.stdout.write(f"Created admin user {username!r} from the environment.")
