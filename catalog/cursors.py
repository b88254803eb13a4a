"""Durable checkpoints, read and written inside the page transactions that advance them."""

from __future__ import annotations

from typing import Any

from catalog.models import SyncCursor


def cursor_get(key: str) -> dict[str, Any]:
    row = SyncCursor.objects.filter(key=key).values_list("value", flat=True).first()
    return dict(row or {})


def cursor_set(key: str, value: dict[str, Any]) -> None:
    """Upsert in one statement; call it inside the page's transaction."""
    SyncCursor.objects.update_or_create(key=key, defaults={"value": value})
