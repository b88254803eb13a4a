"""Sonarr servers, discovery rules and decisions: CRUD, refilter, validate, approve/decline,
skip/un-skip, and the push trigger. Thin: each action calls one service."""

from __future__ import annotations

from dataclasses import asdict

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import filters
from catalog.api.rule_serializers import (
    BulkResult,
    DecisionConflict,
    DecisionIdsRequest,
    DecisionSerializer,
    DiscoveryRuleSerializer,
    SonarrServerSerializer,
    SonarrSyncRequest,
)
from catalog.api.serializers import SyncRunSerializer
from catalog.api.views.runs import enqueue_response
from catalog.auth.roles import Role
from catalog.auth.webhooks import sonarr_webhook_secret_clear, sonarr_webhook_secret_new
from catalog.models import Decision, DiscoveryRule, SonarrServer, SyncRun
from catalog.rules import services as rule_services
from catalog.runs import RunInProgress
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue
from catalog.sync.sonarr.validate import rule_record, rule_resolve, server_facts
from catalog.upstreams.clients import sonarr_client
from integrations.errors import UpstreamError

WEBHOOK_USERNAME = "sonarr"  # any user name works; the password is the secret
WebhookSecret = inline_serializer("SonarrWebhookSecret", {
    "url": drf.CharField(), "method": drf.CharField(), "username": drf.CharField(),
    "password": drf.CharField(help_text="The webhook secret: shown here once, never again.")})
ValidationAnswer = inline_serializer("RuleValidation", {
    "valid": drf.BooleanField(), "message": drf.CharField(),
    "checks": drf.ListField(child=drf.DictField()), "resolved": drf.DictField()})


class SonarrServerViewSet(viewsets.ModelViewSet):
    queryset = SonarrServer.objects.all()
    serializer_class = SonarrServerSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]

    def perform_destroy(self, instance: SonarrServer) -> None:
        rule_services.servers_delete(SonarrServer.objects.filter(pk=instance.pk))

    @extend_schema(methods=["POST"], request=None, responses={201: WebhookSecret})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"], url_path="webhook-secret")
    def webhook_secret(self, request: Request, pk: str | None = None) -> Response:
        """POST (admin): a new webhook secret, shown in this answer only (the previous one
        stops working); DELETE: no secret, the webhook refuses every call."""
        server = self.get_object()
        if request.method == "DELETE":
            sonarr_webhook_secret_clear(server_id=server.pk)
            return Response(status=status.HTTP_204_NO_CONTENT)
        secret = sonarr_webhook_secret_new(server_id=server.pk)
        url = request.build_absolute_uri(
            reverse("api-webhook-sonarr", kwargs={"server_id": server.pk}))
        answer = Response({"url": url, "method": "POST", "username": WEBHOOK_USERNAME,
                           "password": secret}, status=status.HTTP_201_CREATED)
        answer["Cache-Control"] = "no-store"
        return answer


class DiscoveryRuleViewSet(viewsets.ModelViewSet):
    queryset = DiscoveryRule.objects.prefetch_related("selections")
    serializer_class = DiscoveryRuleSerializer
    filterset_class = filters.DiscoveryRuleFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
    action_roles = {"refilter": Role.OPERATOR, "validate": Role.OPERATOR}

    def perform_create(self, serializer: DiscoveryRuleSerializer) -> None:
        with transaction.atomic():
            rule = serializer.save()
            rule_services.rule_saved(rule.pk, was=None, triggered_by=self._who())

    def perform_update(self, serializer: DiscoveryRuleSerializer) -> None:
        was = rule_services.RuleWas.of(serializer.instance)
        with transaction.atomic():
            rule = serializer.save()
            rule_services.rule_saved(rule.pk, was=was, triggered_by=self._who())

    def perform_destroy(self, instance: DiscoveryRule) -> None:
        rule_services.rules_delete(DiscoveryRule.objects.filter(pk=instance.pk))

    def _who(self) -> str:
        return self.request.user.get_username()

    @extend_schema(request=None, responses={202: SyncRunSerializer})
    @action(detail=True, methods=["post"])
    def refilter(self, request: Request, pk: str | None = None) -> Response:
        """Re-decide every show for this rule from stored facts (operator); 202 with the run."""
        rule = self.get_object()
        return enqueue_response(request, SyncRun.Kind.RULES, {"rule_id": rule.pk})

    @extend_schema(request=None, responses={200: ValidationAnswer})
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk: str | None = None) -> Response:
        """Check the rule's add options against its Sonarr server (operator): what was found
        and what is missing. Read-only upstream: nothing is created."""
        rule = self.get_object()
        try:
            facts = server_facts(sonarr_client(rule.server), want_tags=bool(rule.tags))
        except UpstreamError as exc:
            return Response({"valid": False, "message": str(exc), "checks": [],
                             "resolved": {}}, status=status.HTTP_200_OK)
        resolution = rule_resolve(rule, facts)
        rule_record(rule, resolution)
        return Response({"valid": resolution.ok, "message": resolution.message,
                         "checks": [asdict(c) for c in resolution.checks],
                         "resolved": resolution.resolved})


