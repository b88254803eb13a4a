"""The admin's "Add show" page and the load actions on shows (operators)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from catalog.api.views.loading import ShowAddRequest
from catalog.auth.roles import Role, has_role
from catalog.sync.loading import PARTS, show_add, shows_request
from catalog.sync.loading.add import ID_FIELDS, LABELS

MAX_SELECTED = 1000


class AddShowForm(forms.Form):
    id_kind = forms.ChoiceField(label="Id", choices=[(f, LABELS[f]) for f in ID_FIELDS])
    value = forms.CharField(label="Value", max_length=20, strip=True,
                            help_text="e.g. 82 (TVMaze), 1399 (TMDB), 121361 (TVDB), tt0944947")

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        value = data["value"]
        if data["id_kind"] != "imdb_id" and value.isascii() and value.lstrip("-").isdigit():
            value = int(value)  # the API's request takes JSON numbers; a form gives text
        body = ShowAddRequest(data={data["id_kind"]: value})
        if not body.is_valid():
            errors = body.errors.get(data["id_kind"]) or body.errors.get("non_field_errors")
            raise forms.ValidationError({"value": [str(e) for e in errors]})
        return {**data, **body.validated_data}


def add_show_view(modeladmin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """A form with one id; the show is created pending and loads in the background."""
    if not has_role(request.user, Role.OPERATOR):
        raise PermissionDenied
    form = AddShowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = show_add(field=form.cleaned_data["field"], value=form.cleaned_data["value"],
                          by=request.user.get_username())
        if result.created:
            note = f"Added “{result.show}”; its parts load in the background."
        elif result.queued:
            note = f"“{result.show}” is already in the catalog; its missing parts are queued."
        else:
            note = f"“{result.show}” is already in the catalog; nothing is missing."
        modeladmin.message_user(request, note, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:catalog_show_change", args=[result.show.pk]))
    context = {**modeladmin.admin_site.each_context(request), "title": "Add show",
               "form": form, "opts": modeladmin.model._meta}
    return TemplateResponse(request, "admin/catalog/show/add_show.html", context)


def _ids(queryset: QuerySet) -> list[int]:
    return list(queryset.values_list("id", flat=True)[:MAX_SELECTED])


@admin.action(description="Load missing or failed parts", permissions=["operate"])
def load_missing(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    queued = shows_request(_ids(queryset))
    modeladmin.message_user(request, f"Queued {queued} show(s); shows already loading, or "
                            "with nothing missing, were left alone.", messages.SUCCESS)


@admin.action(description="Reload every part", permissions=["operate"])
def load_all(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    queued = shows_request(_ids(queryset), PARTS)
    modeladmin.message_user(request, f"Queued {queued} show(s) for a full reload; shows "
                            "already loading were left alone.", messages.SUCCESS)
