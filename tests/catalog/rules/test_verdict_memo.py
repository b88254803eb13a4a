"""A chunk's verdicts are computed once per distinct combination of the facts a rule reads:
for any rule and any rows, that must give exactly what evaluating every row gives. A
criterion whose ``reads`` left out a fact it looks at would make rows that differ only there
share a verdict, and this property would find the pair."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.rules import criteria, engine
from catalog.rules.criteria import Shape
from catalog.rules.decide import FACT_FIELDS, ColumnDecoder, _verdicts, facts_read, row_facts

NAMES = ["English", "Drama", "CBS", "cbs", "Straße", ""]  # few, so that filters often hit
_name = st.sampled_from(NAMES)
_date = st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31))
_BOUNDS = {Shape.DATE: _date, Shape.INT: st.integers(0, 200),
           Shape.FLOAT: st.floats(0, 10, allow_nan=False)}


@st.composite
def rows(draw: st.DrawFn, show_id: int) -> tuple:
    """A fact row as ``show_chunk`` returns it (dates and genres as text)."""
    values = {"id": show_id, "tvdb_id": draw(st.none() | st.integers(1, 9)),
              "premiered": draw(st.none() | _date.map(date.isoformat)),
              "genres": json.dumps(draw(st.lists(_name, max_size=3))),
              "runtime": draw(st.none() | st.integers(0, 200)),
              "rating": draw(st.none() | st.floats(0, 10, allow_nan=False))}
    return tuple(values[f] if f in values else draw(_name) for f in FACT_FIELDS)


@st.composite
def specs(draw: st.DrawFn) -> dict:
    selections = []
    for _ in range(draw(st.integers(0, 3))):
        chosen = draw(st.lists(st.sampled_from(criteria.CRITERIA), max_size=3, unique=True))
        selections.append({c.name: draw(st.lists(_name, min_size=1, max_size=3))
                           if c.shape is Shape.LIST else draw(_BOUNDS[c.shape])
                           for c in chosen})
    excludes = {e.name: draw(st.lists(_name, max_size=2)) for e in criteria.EXCLUDES
                if draw(st.booleans())}
    return {"selections": selections, "excludes": excludes}


@settings(max_examples=100, deadline=None)
@given(spec=specs(), chunk=st.lists(rows(1), min_size=1, max_size=12), other=rows(0))
def test_memoised_verdicts_equal_evaluating_every_row(spec, chunk, other):
    filters = engine.filters_from_spec(spec)
    # a row sharing every fact the rule reads with the first, and taking the others elsewhere
    read = set(facts_read(filters))
    chunk.append(tuple(mine if name in read else theirs
                       for name, mine, theirs in zip(FACT_FIELDS, chunk[0], other, strict=True)))
    verdict = _verdicts(filters, ColumnDecoder())
    for row in chunk:
        assert verdict(row) == engine.evaluate(row_facts(row), filters), row


def test_every_criterion_and_exclude_is_read_by_the_memo():
    for c in criteria.CRITERIA:
        value = ["English"] if c.shape is Shape.LIST else {
            Shape.DATE: date(2000, 1, 1), Shape.INT: 30, Shape.FLOAT: 5.0}[c.shape]
        filters = engine.filters_from_spec({"selections": [{c.name: value}]})
        assert set(facts_read(filters)) == set(c.reads), c.name
    for e in criteria.EXCLUDES:
        filters = engine.filters_from_spec({"excludes": {e.name: ["CBS"]}})
        assert set(facts_read(filters)) == set(e.reads), e.name
