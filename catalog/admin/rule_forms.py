"""Admin forms for rules: every filter a structured field (choices, lists, dates, numbers),
validated like the API, never raw JSON."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from catalog.models import DiscoveryRule, RuleSelection
from catalog.rules import engine, vocab
from catalog.rules.vocab import VOCABULARIES

_TAG = re.compile(r"^[a-z0-9-]+$")
_VOCAB = {"genres_any": "genres", "genres_none": "genres", "types": "types",
          "countries": "countries", "languages": "languages", "statuses": "statuses"}


def choices_field(vocab: str, label: str, help_text: str = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=[(v, v) for v in VOCABULARIES[vocab]], required=False, label=label,
        help_text=help_text, widget=forms.SelectMultiple(attrs={"size": 6}))


class CommaListField(forms.CharField):
    """A comma-separated list of names shown and edited as text."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        kwargs.setdefault("help_text", "Comma-separated.")
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        if "\x00" in text:  # the validators see the list, whose repr hides a NUL
            raise forms.ValidationError("Null characters are not allowed.",
                                        code="null_characters_not_allowed")
        return [part.strip() for part in text.split(",") if part.strip()]


def _networks(field: str, values: list[str]) -> list[str]:
    good, bad = vocab.canonical_values("networks", values)
    if bad:
        raise forms.ValidationError({field: f"invalid name(s): {', '.join(bad)}"})
    return good


class SelectionForm(forms.ModelForm):
    genres_any = choices_field("genres", "Genres (any of)")
    genres_none = choices_field("genres", "Genres (none of)")
    types = choices_field("types", "Types")
    countries = choices_field("countries", "Countries")
    languages = choices_field("languages", "Languages")
    statuses = choices_field("statuses", "Statuses")
    networks_any = CommaListField(label="Networks or web channels (any of)")
    networks_none = CommaListField(label="Networks or web channels (none of)")
    premiered_from = forms.DateField(required=False, label="Premiered on or after")
    premiered_before = forms.DateField(required=False, label="Premiered before")
    runtime_min = forms.IntegerField(required=False, min_value=0, max_value=10_000,
                                     label="Runtime at least (minutes)")
    runtime_max = forms.IntegerField(required=False, min_value=0, max_value=10_000,
                                     label="Runtime at most (minutes)")
    rating_min = forms.FloatField(required=False, min_value=0, max_value=10,
                                  label="TVMaze rating at least")

    class Meta:
        model = RuleSelection
        fields = ["position", "name", *engine.CRITERIA]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in ("networks_any", "networks_none"):
            cleaned[name] = _networks(name, cleaned.get(name) or [])
        for field, message in vocab.range_errors(cleaned).items():
            self.add_error(field, message)
        return cleaned


class RuleForm(forms.ModelForm):
    exclude_genres = choices_field("genres", "Exclude genres")
    exclude_types = choices_field("types", "Exclude types")
    exclude_countries = choices_field("countries", "Exclude countries")
    exclude_languages = choices_field("languages", "Exclude languages")
    exclude_statuses = choices_field("statuses", "Exclude statuses",
                                     "e.g. Ended to leave finished shows out.")
    exclude_networks = CommaListField(label="Exclude networks or web channels")
    min_free_space_gb = forms.IntegerField(required=False, min_value=0, max_value=1_000_000,
                                           label="Minimum free space (GiB)")
    tags = CommaListField(label="Tags", help_text="Comma-separated labels; created in Sonarr "
                          "when absent (a-z, 0-9 and '-').")

    class Meta:
        model = DiscoveryRule
        fields = [
            "name", "server", "enabled", "exclude_genres", "exclude_types",
            "exclude_countries", "exclude_languages", "exclude_statuses", "exclude_networks",
            "root_folder", "quality_profile", "language_profile", "monitor",
            "monitor_new_items", "series_type", "season_folder", "search_missing",
            "search_cutoff_unmet", "tags", "min_free_space_gb", "requires_approval", "dry_run",
        ]

    def clean_tags(self) -> list[str]:
        labels = [t.lower() for t in self.cleaned_data.get("tags") or []]
        bad = [t for t in labels if not _TAG.match(t)]
        if bad:
            raise forms.ValidationError(f"only a-z, 0-9 and '-': {', '.join(bad)}")
        return list(dict.fromkeys(labels))

    def clean_exclude_networks(self) -> list[str]:
        return _networks("exclude_networks", self.cleaned_data.get("exclude_networks") or [])

    def clean_root_folder(self) -> str:
        value = (self.cleaned_data.get("root_folder") or "").strip()
        if not re.match(r"^(/|[A-Za-z]:\\|\\\\)", value):
            raise forms.ValidationError("must be an absolute path, as Sonarr shows it")
        return value

    def clean_quality_profile(self) -> str:
        value = (self.cleaned_data.get("quality_profile") or "").strip()
        if not value:
            raise forms.ValidationError("name the quality profile")
        return value
