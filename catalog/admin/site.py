"""The admin site and the role rules every ModelAdmin here follows."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from catalog.auth.forms import AdminLoginForm
from catalog.auth.pages import no_role
from catalog.auth.roles import Role, has_role, user_role


class MediasyncAdminSite(admin.AdminSite):
    """Open to every role (not only staff); each ModelAdmin then checks the role it needs."""

    site_header = "mediasync"
    site_title = "mediasync admin"
    index_title = "Catalog administration"
    login_form = AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return user_role(request.user) is not None

    def admin_view(self, view: Callable, cacheable: bool = False) -> Callable:
        """A NUL in a query parameter (a list filter, a search) is a 400 here: PostgreSQL
        refuses NUL in text, so the lookup would otherwise end in a 500."""
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if any("\x00" in key or any("\x00" in v for v in values)
                   for key, values in request.GET.lists()):
                return HttpResponseBadRequest("A query parameter contains a NUL character.",
                                              content_type="text/plain")
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """A signed-in account without a role learns why instead of meeting the login form."""
        if request.method == "GET" and request.user.is_authenticated \
                and user_role(request.user) is None:
            return no_role(request)
        return super().login(request, extra_context)


site = MediasyncAdminSite(name="admin")


class CheckedSelection:
    """The rows an action is asked to act on must be ids: Django filters ``pk__in`` with
    whatever was posted, and text there ends in a ValueError (a 500)."""

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        pk = self.model._meta.pk
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                pk.to_python(value)
            except ValidationError:
                return HttpResponseBadRequest(f"{value[:40]!r} is not a row id.",
                                              content_type="text/plain")
        return super().response_action(request, queryset)


class RoleAdmin(CheckedSelection, admin.ModelAdmin):
    """Viewers see; ``write_role`` (admin unless lowered) adds, changes and deletes;
    ``operate`` actions (scans, state cleanups) need an operator."""

    write_role: Role = Role.ADMIN
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.VIEWER)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, Role.VIEWER)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return has_role(request.user, self.write_role)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, self.write_role)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, self.write_role)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.OPERATOR)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        """Rows nobody edits by hand (decisions, items, ...) go with what they belong to:
        Django would otherwise ask for a delete permission on them no role has, and refuse
        to delete a rule that has decided a show, as the API does not."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        derived = {str(model._meta.verbose_name) for model, model_admin
                   in self.admin_site._registry.items() if isinstance(model_admin, ReadOnlyAdmin)}
        needed = {p for p in perms_needed if str(p) not in derived}
        return _trimmed(deleted), counts, needed, protected


LISTED_PER_LEVEL = 20


def _trimmed(nested: list, limit: int = LISTED_PER_LEVEL) -> list:
    """Django's nested list of what a delete takes with it, at most ``limit`` rows per
    level (the counts above it stay whole): a rule with 100,000 decisions is not a 10 MB page."""
    out: list = []
    shown = hidden = 0
    kept = False
    for item in nested:
        if isinstance(item, list):
            if kept:
                out.append(_trimmed(item, limit))
            continue
        kept = shown < limit
        if kept:
            out.append(item)
            shown += 1
        else:
            hidden += 1
    if hidden:
        out.append(f"… and {hidden} more")
    return out


class ReadOnlyAdmin(RoleAdmin):
    """History and upstream-owned rows: nobody edits them by hand."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AdminOnlyMixin(CheckedSelection):
    """Users and groups are managed by admins only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, Role.ADMIN)


class AdminOnlyUserAdmin(AdminOnlyMixin, UserAdmin):
    pass


class AdminOnlyGroupAdmin(AdminOnlyMixin, GroupAdmin):
    pass


site.register(User, AdminOnlyUserAdmin)
site.register(Group, AdminOnlyGroupAdmin)
