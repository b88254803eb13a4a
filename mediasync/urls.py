"""Top-level routes: the web UI, login, admin, API, health and metrics."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from catalog import metrics
from catalog.admin import site
from catalog.admin.django_q import register_django_q
from catalog.auth.pages import LoginView
from catalog.metrics import health

admin.autodiscover()


def favicon(request: HttpRequest) -> HttpResponse:
    """Pages that do not link the icon (the admin's, the API docs) still find one."""
    return redirect(static("ui/favicon.svg"), permanent=True)


register_django_q(site)

urlpatterns = [
    path("", include("catalog.ui.urls")),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", site.urls),
    path("api/", include("catalog.api.urls")),
    path("health", health.health, name="health"),
    path("ready", health.ready, name="ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("favicon.ico", favicon),
]
