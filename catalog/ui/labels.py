"""What the pages call each stored value: a status, state or reason in words, never its
raw name (the raw value stays in the element's ``title`` and in the API).

``label(value, vocabulary)`` reads the models' own choices; ``reason_label`` puts a
decision's reason (``genre:Drama``, ``runtime<20``, ``exclude:type:Reality``, ``ended``,
``sonarr_exclusion``…) in words.
"""

from __future__ import annotations

import re

from django.db.models import TextChoices

from catalog.models import Decision, DiscoveryRule, MediaItem, PlexLibrary, Show, SyncRun
from catalog.rules import criteria
from catalog.rules.engine import EXCLUDED

VOCABULARIES: dict[str, type[TextChoices]] = {
    "decision": Decision.Status, "run": SyncRun.Status, "kind": SyncRun.Kind,
    "item": MediaItem.State, "tmdb": Show.TmdbStatus, "loading": Show.LoadingStatus,
    "validation": DiscoveryRule.Validation, "library": PlexLibrary.Type,
}
# Values a page may show that no model's choices name: the show filter's loading choices.
EXTRA = {"loading": {"queued": "Queued", "loading": "Loading", "done": "Done"}}
_LABELS = {name: {**dict(choices.choices), **EXTRA.get(name, {})}
           for name, choices in VOCABULARIES.items()}

REASONS = {
    "": "—",
    EXCLUDED: "excluded by the Sonarr server",
    "no_tvdb": "no TVDB id (Sonarr needs one)",
    "re-evaluating": "being re-evaluated",
    "added": "added to Sonarr",
    "dry_run: would add": "dry run: would be added",
    # a failed status test of a rule names the show's status alone (``ended``)
    "running": "the show is still running",
    "ended": "the show has ended",
    "to_be_determined": "the show's future is to be determined",
    "in_development": "the show is in development",
}
_BOUND = re.compile(r"^([a-z]+)(<|>=|>)(.+)$")
_BOUND_WORDS = {("premiered", "<"): "premiered before",
                ("premiered", ">="): "premiered on or after",
                "<": "under", ">": "over", ">=": "at least"}
# Only the criteria table's labels start a "<label>:<value>" reason: free text such as a
# Sonarr message ("http://...", "sonarr: POST ...") stays as it was written.
_FIELDS = "|".join(sorted({re.escape(row.label) for row in (*criteria.CRITERIA,
                                                             *criteria.EXCLUDES)}))
_PAIR = re.compile(rf"^(exclude:)?({_FIELDS}):(.*)$")


def label(value: object, vocabulary: str) -> str:
    """The value's label in ``vocabulary`` (see VOCABULARIES), else the value in words."""
    text = "" if value is None else str(value)
    found = _LABELS.get(vocabulary, {}).get(text)
    if found is not None:
        return str(found)
    return text.replace("_", " ").capitalize() if text else "—"


def reason_label(reason: str | None) -> str:
    """A decision's reason in words; free text (a Sonarr message, "declined by otto") as is."""
    text = reason or ""
    if text in REASONS:
        return REASONS[text]
    match = _BOUND.match(text)
    if match:
        field, sign, bound = match.groups()
        words = _BOUND_WORDS.get((field, sign)) or f"{field} {_BOUND_WORDS[sign]}"
        return f"{words} {bound}"
    match = _PAIR.match(text)
    if match:
        excluded, field, value = match.groups()
        if value == "none":
            return f"no {field} known"
        return f"{'excluded ' if excluded else ''}{field}: {value}"
    return text
