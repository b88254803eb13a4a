"""Admin for Sonarr servers, discovery rules and decisions."""

from __future__ import annotations

from django.contrib import admin

from catalog.admin.secrets import SecretAdmin, secret_form
from catalog.admin.site import ReadOnlyAdmin, RoleAdmin, site
from catalog.models import Decision, DiscoveryRule, SonarrServer
from catalog.servers import sonarr_server_check


@admin.register(SonarrServer, site=site)
class SonarrServerAdmin(SecretAdmin):
    key_field = "api_key"
    form = secret_form(SonarrServer, "api_key", ["name", "url", "enabled"],
                       check=lambda url, key: sonarr_server_check(url=url, api_key=key))
    list_display = ["name", "url", "enabled", "version"]
    list_filter = ["enabled"]
    search_fields = ["name"]
    readonly_fields = ["version", "created_at"]


@admin.register(DiscoveryRule, site=site)
class DiscoveryRuleAdmin(RoleAdmin):
    list_display = ["name", "server", "enabled", "dry_run", "monitor", "root_folder"]
    list_filter = ["enabled", "dry_run", "server"]
    list_select_related = ["server"]
    search_fields = ["name"]


@admin.register(Decision, site=site)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["show", "rule", "status", "reason", "sonarr_series_id", "attempts",
                    "updated_at"]
    list_filter = ["status", "rule"]
    list_select_related = ["show", "rule"]
    raw_id_fields = ["show", "rule"]
    search_fields = ["show__title"]
