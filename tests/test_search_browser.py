"""The search box in a real browser (Debian's Chromium through Playwright) on a real ``scograph serve``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import ScographServe
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(release, settings, tmp_path_factory):
    with ScographServe(settings.build_dir, tmp_path_factory.mktemp("serve") / "serve.log", "--workers", "1") as srv:
        yield srv.url


def test_search_from_the_header_box_and_land_on_the_clause(server, tmp_path):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{server}/doc/state/chn")
            box = page.get_by_role("searchbox", name="Search")
            box.fill("废弃物")
            box.press("Enter")
            page.wait_for_url("**/search?q=*")
            assert "2 results" in page.locator("#results").inner_text()
            page.screenshot(path=str(tmp_path / "search.png"))
            hit = page.locator(".search-hits li", has_text="Operative clause 4")
            assert hit.locator("mark").first.inner_text() == "废弃物"
            hit.locator("a").first.click()
            page.wait_for_url("**/doc/document/2024/green-development-initiative#op-4")
            assert page.locator("#op-4").is_visible()
            assert not errors, errors
        finally:
            browser.close()
