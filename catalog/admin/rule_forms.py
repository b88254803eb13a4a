"""Admin forms for rules: every filter a structured field (choices, lists, dates, numbers),
validated like the API, never raw JSON."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from catalog.models import DiscoveryRule, RuleSelection
from catalog.rules import criteria, vocab
from catalog.rules.criteria import Shape
from catalog.rules.vocab import VOCABULARIES


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
        raise forms.ValidationError({field: vocab.unknown_value(bad)})
    return good


def _criterion_field(c: criteria.Criterion) -> forms.Field:
    """The admin field of one row of the criteria table."""
    if c.shape is Shape.LIST:
        return (CommaListField(label=c.title) if c.vocabulary is None
                else choices_field(c.vocabulary, c.title))
    kwargs: dict[str, Any] = {"required": False, "label": c.title}
    if c.bounds is not None:
        kwargs["min_value"], kwargs["max_value"] = c.bounds
    number = {Shape.INT: forms.IntegerField, Shape.FLOAT: forms.FloatField}
    return number.get(c.shape, forms.DateField)(**kwargs)


def _with_criteria(form: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """The form with a field per row of the criteria table, declared (so that the admin's
    inline formsets, which subclass it, keep them)."""
    declared = {"__module__": form.__module__, "__qualname__": form.__qualname__,
                "__doc__": form.__doc__,
                **{c.name: _criterion_field(c) for c in criteria.CRITERIA}}
    return type(form)(form.__name__, (form,), declared)


@_with_criteria
class SelectionForm(forms.ModelForm):
    """One selection: a field per row of the criteria table (``catalog.rules.criteria``)."""

    class Meta:
        model = RuleSelection
        fields = ["position", "name", *criteria.NAMES]

    def clean(self) -> dict[str, Any]:
        values, errors = vocab.selection_check(super().clean())
        self.cleaned_data.update(values)  # names in TVMaze's spelling
        for field, message in errors.items():
            self.add_error(field, message)
        return self.cleaned_data


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
        bad = [t for t in labels if not vocab.tag_ok(t)]
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
