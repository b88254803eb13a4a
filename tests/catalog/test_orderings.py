"""Every default ordering a model declares leaves no two rows tied.

A tie is ordered however the database's plan happens to return it, which changes between the
queries of two pages; so each ``Meta.ordering`` ends in the primary key, a unique non-null
field, or covers a unique constraint whose columns are all non-null.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import Model, UniqueConstraint

MODELS = [model for model in apps.get_app_config("catalog").get_models()
          if model._meta.ordering]


def _is_total(model: type[Model]) -> bool:
    fields = [model._meta.get_field(term.removeprefix("-")) if term.lstrip("-") != "pk"
              else model._meta.pk for term in model._meta.ordering]
    names = {field.name for field in fields}
    if any(field.primary_key or (field.unique and not field.null) for field in fields):
        return True
    return any(
        isinstance(c, UniqueConstraint) and c.condition is None and c.fields
        and set(c.fields) <= names and not any(model._meta.get_field(f).null for f in c.fields)
        for c in model._meta.constraints)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_it_orders_every_model_without_ties(model):
    assert _is_total(model), model._meta.ordering


def test_it_checks_the_models_that_declare_an_ordering():
    assert {"Decision", "PlexShow", "Episode", "SyncRun"} <= {m.__name__ for m in MODELS}
