"""Headless Chromium (Debian's chromium + chromium-driver) driving the real pages.

Screenshots of every page visited go to ``$TEST_OUTPUT_DIR/screenshots`` (default
``test-output/``, git-ignored). The driver binary is named explicitly so that Selenium never
tries to download one: the suite stays offline.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import PASSWORD

SHOTS = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "screenshots"
WAIT = 10


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(f"{names[0]} is not installed: apt-get install chromium chromium-driver")


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1300,1000", "--disable-gpu"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=_binary("chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


class Page:
    """The browser pointed at the live server, with the few moves the tests need."""

    def __init__(self, driver: WebDriver, base: str) -> None:
        self.driver, self.base = driver, base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def login(self, username: str) -> None:
        self.driver.delete_all_cookies()
        self.open("/login/")
        self.driver.find_element(By.NAME, "username").send_keys(username)
        self.driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.driver.find_element(By.CSS_SELECTOR, "form.login button").click()
        self.wait(lambda d: "/login/" not in d.current_url)

    def wait(self, condition, timeout: float = WAIT):
        """Until ``condition`` holds; the polled fragment may swap an element mid-read, or a
        form's answer replace the document (chromedriver then says the node "does not belong
        to the document" rather than that it is stale)."""
        def read(driver: WebDriver):
            try:
                return condition(driver)
            except WebDriverException as exc:
                if "does not belong to the document" in (exc.msg or ""):
                    raise StaleElementReferenceException(exc.msg) from exc
                raise

        return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException)).until(read)

    def find(self, css: str):
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css))

    def attribute(self, css: str, name: str) -> str:
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css).get_attribute(name))

    def element_text(self, css: str) -> str:
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css).text)

    def click(self, css: str) -> None:
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css).click() or True)

    def text(self) -> str:
        """The page's text; read again when a polled fragment swaps a node mid-read."""
        return self.wait(lambda d: (d.find_element(By.TAG_NAME, "body").text,))[0]

    def shot(self, name: str) -> None:
        height = self.driver.execute_script("return document.body.scrollHeight")
        self.driver.set_window_size(1300, max(800, min(int(height) + 40, 3000)))
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))
        self.driver.set_window_size(1300, 1000)


@pytest.fixture
def page(browser: WebDriver, live_server, transactional_db) -> Page:
    return Page(browser, live_server.url)
