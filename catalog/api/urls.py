"""Routes under /api/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from catalog.api import loading_views, shows, sonarr_views, sync_views, views

router = DefaultRouter()
router.register("shows", shows.ShowViewSet)
router.register("episodes", views.EpisodeViewSet)
router.register("plex/servers", views.PlexServerViewSet)
router.register("plex/libraries", views.PlexLibraryViewSet)
router.register("items", views.MediaItemViewSet)
router.register("path-mappings", views.PathMappingViewSet)
router.register("sonarr/servers", sonarr_views.SonarrServerViewSet)
router.register("rules", sonarr_views.DiscoveryRuleViewSet)
router.register("decisions", sonarr_views.DecisionViewSet)
router.register("sync-runs", views.SyncRunViewSet)

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("sync/tvmaze/", sync_views.TvmazeSyncView.as_view(), name="api-sync-tvmaze"),
    path("sync/tmdb/", sync_views.TmdbSyncView.as_view(), name="api-sync-tmdb"),
    path("sync/sonarr/", sonarr_views.SonarrSyncView.as_view(), name="api-sync-sonarr"),
    path("live/", loading_views.LiveView.as_view(), name="api-live"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    re_path(r"", views.not_found),  # anything else under /api/ is a JSON 404, not a page
]
