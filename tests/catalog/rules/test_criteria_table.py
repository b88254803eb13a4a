"""Every surface of the discovery rules lists exactly the criteria of the one table
(``catalog.rules.criteria``): the API schema, the admin form, the preview, the engine's
records and the stored columns. A criterion added to, or dropped from, one surface alone
fails here."""

from __future__ import annotations

import json
import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from catalog.admin.rule_forms import RuleForm, SelectionForm
from catalog.models import RuleSelection
from catalog.rules import criteria, engine, preview, vocab
from catalog.rules.criteria import Shape

TABLE = set(criteria.NAMES)
EXCLUDES = set(criteria.EXCLUDE_NAMES)
SELECTION_EXTRAS = {"name"}  # a selection's label, not a criterion


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _properties(schema: dict, component: str) -> set[str]:
    return set(schema["components"]["schemas"][component]["properties"])


@pytest.mark.parametrize("component", ["Selection", "SelectionRequest"])
def test_it_derives_the_api_schemas_selection_properties_from_the_table(schema, component):
    assert _properties(schema, component) - SELECTION_EXTRAS == TABLE


@pytest.mark.parametrize("component", ["Excludes", "ExcludesRequest"])
def test_it_derives_the_api_schemas_excludes_from_the_table(schema, component):
    assert _properties(schema, component) == EXCLUDES


def test_it_states_each_vocabulary_and_bound_of_the_table_in_the_schema(schema):
    properties = schema["components"]["schemas"]["SelectionRequest"]["properties"]
    for c in criteria.CRITERIA:
        field = properties[c.name]
        if c.vocabulary is not None:
            pattern = re.compile(field["items"]["pattern"])
            assert all(pattern.match(v) for v in vocab.VOCABULARIES[c.vocabulary]), c.name
            assert not pattern.match("Not A TVMaze Name"), c.name
        if c.bounds is not None:
            assert (field["minimum"], field["maximum"]) == c.bounds, c.name


def test_it_derives_the_admin_forms_fields_from_the_table():
    assert set(SelectionForm.base_fields) - {"position", *SELECTION_EXTRAS} == TABLE
    assert {name.removeprefix("exclude_") for name in RuleForm.base_fields
            if name.startswith("exclude_")} == EXCLUDES
    for c in criteria.CRITERIA:
        field = SelectionForm.base_fields[c.name]
        assert field.label == c.title
        if c.vocabulary is not None:
            assert [v for v, _ in field.choices] == list(vocab.VOCABULARIES[c.vocabulary])


def _accepted(names: set[str]) -> set[str]:
    """The names the preview takes in a selection, asked one at a time."""
    ok = set()
    for name in names:
        try:
            preview.spec_parse(json.dumps({"selections": [{name: None}]}))
        except preview.PreviewError as exc:
            assert "Unknown name" in str(exc), (name, exc)
        else:
            ok.add(name)
    return ok


def test_it_derives_the_previews_accepted_names_from_the_table(schema):
    candidates = (TABLE | _properties(schema, "Selection") | set(SelectionForm.base_fields)
                  | {"genre_any", "network"})
    assert _accepted(candidates) == TABLE
    assert set(preview.ACCEPTED) == TABLE and set(preview.EXCLUDES_ACCEPTED) == EXCLUDES


def test_it_derives_the_engines_records_and_matches_the_stored_columns():
    assert set(engine.Criteria.__dataclass_fields__) - {"checks"} == TABLE
    assert set(engine.Excludes.__dataclass_fields__) - {"checks"} == EXCLUDES
    columns = {f.name for f in RuleSelection._meta.concrete_fields} - {
        "id", "rule", "position", *SELECTION_EXTRAS}
    assert columns == TABLE
    facts = set(engine.ShowFacts.__dataclass_fields__)
    for row in (*criteria.CRITERIA, *criteria.EXCLUDES):
        assert set(row.reads) <= facts, row.name
        vocabulary = row.vocabulary
        assert vocabulary is None or vocabulary in vocab.VOCABULARIES, row.name


def test_it_gives_every_list_a_list_and_every_range_a_value():
    for c in criteria.CRITERIA:
        empty = engine.Criteria()
        assert getattr(empty, c.name) == (frozenset() if c.shape is Shape.LIST else None)
