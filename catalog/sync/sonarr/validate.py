"""Validation before work: does each rule's add options resolve on its Sonarr server?

The server is read once (root folders, quality profiles, language profiles on v3, tags when a
rule names any, and the status when the version is not already known); each rule is then
checked against those reads without further requests. A rule that fails is marked with the
reason and its decisions wait.

The version decides language profiles and ``monitor`` values, so it is never taken on trust
from an earlier run: the quality profiles read in this run say which family the server is
(v4 profiles carry ``minFormatScore``/``cutoffFormatScore``/``formatItems``, v3 ones never
do), and the stored version string is used only when it names that same family. A first
run, an upgrade or a downgrade, or profiles that do not tell, read ``system/status``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from catalog.models import DiscoveryRule
from integrations.sonarr import SonarrClient
from integrations.values.sonarr import (
    SonarrLanguageProfile,
    SonarrQualityProfile,
    SonarrRootFolder,
    SonarrStatus,
)

V3_MONITOR = frozenset({"unknown", "all", "future", "missing", "existing", "firstSeason",
                        "latestSeason", "pilot", "none"})
V4_MONITOR = V3_MONITOR | {"lastSeason", "recent", "monitorSpecials", "unmonitorSpecials", "skip"}
GIB = 1024 ** 3


@dataclass(frozen=True, slots=True)
class ServerFacts:
    """What one Sonarr server offers, read once per run."""

    status: SonarrStatus
    roots: tuple[SonarrRootFolder, ...]
    qualities: tuple[SonarrQualityProfile, ...]
    languages: tuple[SonarrLanguageProfile, ...]
    tags: dict[str, int] = field(default_factory=dict)  # lower-cased label -> id
    version_source: str = "status"  # "status" (read in this run) or "stored" (confirmed)


@dataclass(slots=True)
class Check:
    check: str
    ok: bool
    detail: str


@dataclass(slots=True)
class Resolution:
    """A rule's checks and, when all pass, the ids its adds use."""

    checks: list[Check]
    resolved: dict[str, Any]
    missing_tags: list[str]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def message(self) -> str:
        return "; ".join(c.detail for c in self.checks if not c.ok)[:500]


@dataclass(frozen=True, slots=True)
class ValidRule:
    """A rule that passed validation in this push, with what its names resolved to."""

    rule: DiscoveryRule
    resolution: Resolution


Valid = dict[int, ValidRule]  # rule id -> the rule as validated by this push


def server_facts(client: SonarrClient, *, want_tags: bool, known_version: str = ""
                 ) -> ServerFacts:
    """The reads validation needs: root folders and quality profiles, language profiles on
    v3, tags if wanted, and ``system/status`` unless ``known_version`` (the server row's) is
    confirmed by this run's quality profiles: two requests on v4, three on v3, plus tags."""
    roots, qualities = client.root_folders(), client.quality_profiles()
    status, source = _stored_status(known_version, qualities), "stored"
    if status is None:
        status, source = client.status(), "status"
    languages = (client.language_profiles(supported=True)
                 if status.supports_language_profiles else ())
    tags = {t.label.lower(): t.id for t in client.tags()} if want_tags else {}
    return ServerFacts(status, roots, qualities, languages, tags, source)


def profiles_family(qualities: Iterable[SonarrQualityProfile]) -> bool | None:
    """True when the profiles are v4's (all carry format scores), False when v3's (none
    does), None when they cannot tell (no profile, or a mix no real server answers)."""
    marks = {q.format_scores for q in qualities}
    return next(iter(marks)) if len(marks) == 1 else None


def _stored_status(known_version: str, qualities: Iterable[SonarrQualityProfile]
                   ) -> SonarrStatus | None:
    """The stored version, when this run's profiles confirm its family; else None."""
    try:
        stored = SonarrStatus.from_version(known_version)
    except ValueError:  # never checked (""), or garbage
        return None
    return stored if profiles_family(qualities) is stored.is_v4 else None


