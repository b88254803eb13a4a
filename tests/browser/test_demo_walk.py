"""A first-time operator walks the demo's world in headless Chromium: the login page's demo
hint, the dashboard, a scan of the slow "Archive" library whose progress bar is watched
moving (the run is held between pages by the Plex fake, not raced against a timer), a show
page, an approval and a rule preview. Each step leaves a screenshot."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection
from selenium.webdriver.common.by import By

from catalog.auth.demo import DEMO_PASSWORD, SLOW_LIBRARY, WHAT_TO_TRY
from catalog.models import Decision, PlexLibrary, SyncRun
from catalog.sync.pages import pages_per_group
from catalog.tasks import execute_run
from integrations.fakes.world import SLOW_LIBRARY as SLOW_SPEC
from integrations.fakes.world import world_start
from integrations.plex.client import PAGE_SIZE
from tests.browser.conftest import Page

EPISODE_LISTING = f"/library/sections/{SLOW_SPEC.key}/all"


# The scan commits its episode pages a group at a time while a thread reads up to a group
# ahead. Held at the third page of the second group, the first group can commit and the
# second cannot: the bar stops at the first group until ``step()`` lets a group's pages by.
GROUP_PAGES = pages_per_group(PAGE_SIZE)
HELD_START = (GROUP_PAGES + 2) * PAGE_SIZE


class Hold:
    """Holds the slow library's episode pages from ``HELD_START`` until released, a group's
    pages a ``step()``; ``release()`` lets the rest through."""

    def __init__(self) -> None:
        self.gate = threading.Semaphore(0)
        self.held = threading.Event()
        self.open = False

    def __call__(self, request) -> None:
        if request.path.rstrip("/") != EPISODE_LISTING or request.arg("type") != "4":
            return
        start = int(request.header("X-Plex-Container-Start") or 0)
        if start >= HELD_START and not self.open:
            self.held.set()
            self.gate.acquire(timeout=60)

    def step(self) -> None:
        for _ in range(GROUP_PAGES):
            self.gate.release()

    def release(self) -> None:
        self.open = True
        for _ in range(50):
            self.gate.release()


@pytest.fixture
def demo_world(settings, monkeypatch, tmp_path):
    """The demo's world (smaller), seeded and first-synced the way ``make demo`` does it."""
    world = world_start(shows=600)
    try:
        env = world.env()
        for name in ("DEMO_PLEX_SERVERS", "DEMO_SONARR"):
            monkeypatch.setenv(name, env[name])
        settings.TVMAZE_BASE_URL = env["TVMAZE_BASE_URL"]
        settings.TMDB_BASE_URL = env["TMDB_BASE_URL"]
        settings.TMDB_API_KEY = env["TMDB_API_KEY"]
        settings.ARTWORK_DIR = tmp_path / "artwork"
        settings.DEMO_MODE = True
        call_command("demo_seed", "--sync")  # runs inline: the test settings' sync queue
        yield world
    finally:
        world.stop()


@pytest.fixture
def background_runs(monkeypatch):
    """From now on a queued run executes on a thread of its own, as a worker would."""
    threads: list[threading.Thread] = []

    def start(task: str, run_id: int, **_: object) -> None:
        def work() -> None:
            try:
                execute_run(run_id)
            finally:
                connection.close()
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        threads.append(thread)

    monkeypatch.setattr("catalog.runs.enqueue.async_task", start)
    yield threads
    for thread in threads:
        thread.join(timeout=30)


def _bar(page: Page, run: SyncRun) -> int:
    value = page.attribute(f"#runs-active tr[data-run='{run.pk}'] [role=progressbar]",
                           "aria-valuenow")
    return int(value)


