"""No page shows a stored value's raw name as a label: every decision status, run status,
item state, TMDB and loading status, and every kind of decision reason, rendered on every
page, reads in words. The raw value may stay in attributes (``title``, ``value``)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.utils import timezone

from catalog.models import Decision, MediaItem, RuleSelection, Show, SyncRun
from catalog.rules.engine import EXCLUDED
from catalog.ui.labels import VOCABULARIES, label, reason_label
from tests import factories

REASONS = ("genre:Reality", "exclude:type:Talk Show", "runtime<20", "premiered>=2020-01-01",
           "rating<7.5", "language:none", "ended", "to_be_determined", "in_development",
           "running", EXCLUDED, "no_tvdb", "re-evaluating", "dry_run: would add")
# Raw values that differ from their label by more than case, and the reason codes.
RAW = sorted({value for choices in VOCABULARIES.values() for value, text in choices.choices
              if value and value.lower() != str(text).lower()}
             | {r for r in REASONS if r != reason_label(r)})


class Visible(HTMLParser):
    """Text a reader sees: text nodes outside script, style and attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def _visible(html: str) -> list[str]:
    parser = Visible()
    parser.feed(html)
    return parser.texts


def _world() -> list[str]:
    """Data with every status, state and reason; returns the pages to read."""
    library = factories.PlexLibraryFactory(last_complete_scan_at=timezone.now())
    rule = factories.DiscoveryRuleFactory(name="Everything")
    RuleSelection.objects.create(rule=rule, genres_any=["Drama"])
    now = timezone.now()
    shows = []
    for n, (tmdb, loading) in enumerate(zip(
            list(Show.TmdbStatus.values) * 2, Show.LoadingStatus.values, strict=False)):
        plex_show = factories.PlexShowFactory(library=library, show__tmdb_status=tmdb,
                                              show__loading_status=loading,
                                              show__title=f"Show {n}")
        shows.append(plex_show.show)
    for n, state in enumerate(MediaItem.State.values):
        factories.MediaItemFactory(plex_show=shows[0].plex_shows.get(), library=library,
                                   season_number=1, episode_number=n + 1, state=state)
    statuses = list(Decision.Status.values)
    for n, status in enumerate(statuses):
        reason = REASONS[n % len(REASONS)] if status == "filtered" else ""
        factories.DecisionFactory(show=shows[n % len(shows)],
                                  rule=factories.DiscoveryRuleFactory() if n else rule,
                                  status=status, reason=reason)
    for reason in REASONS:
        factories.DecisionFactory(show=factories.ShowFactory(genres=["Reality"]), rule=rule,
                                  status="filtered", reason=reason)
    for n, status in enumerate(SyncRun.Status.values):
        active = status in SyncRun.ACTIVE
        factories.SyncRunFactory(kind="plex", scope=f"library:{library.pk}" if n == 1 else
                                 f"scope-{n}", status=status, started_at=now, total=10,
                                 processed=3, finished_at=None if active else now)
    pages = ["/", "/shows/", "/libraries/", f"/libraries/servers/{library.server_id}/",
             "/rules/", "/runs/", "/runs/active/", "/runs/history/",
             f"/rules/{rule.pk}/preview/?filters=%7B%22selections%22%3A%5B%7B%22types%22"
             "%3A%5B%22Scripted%22%5D%7D%5D%7D"]
    pages += [f"/shows/{show.pk}/" for show in shows]
    pages += [f"/shows/?decision={status}" for status in statuses]
    return pages


@pytest.mark.django_db
def test_no_page_shows_a_raw_value_as_a_label(operator, client):
    assert "awaiting_approval" in RAW and "pending_tvdb" in RAW and "ended" in RAW
    client.force_login(operator)
    pages = _world()
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        texts = _visible(html)
        for raw in RAW:
            shown = [t for t in texts if ("_" in raw and raw in t) or t == raw]
            assert not shown, f"{path} shows {raw!r} as text: {shown[:3]}"
        # and the raw value is still there for who needs it, in a tooltip
        if path.startswith("/shows/") and "?" not in path:
            assert 'title="' in html


def test_every_value_has_words():
    for name, choices in VOCABULARIES.items():
        for value in choices.values:
            assert label(value, name) and "_" not in label(value, name), (name, value)
    assert label("awaiting_approval", "decision") == "Awaiting approval"
    assert label("something_new", "decision") == "Something new"  # never the raw name
    assert [reason_label(r) for r in ("genre:Reality", "runtime<20", "premiered>=2020-01-01",
                                      "exclude:type:Talk Show", "language:none", "ended")] == [
        "genre: Reality", "runtime under 20", "premiered on or after 2020-01-01",
        "excluded type: Talk Show", "no language known", "the show has ended"]


@pytest.mark.parametrize("text", ["http://x", "a:b", "sonarr: POST /api/v3/series failed"])
def test_free_text_that_looks_like_a_pair_is_left_as_written(text):
    """Only the criteria table's labels start a "<label>:<value>" reason."""
    assert reason_label(text) == text


def test_a_criterions_pair_is_put_in_words():
    assert reason_label("exclude:network:CBS") == "excluded network: CBS"
    assert reason_label("genre:none") == "no genre known"