def _by_name(items: Iterable[Any], wanted: str) -> Any | None:
    """A profile by name (case-insensitive), or by id when a number is given (older rules)."""
    text = wanted.strip()
    items = list(items)
    found = next((i for i in items if i.name.lower() == text.lower()), None)
    if found is None and text.isdigit():
        found = next((i for i in items if i.id == int(text)), None)
    return found


def rule_resolve(rule: DiscoveryRule, facts: ServerFacts) -> Resolution:
    """Check one rule against the server's facts; no request."""
    seen = "" if facts.version_source == "status" else " (stored; family confirmed by its profiles)"
    checks: list[Check] = [Check("version", True, f"Sonarr {facts.status.version}{seen}")]
    resolved: dict[str, Any] = {"version": facts.status.version, "is_v4": facts.status.is_v4}
    checks.append(_root_check(rule, facts.roots))
    quality = _by_name(facts.qualities, rule.quality_profile)
    checks.append(Check("quality_profile", quality is not None,
                        f"quality profile {rule.quality_profile!r} "
                        + ("found" if quality else "not found")))
    resolved["quality_profile_id"] = quality.id if quality else None
    if facts.status.supports_language_profiles:
        language = _by_name(facts.languages, rule.language_profile or "")
        checks.append(Check("language_profile", language is not None,
                            f"language profile {rule.language_profile!r} "
                            + ("found" if language else "not found (Sonarr v3 needs one)")))
        resolved["language_profile_id"] = language.id if language else None
    allowed = V4_MONITOR if facts.status.is_v4 else V3_MONITOR
    checks.append(Check("monitor", rule.monitor in allowed,
                        f"monitor {rule.monitor!r} "
                        + ("accepted" if rule.monitor in allowed
                           else f"is not accepted by Sonarr {facts.status.major}")))
    labels = [str(t).lower() for t in rule.tags or ()]
    missing = [label for label in labels if label not in facts.tags]
    resolved["tag_ids"] = [facts.tags[label] for label in labels if label in facts.tags]
    if labels:
        checks.append(Check("tags", True, "tags found" if not missing else
                            f"tags to create: {', '.join(missing)}"))
    return Resolution(checks, resolved, missing)


def _root_check(rule: DiscoveryRule, roots: Iterable[SonarrRootFolder]) -> Check:
    path = rule.root_folder.rstrip("/") or "/"
    root = next((r for r in roots if r.path.rstrip("/") == path), None)
    if root is None:
        return Check("root_folder", False, f"root folder {rule.root_folder!r} not found")
    if not root.accessible:
        return Check("root_folder", False, f"root folder {root.path!r} is not accessible")
    if rule.min_free_space_gb and root.free_space is not None:
        free = root.free_space // GIB
        if root.free_space < rule.min_free_space_gb * GIB:
            return Check("root_folder", False, f"root folder {root.path!r} has {free} GiB "
                         f"free, the rule needs {rule.min_free_space_gb} GiB")
    return Check("root_folder", True, f"root folder {root.path!r} found")


def rule_record(rule: DiscoveryRule, resolution: Resolution) -> None:
    """Keep what validation found on the rule (admin, API and /ready show it)."""
    state = DiscoveryRule.Validation.OK if resolution.ok else DiscoveryRule.Validation.INVALID
    DiscoveryRule.objects.filter(pk=rule.pk).update(
        validation=state, validation_message=resolution.message,
        validated_at=timezone.now(), resolved=resolution.resolved)
    rule.validation, rule.validation_message = state, resolution.message
    rule.resolved = resolution.resolved


def rule_record_unchecked(rules: Iterable[DiscoveryRule], message: str) -> None:
    """The server could not be read: the rules cannot be valid now."""
    DiscoveryRule.objects.filter(pk__in=[r.pk for r in rules]).update(
        validation=DiscoveryRule.Validation.INVALID, validation_message=message[:500],
        validated_at=timezone.now())
