"""Routes under /api/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from catalog.api.errors import not_found
from catalog.api.views import auth, loading, plex, runs, shows, sonarr, webhooks

router = DefaultRouter()
router.register("shows", shows.ShowViewSet)
router.register("episodes", shows.EpisodeViewSet)
router.register("plex/servers", plex.PlexServerViewSet)
router.register("plex/libraries", plex.PlexLibraryViewSet)
router.register("items", plex.MediaItemViewSet)
router.register("path-mappings", plex.PathMappingViewSet)
router.register("sonarr/servers", sonarr.SonarrServerViewSet)
router.register("rules", sonarr.DiscoveryRuleViewSet)
router.register("decisions", sonarr.DecisionViewSet)
router.register("sync-runs", runs.SyncRunViewSet)

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("sync/tvmaze/", runs.TvmazeSyncView.as_view(), name="api-sync-tvmaze"),
    path("sync/tmdb/", runs.TmdbSyncView.as_view(), name="api-sync-tmdb"),
    path("sync/sonarr/", sonarr.SonarrSyncView.as_view(), name="api-sync-sonarr"),
    path("sync/plex/", plex.PlexScansView.as_view(), name="api-sync-plex"),
    path("live/", loading.LiveView.as_view(), name="api-live"),
    path("webhooks/sonarr/<str:server_id>/", webhooks.SonarrWebhookView.as_view(),
         name="api-webhook-sonarr"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    re_path(r"", not_found),  # anything else under /api/ is a JSON 404, not a page
]