def _bulk(request: Request, queryset: QuerySet[Decision], apply) -> Response:
    """200 with what changed and how many a push holds; 409 when only held ones were met."""
    body = DecisionIdsRequest(data=request.data)
    body.is_valid(raise_exception=True)
    chosen = queryset.filter(pk__in=body.validated_data["ids"])
    changed = apply(chosen)
    held = rule_services.decisions_being_sent(chosen)
    answer: dict = {"changed": changed, "being_sent": held}
    if held and not changed:
        answer["detail"] = rule_services.BEING_SENT
        return Response(answer, status=status.HTTP_409_CONFLICT)
    return Response(answer)


class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Decision.objects.select_related("show", "rule")
    serializer_class = DecisionSerializer
    filterset_class = filters.DecisionFilterSet
    ordering_fields = ["id", "updated_at", "status", "status_changed_at"]
    action_roles = dict.fromkeys(
        ("approve", "decline", "skip", "unskip", "reevaluate", "approve_many", "decline_many",
         "skip_many", "unskip_many", "reevaluate_many"), Role.OPERATOR)

    def _one(self, apply) -> Response:
        """200 with the decision changed; 409 with it as it is and why nothing changed."""
        decision = self.get_object()
        changed = apply(Decision.objects.filter(pk=decision.pk))
        decision.refresh_from_db()
        if changed:
            return Response(DecisionSerializer(decision).data)
        detail = (rule_services.BEING_SENT if decision.status == Decision.Status.SENDING
                  else f"nothing to change: the decision is {decision.status}")
        return Response({**DecisionSerializer(decision).data, "detail": detail},
                        status=status.HTTP_409_CONFLICT)

    def _by(self) -> str:
        return self.request.user.get_username()

    @extend_schema(request=None, responses={200: DecisionSerializer, 409: DecisionConflict})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """awaiting_approval or removed_in_sonarr -> pending (pushed by the next run); 409 from
        any other status."""
        return self._one(lambda qs: rule_services.decisions_approve(qs, by=self._by()))

    @extend_schema(request=None, responses={200: DecisionSerializer, 409: DecisionConflict})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        """Never add this show for this rule; 409 when it is already settled."""
        return self._one(lambda qs: rule_services.decisions_decline(qs, by=self._by()))

    @extend_schema(request=None, responses={200: DecisionSerializer, 409: DecisionConflict})
    @action(detail=True, methods=["post"])
    def skip(self, request: Request, pk: str | None = None) -> Response:
        return self._one(lambda qs: rule_services.decisions_skip(qs, by=self._by()))

    @extend_schema(request=None, responses={200: DecisionSerializer, 409: DecisionConflict})
    @action(detail=True, methods=["post"])
    def unskip(self, request: Request, pk: str | None = None) -> Response:
        return self._one(rule_services.decisions_unskip)

    @extend_schema(request=None, responses={200: DecisionSerializer, 409: DecisionConflict})
    @action(detail=True, methods=["post"])
    def reevaluate(self, request: Request, pk: str | None = None) -> Response:
        """Decide again from the show's facts now (a failed add is tried again)."""
        return self._one(rule_services.decisions_reevaluate)

    @extend_schema(request=DecisionIdsRequest, responses={200: BulkResult, 409: BulkResult},
                   operation_id="decisions_reevaluate_many")
    @action(detail=False, methods=["post"], url_path="reevaluate")
    def reevaluate_many(self, request: Request) -> Response:
        return _bulk(request, self.get_queryset(), rule_services.decisions_reevaluate)

    @extend_schema(request=DecisionIdsRequest, responses={200: BulkResult, 409: BulkResult},
                   operation_id="decisions_approve_many")
    @action(detail=False, methods=["post"], url_path="approve")
    def approve_many(self, request: Request) -> Response:
        return _bulk(request, self.get_queryset(),
                     lambda qs: rule_services.decisions_approve(qs, by=self._by()))

    @extend_schema(request=DecisionIdsRequest, responses={200: BulkResult, 409: BulkResult},
                   operation_id="decisions_decline_many")
    @action(detail=False, methods=["post"], url_path="decline")
    def decline_many(self, request: Request) -> Response:
        return _bulk(request, self.get_queryset(),
                     lambda qs: rule_services.decisions_decline(qs, by=self._by()))

    @extend_schema(request=DecisionIdsRequest, responses={200: BulkResult, 409: BulkResult},
                   operation_id="decisions_skip_many")
    @action(detail=False, methods=["post"], url_path="skip")
    def skip_many(self, request: Request) -> Response:
        return _bulk(request, self.get_queryset(),
                     lambda qs: rule_services.decisions_skip(qs, by=self._by()))

    @extend_schema(request=DecisionIdsRequest, responses={200: BulkResult, 409: BulkResult},
                   operation_id="decisions_unskip_many")
    @action(detail=False, methods=["post"], url_path="unskip")
    def unskip_many(self, request: Request) -> Response:
        return _bulk(request, self.get_queryset(), rule_services.decisions_unskip)


