"""Admin for Sonarr servers, discovery rules and decisions (roles as everywhere: viewers
read, operators push/approve/decline/skip, admins edit servers and rules)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from catalog.admin.actions import enqueue_each
from catalog.admin.rule_forms import RuleForm, SelectionForm
from catalog.admin.secrets import SecretAdmin, secret_form
from catalog.admin.site import ReadOnlyAdmin, RoleAdmin, site
from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import Decision, DiscoveryRule, RuleSelection, SonarrServer, SyncRun
from catalog.rules import services as rule_services
from catalog.rules.engine import MAX_SELECTIONS
from catalog.sync.sonarr.validate import rule_record, rule_resolve, server_facts
from catalog.upstreams.checks import sonarr_server_check
from catalog.upstreams.clients import sonarr_client
from integrations.errors import UpstreamError

MAX_SECRETS_AT_ONCE = 20  # one page shows each new secret once


@admin.register(SonarrServer, site=site)
class SonarrServerAdmin(SecretAdmin):
    key_field = "api_key"
    hidden_fields = ("webhook_secret_hash",)
    form = secret_form(SonarrServer, "api_key", ["name", "url", "enabled"],
                       check=lambda url, key: sonarr_server_check(url=url, api_key=key))
    list_display = ["name", "url", "enabled", "version", "state", "checked_at"]
    list_filter = ["enabled", "state"]
    search_fields = ["name"]
    readonly_fields = ["version", "state", "state_message", "checked_at", "created_at",
                       "webhook", "webhook_event", "webhook_event_at"]
    actions = ["push_now", "webhook_secret_generate"]

    def delete_model(self, request: HttpRequest, obj: SonarrServer) -> None:
        rule_services.servers_delete(SonarrServer.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        rule_services.servers_delete(queryset)

    @admin.action(description="Push to Sonarr now", permissions=["operate"])
    def push_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        enqueue_each(self, request, SyncRun.Kind.SONARR, lambda s: {"server_id": s.pk},
                     queryset)

    @admin.display(description="webhook")
    def webhook(self, obj: SonarrServer) -> str:
        """Whether a secret is set and where Sonarr should call; never the secret."""
        if obj is None or obj.pk is None:
            return "save the server first"
        url = reverse("api-webhook-sonarr", kwargs={"server_id": obj.pk})
        state = (f"secret set {obj.webhook_secret_at:%Y-%m-%d %H:%M} (never shown again)"
                 if obj.webhook_secret_hash else "no secret: the webhook refuses every call")
        return f"POST {url} · {state}. Admins generate a secret with the list's action."

    @admin.action(description="Generate a new webhook secret (shown once)",
                  permissions=["change"])
    def webhook_secret_generate(self, request: HttpRequest,
                                queryset: QuerySet) -> TemplateResponse | None:
        """A new secret per selected server, on a page of its own (never in a message, which
        would travel in a cookie) that no cache keeps. At most 20 at once: more is refused
        whole, never cut silently."""
        if queryset.count() > MAX_SECRETS_AT_ONCE:
            self.message_user(request, f"Choose at most {MAX_SECRETS_AT_ONCE} servers: no "
                              "secret was generated.", messages.ERROR)
            return None
        rows = []
        for server in queryset.order_by("name"):
            secret = sonarr_webhook_secret_new(server_id=server.pk)
            path = reverse("api-webhook-sonarr", kwargs={"server_id": server.pk})
            rows.append((server, request.build_absolute_uri(path), secret))
        page = TemplateResponse(request, "admin/catalog/sonarrserver/webhook_secret.html", {
            **self.admin_site.each_context(request), "title": "Sonarr webhook secrets",
            "rows": rows})
        page["Cache-Control"] = "no-store"
        return page


class SelectionInline(admin.StackedInline):
    model = RuleSelection
    form = SelectionForm
    extra = 0
    max_num = MAX_SELECTIONS  # as the API allows: a rule saved here can be PUT back

    def get_formset(self, request: HttpRequest, obj: object = None, **kwargs: object) -> type:
        """max_num alone only limits the blank forms shown; the POST is checked too."""
        return super().get_formset(request, obj, validate_max=True, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return site.get_model_admin(DiscoveryRule).has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return site.get_model_admin(DiscoveryRule).has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return site.get_model_admin(DiscoveryRule).has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return site.get_model_admin(DiscoveryRule).has_change_permission(request, obj)


@admin.register(DiscoveryRule, site=site)
class DiscoveryRuleAdmin(RoleAdmin):
    form = RuleForm
    inlines = [SelectionInline]
    list_display = ["name", "server", "enabled", "requires_approval", "dry_run", "validation",
                    "validation_message", "refilter_pending"]
    list_filter = ["enabled", "dry_run", "requires_approval", "validation", "server"]
    list_select_related = ["server"]
    search_fields = ["name"]
    readonly_fields = ["validation", "validation_message", "validated_at", "resolved",
                       "applied_hash", "created_at", "updated_at"]
    actions = ["refilter_now", "validate_now", "push_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("selections")

    def delete_model(self, request: HttpRequest, obj: DiscoveryRule) -> None:
        rule_services.rules_delete(DiscoveryRule.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        rule_services.rules_delete(queryset)

    @admin.display(boolean=True, description="refilter pending")
    def refilter_pending(self, rule: DiscoveryRule) -> bool:
        return rule_services.rule_is_stale(rule)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """Selections are saved here, after the rule: only now is the new hash known."""
        super().save_related(request, form, formsets, change)
        was = rule_services.RuleWas(
            enabled=bool(form.initial.get("enabled")),
            requires_approval=bool(form.initial.get("requires_approval")),
            server_id=form.initial.get("server")) if change else None
        run = rule_services.rule_saved(form.instance.pk, was=was,
                                       triggered_by=request.user.get_username())
        if run is not None:
            self.message_user(request, f"Re-deciding every show for this rule (run {run.pk}).",
                              messages.INFO)

    @admin.action(description="Re-decide every show now (refilter)", permissions=["operate"])
    def refilter_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        enqueue_each(self, request, SyncRun.Kind.RULES, lambda r: {"rule_id": r.pk}, queryset)

    @admin.action(description="Push to Sonarr now", permissions=["operate"])
    def push_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        enqueue_each(self, request, SyncRun.Kind.SONARR,
                     lambda r: {"server_id": r.server_id, "rule_id": r.pk}, queryset)

    @admin.action(description="Validate against Sonarr now", permissions=["operate"])
    def validate_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        for rule in queryset.select_related("server")[:20]:
            try:
                facts = server_facts(sonarr_client(rule.server), want_tags=bool(rule.tags))
            except UpstreamError as exc:
                self.message_user(request, f"{rule}: {exc}", messages.ERROR)
                continue
            resolution = rule_resolve(rule, facts)
            rule_record(rule, resolution)
            level = messages.SUCCESS if resolution.ok else messages.WARNING
            self.message_user(request, f"{rule}: {'valid' if resolution.ok else 'invalid'}"
                              f"{' — ' + resolution.message if resolution.message else ''}",
                              level)


def _report(modeladmin: admin.ModelAdmin, request: HttpRequest, what: str, count: int,
            chosen: QuerySet | None = None) -> None:
    modeladmin.message_user(request, f"{what}: {count} decision(s).", messages.SUCCESS)
    held = rule_services.decisions_being_sent(chosen) if chosen is not None else 0
    if held:
        modeladmin.message_user(request, f"{held} decision(s) {rule_services.BEING_SENT}.",
                                messages.WARNING)


class DecisionActions:
    """The operator's actions on decisions, shared by the decision and show admins."""

    @admin.action(description="Approve", permissions=["operate"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        chosen = self._decisions(queryset)
        _report(self, request, "Approved", rule_services.decisions_approve(
            chosen, by=request.user.get_username()), chosen)

    @admin.action(description="Decline", permissions=["operate"])
    def decline(self, request: HttpRequest, queryset: QuerySet) -> None:
        chosen = self._decisions(queryset)
        _report(self, request, "Declined", rule_services.decisions_decline(
            chosen, by=request.user.get_username()), chosen)

    @admin.action(description="Skip", permissions=["operate"])
    def skip(self, request: HttpRequest, queryset: QuerySet) -> None:
        chosen = self._decisions(queryset)
        _report(self, request, "Skipped", rule_services.decisions_skip(
            chosen, by=request.user.get_username()), chosen)

    @admin.action(description="Un-skip", permissions=["operate"])
    def unskip(self, request: HttpRequest, queryset: QuerySet) -> None:
        chosen = self._decisions(queryset)
        _report(self, request, "Re-decided", rule_services.decisions_unskip(chosen), chosen)

    @admin.action(description="Re-evaluate", permissions=["operate"])
    def reevaluate(self, request: HttpRequest, queryset: QuerySet) -> None:
        chosen = self._decisions(queryset)
        _report(self, request, "Changed", rule_services.decisions_reevaluate(chosen), chosen)

    @admin.action(description="Push to Sonarr now", permissions=["operate"])
    def push_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        servers = SonarrServer.objects.filter(
            rules__decisions__in=self._decisions(queryset)).distinct()
        enqueue_each(self, request, SyncRun.Kind.SONARR, lambda s: {"server_id": s.pk},
                     servers)

    def _decisions(self, queryset: QuerySet) -> QuerySet:
        return queryset


@admin.register(Decision, site=site)
class DecisionAdmin(DecisionActions, ReadOnlyAdmin):
    list_display = ["show", "rule", "status", "reason", "sonarr_series_id", "attempts",
                    "next_attempt_at", "updated_at"]
    list_filter = ["status", "rule"]
    list_select_related = ["show", "rule"]
    raw_id_fields = ["show", "rule"]
    search_fields = ["show__title", "reason", "=show__tvdb_id"]
    actions = ["push_now", "approve", "decline", "skip", "unskip", "reevaluate"]