@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_a_first_time_operator_walks_the_demo(page: Page, demo_world, background_runs):
    slow = PlexLibrary.objects.get(title=SLOW_LIBRARY)
    assert slow.last_synced_at is None  # left for the operator
    living = demo_world.plex[0][1]
    living.sections[SLOW_SPEC.key].delay = 0  # the hold below paces it instead
    hold = Hold()
    living.before_request = hold

    # 1. the login page says who to be and what to try
    page.driver.delete_all_cookies()
    page.open("/login/")
    hint = page.element_text("#demo-hint")
    assert DEMO_PASSWORD in hint and "operator" in hint
    assert all(what in hint for what, _ in WHAT_TO_TRY)
    page.shot("20-demo-login")
    page.driver.find_element(By.NAME, "username").send_keys("operator")
    page.driver.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD)
    page.click("form.login button")
    page.wait(lambda d: "/login/" not in d.current_url)

    # 2. the dashboard: the unscanned library is the one thing that needs attention
    attention = page.element_text("section.attention")
    assert f"{SLOW_LIBRARY}: never scanned completely" in attention
    page.shot("21-demo-dashboard")

    # 3. the server page says what discovery found; scan the library from the libraries page
    page.open(f"/libraries/servers/{slow.server_id}/")
    facts = page.element_text("dl.facts")
    assert f"Version\n{living.version}" in facts and living.machine_identifier in facts
    assert "Last discovery\nrun #" in facts and "Succeeded" in facts
    page.shot("21b-demo-server")
    page.open("/libraries/")
    row = f"//tr[td[normalize-space(text())='{SLOW_LIBRARY}']]"
    page.wait(lambda d: d.find_element(By.XPATH, f"{row}//button")).click()
    page.wait(lambda d: "Queued run #" in page.text())
    run = SyncRun.objects.get(kind="plex", scope=f"library:{slow.pk}")
    assert hold.held.wait(30), "the scan never reached the held page"

    # 4. watch its bar move, in the same document (htmx polls the fragment)
    page.open("/runs/")
    page.driver.execute_script("window.sameDocument = true")
    first = page.wait(lambda d: _bar(page, run), timeout=30)  # the first group commits
    assert 0 < first < SLOW_SPEC.episodes
    page.shot("22-demo-run-held")
    hold.step()
    page.wait(lambda d: _bar(page, run) > first, timeout=10)
    page.shot("23-demo-run-moved")
    hold.release()
    history = f"#runs-history tr[data-run='{run.pk}']"
    assert "Succeeded" in page.wait(
        lambda d: d.find_element(By.CSS_SELECTOR, history).text, timeout=30)
    assert page.driver.execute_script("return window.sameDocument") is True
    # The active list is a fragment of its own, polled apart from the history's (every 2 s):
    # it drops the run at its next poll, not at the instant the history shows it.
    active = f"#runs-active tr[data-run='{run.pk}']"
    page.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, active), timeout=10)
    page.shot("24-demo-run-in-history")

    # 5. a show awaiting approval: its page, then approve it
    page.open("/shows/")
    page.click("select[name=decision] option[value=awaiting_approval]")
    page.wait(lambda d: d.find_element(By.XPATH, "//button[normalize-space()='Filter']")).click()
    page.wait(lambda d: "decision=awaiting_approval" in d.current_url)
    page.shot("25-demo-shows-awaiting")
    waiting = Decision.objects.filter(status="awaiting_approval").select_related("show")
    decision = waiting.order_by("show__title").first()
    assert decision is not None
    page.open(f"/shows/{decision.show_id}/")
    assert page.element_text("h1") == decision.show.title
    assert "Awaiting approval" in page.element_text("#decisions")
    page.shot("26-demo-show")
    page.click(f"input[name=decision][value='{decision.pk}']")
    page.click("button[value=approve]")
    page.wait(lambda d: "Approve: 1 of 1 decision(s) changed" in page.text())
    assert Decision.objects.get(pk=decision.pk).approved_by == "operator"
    page.shot("27-demo-show-approved")

    # 6. preview a rule with other filters
    page.open("/rules/")
    rule = "English scripted dramas"
    section = page.wait(lambda d: d.find_element(
        By.XPATH, f"//section[contains(@class,'rule')][h2[contains(., '{rule}')]]"))
    section.find_element(By.CSS_SELECTOR, "details.preview summary").click()
    box = section.find_element(By.CSS_SELECTOR, "textarea")
    box.clear()
    box.send_keys('{"selections": [{"genres_any": ["Comedy"]}]}')
    section.find_element(By.CSS_SELECTOR, "details.preview button[type=submit]").click()
    result = page.element_text("#preview-result")
    assert "shows admitted" in result and "newly admitted" in result
    page.shot("28-demo-rule-preview")
