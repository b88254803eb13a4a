"""Admin actions that start work or clean up state: set-based, confirmed when destructive."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from catalog.runs import RunInProgress
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue


def enqueue_each(modeladmin: admin.ModelAdmin, request: HttpRequest, kind: str,
                 options_for: Callable[[object], dict], queryset: QuerySet) -> None:
    """Enqueue one run per selected row; report what started and what was already running."""
    started, busy = [], []
    for obj in queryset:
        try:
            run = sync_enqueue(kind=kind, options=options_for(obj),
                               triggered_by=request.user.get_username())
            started.append(f"{obj} (run {run.pk})")
        except RunInProgress as exc:
            busy.append(f"{obj} (run {exc.run.pk})")
        except EnqueueFailed as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
    if started:
        modeladmin.message_user(request, f"Queued: {', '.join(started)}.", messages.SUCCESS)
    if busy:
        modeladmin.message_user(request, f"Already running: {', '.join(busy)}.", messages.WARNING)


def enqueue_one(modeladmin: admin.ModelAdmin, request: HttpRequest, *, kind: str,
                options: dict, what: str) -> None:
    """Enqueue one run for a selection and say so: queued, already running, or no queue."""
    try:
        run = sync_enqueue(kind=kind, options=options, triggered_by=request.user.get_username())
    except RunInProgress as exc:
        modeladmin.message_user(request, f"{what} is already running (run {exc.run.pk}); try "
                                "again when it ends.", messages.WARNING)
    except EnqueueFailed as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
    else:
        modeladmin.message_user(request, f"Queued {what} (run {run.pk}).", messages.SUCCESS)


def confirm(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, *,
            action: str, question: str, apply: Callable[[QuerySet], int],
            done: str) -> HttpResponse | None:
    """Ask first (an intermediate page); on "yes", apply in one statement and report."""
    if request.POST.get("confirmed") == "yes":
        count = apply(queryset)
        modeladmin.message_user(request, done.format(count=count), messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Are you sure?",
        "question": question,
        "queryset": queryset[:20],
        "count": queryset.count(),
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/confirm_action.html", context)
