"""Rules, Sonarr servers and decisions in the API: filters as structured fields, validated.

A rule's filters are ``selections`` (a list of criteria objects; a show must meet every
criterion of one of them) and ``excludes`` (lists of values that keep a show out). Values of
the TVMaze vocabularies are checked and given back in TVMaze's spelling; a typo, an inverted
range or a bad date is a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from rest_framework import serializers

from catalog.api.fields import StrictCharField, StrictFloatField, StrictIntegerField
from catalog.api.serializers import CheckedServerSerializer
from catalog.models import Decision, DiscoveryRule, RuleSelection, SonarrServer
from catalog.models.validators import (
    SPACE,
    validate_credential,
    validate_root_folder,
    validate_server_url,
)
from catalog.rules import criteria, engine, vocab
from catalog.rules.criteria import Shape
from catalog.upstreams.checks import sonarr_server_check


def _values(name: str) -> serializers.ListField:
    """A list of names (one fresh child field per list: DRF binds each to its parent)."""
    return serializers.ListField(
        child=StrictCharField(max_length=200,
                              validators=[vocab.value_validator(name)]),
        max_length=200, required=False)


def validate_tag(value: str) -> None:
    """A Sonarr label: letters, digits and '-' (kept in lower case)."""
    if not vocab.tag_ok(value.strip()):
        raise serializers.ValidationError(
            f"tags may hold only a-z, 0-9 and '-': {value.strip()[:40]}")


validate_tag.openapi_pattern = rf"^[{SPACE}]*[A-Za-z0-9-]+[{SPACE}]*$"
MAX_SELECTIONS = engine.MAX_SELECTIONS
MAX_ID = 2 ** 63 - 1  # the largest primary key a database can hold
MAX_FREE_SPACE_GB = 1_000_000  # a petabyte: bounded on every database


def _criterion_field(c: criteria.Criterion) -> serializers.Field:
    """The API field of one row of the criteria table."""
    if c.shape is Shape.LIST:
        return _values(c.name)
    kwargs: dict[str, Any] = {"required": False, "allow_null": True}
    if c.help:
        kwargs["help_text"] = c.help
    if c.bounds is not None:
        kwargs["min_value"], kwargs["max_value"] = c.bounds
    number = {Shape.INT: StrictIntegerField, Shape.FLOAT: StrictFloatField}
    return number.get(c.shape, serializers.DateField)(**kwargs)


def _refuse_unknown(data: Any, allowed: tuple[str, ...]) -> None:
    """A misspelt criterion is an error, as in the preview, not a dropped (admit-all) key."""
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise serializers.ValidationError(
                {name[:40]: "Unknown name; not a criterion." for name in unknown[:5]})


def _raise_if(errors: dict[str, Any]) -> None:
    if errors:
        raise serializers.ValidationError(errors)


# One selection: a field per row of the criteria table (catalog.rules.criteria). A comment,
# not a docstring: a serializer's docstring is the schema's description.
class SelectionSerializer(serializers.ModelSerializer):
    openapi_closed = True  # a misspelt criterion is refused (_refuse_unknown), never dropped

    class Meta:
        model = RuleSelection
        fields = ["name", *criteria.NAMES]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields.update({c.name: _criterion_field(c) for c in criteria.CRITERIA})
        return fields

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        _refuse_unknown(data, ("name", *criteria.NAMES))
        values, errors = vocab.selection_check(super().to_internal_value(data))
        _raise_if(errors)
        return values


# The global excludes: a field per exclude of the criteria table.
class ExcludesSerializer(serializers.Serializer):
    openapi_closed = True

    def get_fields(self) -> dict[str, serializers.Field]:
        return {e.name: _values(e.name) for e in criteria.EXCLUDES}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        _refuse_unknown(data, criteria.EXCLUDE_NAMES)
        values, errors = vocab.excludes_check(super().to_internal_value(data))
        _raise_if(errors)
        return values

    def to_representation(self, rule: DiscoveryRule) -> dict[str, Any]:
        return {name: list(getattr(rule, f"exclude_{name}")) for name in criteria.EXCLUDE_NAMES}


class DiscoveryRuleSerializer(serializers.ModelSerializer):
    selections = SelectionSerializer(many=True, required=False, max_length=MAX_SELECTIONS)
    excludes = ExcludesSerializer(
        source="*", required=False,
        help_text="Replaced whole, like selections: in a PATCH, a list left out is emptied.")
    tags = serializers.ListField(
        child=StrictCharField(max_length=100, validators=[validate_tag]), max_length=50,
        required=False)
    refilter_pending = serializers.SerializerMethodField()
    min_free_space_gb = StrictIntegerField(required=False, allow_null=True, min_value=0,
                                                 max_value=MAX_FREE_SPACE_GB)

    class Meta:
        model = DiscoveryRule
        fields = [
            "id", "name", "server", "enabled", "selections", "excludes", "root_folder",
            "quality_profile", "language_profile", "monitor", "monitor_new_items",
            "series_type", "season_folder", "search_missing", "search_cutoff_unmet", "tags",
            "min_free_space_gb", "requires_approval", "dry_run", "applied_hash",
            "refilter_pending", "validation", "validation_message", "validated_at", "resolved",
            "created_at", "updated_at",
        ]
        read_only_fields = ["applied_hash", "validation", "validation_message", "validated_at",
                            "resolved", "created_at", "updated_at"]
        extra_kwargs = {"root_folder": {"validators": [validate_root_folder]}}

    def get_refilter_pending(self, rule: DiscoveryRule) -> bool:
        from catalog.rules.services import rule_is_stale

        return rule_is_stale(rule)

    def validate_tags(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip().lower() for v in value))

    def validate_quality_profile(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("name the quality profile")
        return value.strip()

    def _excludes(self, validated: dict[str, Any]) -> None:
        for name in criteria.EXCLUDE_NAMES:
            if name in validated:
                validated[f"exclude_{name}"] = validated.pop(name)

    @transaction.atomic
    def create(self, validated: dict[str, Any]) -> DiscoveryRule:
        selections = validated.pop("selections", [])
        self._excludes(validated)
        rule = DiscoveryRule.objects.create(**validated)
        _replace_selections(rule, selections)
        return rule

    @transaction.atomic
    def update(self, rule: DiscoveryRule, validated: dict[str, Any]) -> DiscoveryRule:
        selections = validated.pop("selections", None)
        if isinstance(self.initial_data, dict) and "excludes" in self.initial_data:
            for name in criteria.EXCLUDE_NAMES:  # the object is replaced whole, as selections are
                validated.setdefault(name, [])
        self._excludes(validated)
        for key, value in validated.items():
            setattr(rule, key, value)
        rule.save()
        if selections is not None:
            _replace_selections(rule, selections)
        return rule


def _replace_selections(rule: DiscoveryRule, selections: list[dict[str, Any]]) -> None:
    RuleSelection.objects.filter(rule=rule).delete()
    RuleSelection.objects.bulk_create(
        [RuleSelection(rule=rule, position=i, **s) for i, s in enumerate(selections)])


class SonarrServerSerializer(CheckedServerSerializer):
    key_field = "api_key"
    api_key = StrictCharField(write_only=True, max_length=200, trim_whitespace=True,
                              validators=[validate_credential],
                              style={"input_type": "password"})
    url = StrictCharField(max_length=300, validators=[validate_server_url])

    webhook_configured = serializers.SerializerMethodField(
        help_text="Whether a webhook secret is set (the secret itself is never shown again).")
    webhook_url = serializers.SerializerMethodField(
        help_text="Where Sonarr's webhook (Settings -> Connect -> Webhook) should POST.")

    class Meta:
        model = SonarrServer
        fields = ["id", "name", "url", "api_key", "enabled", "verify", "version", "state",
                  "state_message", "checked_at", "created_at", "webhook_configured",
                  "webhook_url", "webhook_secret_at", "webhook_event", "webhook_event_at"]
        read_only_fields = ["version", "state", "state_message", "checked_at", "created_at",
                            "webhook_secret_at", "webhook_event", "webhook_event_at"]

    def get_webhook_configured(self, server: SonarrServer) -> bool:
        return bool(server.webhook_secret_hash)

    def get_webhook_url(self, server: SonarrServer) -> str:
        path = reverse("api-webhook-sonarr", kwargs={"server_id": server.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def check(self, url: str, secret: str) -> dict[str, Any]:
        return sonarr_server_check(url=url, api_key=secret)


class DecisionSerializer(serializers.ModelSerializer):
    show_title = serializers.CharField(source="show.title", read_only=True)
    tvdb_id = serializers.IntegerField(source="show.tvdb_id", read_only=True, allow_null=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)

    class Meta:
        model = Decision
        fields = ["id", "show", "show_title", "tvdb_id", "rule", "rule_name", "status", "reason",
                  "sonarr_series_id", "attempts", "next_attempt_at", "approved_at",
                  "approved_by", "status_changed_at", "decided_at", "updated_at"]
        read_only_fields = fields


class DecisionConflict(DecisionSerializer):
    """A 409: the decision as it is, and why the action changed nothing (already settled,
    or being sent to Sonarr by a push right now)."""

    detail = serializers.CharField(read_only=True)

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "detail"]
        read_only_fields = fields


class DecisionIdsRequest(serializers.Serializer):
    ids = serializers.ListField(child=StrictIntegerField(min_value=1, max_value=MAX_ID),
                                min_length=1, max_length=10_000)


class SonarrSyncRequest(serializers.Serializer):
    rule = StrictIntegerField(required=False, min_value=1, max_value=MAX_ID,
                                    help_text="Push only this rule's decisions.")


class BulkResult(serializers.Serializer):
    changed = serializers.IntegerField()
    being_sent = serializers.IntegerField(
        help_text="Chosen decisions a push holds right now: unchanged, act again later.")
    detail = serializers.CharField(required=False)
