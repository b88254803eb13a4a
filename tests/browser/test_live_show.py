"""A show's page, left open, gains the episode Plex just added: the Plex listener refreshes
the show and the page's Plex part refreshes itself (no scan, no reload)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from catalog.models import PlexShow
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.browser.conftest import Page
from tests.catalog.live.helpers import listener_for, settle
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for


@pytest.mark.django_db(transaction=True)
def test_the_show_page_shows_an_episode_plex_just_added(page: Page, viewer):
    with PlexFake([LibrarySpec("1", "show", "TV", shows=2, episodes=8)], seed=6) as fake:
        library = library_for(server_for(fake, "Living room", [("/data/tv", "/mnt/tv")]), "1")
        assert scan(library, fake, T0).summary["complete"]
        plex_show = PlexShow.objects.filter(library=library).order_by("id").first()
        listener, clock = listener_for()
        listener.step()
        try:
            assert fake.notifications.wait_for_clients(1)
            page.login("vera")
            page.open(f"/shows/{plex_show.show_id}/")
            rows = len(page.driver.find_elements(By.CSS_SELECTOR, "#items tr"))
            page.shot("20-show-before-plex-adds")
            fake.add_episode(plex_show.rating_key)
            settle(listener, clock, library.server_id, 1)
            page.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#items tr")) == rows + 1,
                      timeout=10)
            page.shot("21-show-after-plex-added")
        finally:
            listener.shutdown()
