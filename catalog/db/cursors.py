"""Durable checkpoints, read and written inside the page transactions that advance them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from catalog.db.bulk import upsert
from catalog.models import SyncCursor


def cursor_get(key: str) -> dict[str, Any]:
    row = SyncCursor.objects.filter(key=key).values_list("value", flat=True).first()
    return dict(row or {})


def cursor_set(key: str, value: dict[str, Any]) -> None:
    """Upsert in one statement; call it inside the page's transaction."""
    upsert(SyncCursor, ["key", "value", "updated_at"], [(key, value, timezone.now())],
           conflict=["key"], update=["value", "updated_at"])
