"""Admin forms whose secret fields are never rendered back, only replaced."""

from __future__ import annotations

from typing import Any

from django import forms


class SecretField(forms.CharField):
    """A password-style input that never shows the stored value; blank keeps it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.PasswordInput(render_value=False))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "Stored and never shown. Leave blank to keep the current one."
        )
        super().__init__(**kwargs)


def secret_form(model: type, secret: str, fields: list[str]) -> type[forms.ModelForm]:
    """A ModelForm for ``model`` whose ``secret`` field is write-only."""

    class SecretForm(forms.ModelForm):
        class Meta:
            pass

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.fields[secret] = SecretField(max_length=200)

        def clean(self) -> dict[str, Any]:
            cleaned = super().clean()
            value = cleaned.get(secret)
            if not value:
                if self.instance.pk is None:
                    self.add_error(secret, "This field is required.")
                else:
                    cleaned[secret] = getattr(self.instance, secret)
            return cleaned

    SecretForm.Meta.model = model
    SecretForm.Meta.fields = [*fields, secret]
    SecretForm.__name__ = f"{model.__name__}Form"
    return SecretForm
