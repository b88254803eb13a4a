"""The three roles and the one rule that decides what each may do, everywhere.

viewer < operator < admin. ``viewer`` and ``operator`` are groups (created by a migration);
``admin`` is a staff or superuser account. The admin site, the API and the dashboard all ask
:func:`has_role`, so the matrix is enforced identically on every surface.
"""

from __future__ import annotations

from enum import IntEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

VIEWER_GROUP = "viewer"
OPERATOR_GROUP = "operator"


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3


def user_role(user: AbstractBaseUser | AnonymousUser | None) -> Role | None:
    """The highest role the user holds, or None for anonymous and role-less accounts."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser or user.is_staff:
        return Role.ADMIN
    cached = getattr(user, "_mediasync_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._mediasync_groups = cached
    if OPERATOR_GROUP in cached:
        return Role.OPERATOR
    if VIEWER_GROUP in cached:
        return Role.VIEWER
    return None


def has_role(user: AbstractBaseUser | AnonymousUser | None, needed: Role) -> bool:
    role = user_role(user)
    return role is not None and role >= needed
