"""Puts django-q2's schedule, task and failure admin on our site, for admins only."""

from __future__ import annotations

from django.contrib import admin

from catalog.admin.site import AdminOnlyMixin


def register_django_q(target: admin.AdminSite) -> None:
    """Re-register django_q's ModelAdmins (from the default site) on ``target``."""
    for model, model_admin in list(admin.site._registry.items()):
        if model._meta.app_label != "django_q" or target.is_registered(model):
            continue
        guarded = type(type(model_admin).__name__, (AdminOnlyMixin, type(model_admin)), {})
        target.register(model, guarded)
