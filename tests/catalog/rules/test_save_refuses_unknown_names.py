"""A save refuses a name the criteria table lacks, as the preview does: a misspelt criterion
is not silently dropped into a selection that admits every show."""

import pytest

from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    {"selections": [{"genre_any": ["Drama"]}]},
    {"selections": [{"genres_any": ["Drama"], "rating_mn": 7}]},
    {"excludes": {"genre": ["Drama"]}},
])
def test_a_save_refuses_a_name_the_table_lacks(api_as, admin_user, body):
    rule = factories.DiscoveryRuleFactory()
    answer = api_as(admin_user).patch(f"/api/rules/{rule.pk}/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert not rule.selections.exists()
