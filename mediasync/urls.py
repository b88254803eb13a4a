"""Top-level routes: the web UI, login, admin, API, health and metrics."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from catalog import metrics
from catalog.admin import site
from catalog.admin.django_q import register_django_q
from catalog.auth.forms import LoginForm
from catalog.metrics import health

admin.autodiscover()
register_django_q(site)

urlpatterns = [
    path("", include("catalog.ui.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True,
                                                 authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", site.urls),
    path("api/", include("catalog.api.urls")),
    path("health", health.health, name="health"),
    path("ready", health.ready, name="ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
