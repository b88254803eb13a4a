"""Admin for servers with a secret: never rendered back to anyone, only replaced.

Admins get an empty password input (blank keeps the stored value) and a "check the
connection" box; every other role sees a read-only page on which the secret is only
"set" or "not set" (Django would otherwise render the stored value as read-only text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

from catalog.admin.site import RoleAdmin
from catalog.models.validators import validate_credential, validate_server_url
from catalog.upstreams.checks import ServerCheckError, server_needs_check

Check = Callable[[str, str], dict[str, Any]]


class SecretField(forms.CharField):
    """A password-style input that never shows the stored value; blank keeps it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.PasswordInput(render_value=False))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "Stored and never shown. Leave blank to keep the current one."
        )
        super().__init__(**kwargs)


def secret_form(model: type, secret: str, fields: list[str],
                check: Check | None = None) -> type[forms.ModelForm]:
    """A ModelForm for ``model`` whose ``secret`` field is write-only; with ``check``, a new
    server (or a new URL or key) is checked unless the "verify" box is cleared."""

    class SecretForm(forms.ModelForm):
        verify = forms.BooleanField(
            required=False, initial=True, label="Check the connection",
            help_text="Connect with this URL and key before saving. Clear it to save a "
                      "server that is down right now.")

        class Meta:
            pass

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if secret in self.fields:
                self.fields[secret] = SecretField(max_length=200,
                                                  validators=[validate_credential])
            if check is None:
                self.fields.pop("verify", None)

        def clean(self) -> dict[str, Any]:
            cleaned = super().clean()
            value = cleaned.get(secret)
            if not value:
                if self.instance.pk is None:
                    self.add_error(secret, "This field is required.")
                else:
                    cleaned[secret] = getattr(self.instance, secret)
            if check is not None and cleaned.get("verify") and not self.errors:
                self._check(cleaned)
            return cleaned

        def _check(self, cleaned: dict[str, Any]) -> None:
            try:  # the model's validation (after clean) reports a bad URL; never request it
                validate_server_url(cleaned.get("url") or "")
            except ValidationError:
                return
            original = type(self.instance).objects.filter(pk=self.instance.pk).first()
            if not server_needs_check(original, cleaned, secret):
                return
            try:
                facts = check(cleaned["url"], cleaned[secret])
            except ServerCheckError as exc:
                self.add_error(secret if exc.secret else "url", exc.message)
                return
            for name, fact in facts.items():
                setattr(self.instance, name, fact)

    SecretForm.Meta.model = model
    SecretForm.Meta.fields = [*fields, secret]
    SecretForm.__name__ = f"{model.__name__}Form"
    return SecretForm


class SecretAdmin(RoleAdmin):
    """A RoleAdmin whose ``key_field`` only admins may replace and nobody may read."""

    key_field: str = ""
    hidden_fields: tuple[str, ...] = ()  # never shown nor filterable either (a secret's hash)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            fields = [f for f in fields if f != "verify"]
            fields = ["secret_state" if f == self.key_field else f for f in fields]
        return fields

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        """Never filter by the key: Django allows any lookup on a local field, and a list
        filtered by a guessed prefix (``?token__startswith=a``) would spell the key out."""
        if lookup.split(LOOKUP_SEP, 1)[0] in (self.key_field, *self.hidden_fields):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="key")
    def secret_state(self, obj: Any) -> str:
        """Whether a secret is stored, never what it is."""
        return "set (never shown)" if obj is not None and getattr(obj, self.key_field, "") \
            else "not set"
