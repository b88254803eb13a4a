"""API permissions: the role matrix of catalog.auth.roles, applied per view and per method."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from catalog.auth.roles import Role, has_role


class RolePermission(BasePermission):
    """Reads need ``viewer``; writes need the view's ``write_role`` (default ``admin``).

    A view may name a stricter role for an action with ``action_roles = {"sync": Role.OPERATOR}``.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        action_roles: dict[str, Role] = getattr(view, "action_roles", {})
        action = getattr(view, "action", None)
        if action in action_roles:
            needed = action_roles[action]
        elif request.method in SAFE_METHODS:
            needed = Role.VIEWER
        else:
            needed = getattr(view, "write_role", Role.ADMIN)
        return has_role(request.user, needed)
