"""Login forms that say when a user name is locked out from this address, and for how long."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from catalog.auth.throttle import describe_wait, request_lockout


class ThrottledLoginMixin:
    """Checks the lock before the password, and again after a failure that set it."""

    request: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        self._raise_if_locked(username)
        try:
            return super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            self._raise_if_locked(username)  # this failure was the last one allowed
            raise

    def _raise_if_locked(self, username: str | None) -> None:
        if self.request is None:
            return
        seconds = request_lockout(self.request, username)
        if seconds:
            raise forms.ValidationError(
                "Too many failed logins for this account from your address: it is locked "
                f"for {describe_wait(seconds)}. Try again then.",
                code="locked", params={"seconds": seconds},
            )


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """Any active account may sign in here: the admin site then lets each role see what it
    may (viewers and operators are not staff), and tells an account without a role so."""

    def confirm_login_allowed(self, user: Any) -> None:
        AuthenticationForm.confirm_login_allowed(self, user)