class SonarrSyncView(APIView):
    """Push pending decisions to Sonarr (operator): one run per server; 202 with the runs."""

    write_role = Role.OPERATOR

    @extend_schema(request=SonarrSyncRequest, responses={202: inline_serializer(
        "SonarrSyncStarted", {"runs": SyncRunSerializer(many=True),
                              "busy": drf.ListField(child=drf.IntegerField())})})
    def post(self, request: Request) -> Response:
        body = SonarrSyncRequest(data=request.data)
        body.is_valid(raise_exception=True)
        rule_id = body.validated_data.get("rule")
        if rule_id is not None:
            rule = DiscoveryRule.objects.filter(pk=rule_id).first()
            if rule is None:  # the body names something that is not there: 404
                raise drf.ValidationError({"rule": [ErrorDetail("no such rule", code="not_found")]})
            targets = [(rule.server_id, rule.pk)]
        else:
            targets = [(s.pk, None) for s, _ in rule_services.sonarr_servers_select()]
        if not targets:  # a valid request the configuration cannot serve right now
            return Response({"detail": "no enabled Sonarr server has an enabled rule"},
                            status=status.HTTP_409_CONFLICT)
        runs, busy = [], []
        for server_id, rid in targets:
            options = {"server_id": server_id, **({"rule_id": rid} if rid else {})}
            try:
                runs.append(sync_enqueue(kind=SyncRun.Kind.SONARR, options=options,
                                         triggered_by=request.user.get_username()))
            except RunInProgress as exc:
                busy.append(exc.run.pk)
            except EnqueueFailed as exc:
                return Response({"detail": str(exc)},
                                status=status.HTTP_503_SERVICE_UNAVAILABLE)
        if not runs:
            return Response({"detail": "a push is already running", "busy": busy},
                            status=status.HTTP_409_CONFLICT)
        for run in runs:
            run.refresh_from_db()
        return Response({"runs": SyncRunSerializer(runs, many=True).data, "busy": busy},
                        status=status.HTTP_202_ACCEPTED)
