"""Real pages in headless Chromium: log in by role, search, open a show, approve, watch a
run's bar move, cancel it. Each page visited leaves a screenshot."""

from __future__ import annotations

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from catalog.models import Decision, RuleSelection, SyncRun
from tests import factories
from tests.browser.conftest import Page


def _world() -> dict:
    library = factories.PlexLibraryFactory(title="TV Shows", server__name="Living room",
                                           last_complete_scan_at=timezone.now())
    factories.PathMappingFactory(server=library.server, plex_prefix="/data/tv",
                                 local_prefix="/mnt/media/tv")
    factories.ShowFactory.create_batch(30, genres=["Comedy"])
    plex_show = factories.PlexShowFactory(library=library, show__title="Harbor Lights",
                                          show__status="Running", show__network="BBC One",
                                          show__genres=["Drama", "Mystery"],
                                          show__tmdb_season_episodes=[[0, 2], [1, 6], [2, 4]])
    show = plex_show.show
    for season, count in ((1, 6), (2, 4)):
        for number in range(1, count + 1):
            factories.EpisodeFactory(show=show, season=season, number=number)
            if season == 1 or number < 3:
                factories.MediaItemFactory(
                    plex_show=plex_show, library=library, season_number=season,
                    episode_number=number, state="missing" if number == 5 else "active",
                    file_path=f"/data/tv/Harbor Lights/S{season:02d}E{number:02d}.mkv")
    rules = [factories.DiscoveryRuleFactory(name="English dramas", validation="ok",
                                            validated_at=timezone.now()),
             factories.DiscoveryRuleFactory(name="Anime (approval)", validation="invalid",
                                            validation_message="root folder /anime is gone",
                                            validated_at=timezone.now())]
    RuleSelection.objects.create(rule=rules[0], genres_any=["Drama"])
    factories.DecisionFactory(show=show, rule=rules[0], status="filtered", reason="ended")
    waiting = factories.DecisionFactory(show=show, rule=rules[1], status="awaiting_approval")
    for reason, n in (("language:Japanese", 5), ("genre:Reality", 3), ("runtime<20", 1)):
        factories.DecisionFactory.create_batch(n, rule=rules[0], status="filtered",
                                               reason=reason)
    now = timezone.now()
    for i in range(12):
        factories.SyncRunFactory(kind="tvmaze", scope="catalog",
                                 status="failed" if i == 7 else "succeeded", started_at=now,
                                 finished_at=now + timezone.timedelta(seconds=5 + i % 4),
                                 processed=250 * i, requests=i + 2,
                                 error="TVMaze answered 503" if i == 7 else "")
    running = factories.SyncRunFactory(kind="plex", scope=f"library:{library.pk}",
                                       status="running", total=1000, processed=100,
                                       started_at=now)
    return {"show": show, "waiting": waiting, "running": running, "rule": rules[0]}


@pytest.mark.django_db(transaction=True)
def test_it_lets_a_viewer_search_and_read_a_show(page: Page, viewer, roleless):
    world = _world()
    page.login("nobody")
    assert "Your account has no role yet" in page.text()
    page.shot("00-role-less")
    page.login("vera")
    page.find("#runs-active")
    assert "Sync TVMaze now" not in page.text()
    page.shot("01-dashboard-viewer")
    page.open("/shows/")
    box = page.find("input[name=q]")
    box.send_keys("harbor")
    box.submit()
    page.wait(lambda d: "q=harbor" in d.current_url)
    page.shot("02-shows-search")
    page.driver.find_element(By.LINK_TEXT, "Harbor Lights").click()
    page.wait(lambda d: f"/shows/{world['show'].pk}/" in d.current_url)
    slot_map = page.find("#slot-map").text
    assert "Season 1 5 / 6" in slot_map and "Season 2 2 / 4" in slot_map
    assert "/mnt/media/tv/Harbor Lights/S01E01.mkv" in page.text()
    assert not page.driver.find_elements(By.CSS_SELECTOR, "button[value=approve]")
    page.shot("03-show-viewer")
    for name, path in (("04-libraries", "/libraries/"), ("05-rules", "/rules/"),
                       ("06-runs", "/runs/")):
        page.open(path)
        page.find("h1")
        page.shot(name)
    page.open(f"/libraries/servers/{world['show'].plex_shows.get().library.server_id}/")
    assert "/mnt/media/tv" in page.find("#mappings").text
    page.shot("07-server")


@pytest.mark.django_db(transaction=True)
def test_it_lets_an_operator_approve_watch_and_cancel(page: Page, operator):
    world = _world()
    page.login("otto")
    assert "Anime (approval): root folder /anime is gone" in page.element_text("section.attention")
    page.shot("10-dashboard-operator")
    page.open(f"/shows/{world['show'].pk}/")
    assert page.element_text("#slot-total") == "7 / 10 episodes"
    season = page.element_text(".season[data-season='1']")
    assert season.startswith("Season 1 5 / 6") and "E5 ✗" in season
    assert "Season 0" not in page.element_text("#slot-map")  # specials apart
    page.click(f"input[name=decision][value='{world['waiting'].pk}']")
    page.click("button[value=approve]")
    page.wait(lambda d: "Approve: 1 of 1 decision(s) changed" in page.text())
    approved = Decision.objects.get(pk=world["waiting"].pk)
    assert (approved.status, approved.approved_by) == ("pending", "otto")
    assert "approved by otto" in page.element_text("#decisions")
    page.shot("11-show-approved")

    page.open("/rules/")
    assert "✗ invalid root folder /anime is gone" in page.text()
    form = f"#rule-{world['rule'].pk} details.preview"
    page.click(f"{form} summary")
    box = page.find(f"{form} textarea")
    assert '"Drama"' in box.get_attribute("value")  # starts from the stored filters
    box.clear()
    box.send_keys('{"selections": [{"genres_any": ["Comedy"]}]}')
    page.click(f"{form} button[type=submit]")
    result = page.element_text("#preview-result")
    # 30 comedies; Harbor Lights and the 9 shows behind the filtered decisions are dramas
    assert "30 of 40 shows admitted" in result and "+30" in result and "\u221210" in result
    assert "Harbor Lights genre: Drama" in page.element_text("#preview-dropped")
    page.shot("14-rules-preview")

    run = world["running"]
    page.open("/runs/")
    bar = f"tr[data-run='{run.pk}'] [role=progressbar]"
    assert page.attribute(bar, "aria-valuenow") == "100"
    page.driver.execute_script("window.sameDocument = true")  # a reload would forget it
    SyncRun.objects.filter(pk=run.pk).update(processed=600)
    page.wait(lambda d: d.find_element(By.CSS_SELECTOR, bar).get_attribute(
        "aria-valuenow") == "600", timeout=8)  # htmx polls every 2 s, no reload
    assert page.driver.execute_script("return window.sameDocument") is True
    assert "600 / 1000 (60%)" in page.text()
    page.shot("12-runs-progress")
    page.click(f"tr[data-run='{run.pk}'] button.danger")
    page.wait(lambda d: "will stop at its next page" in page.text())
    assert SyncRun.objects.get(pk=run.pk).cancel_requested_by == "otto"
    assert "stopping" in page.element_text(f"tr[data-run='{run.pk}']")
    page.shot("13-runs-cancel-requested")
