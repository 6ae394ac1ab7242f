"""A real browser on a real server: Debian's Chromium, headless, driven by Playwright.

The server is started as a user would start it, on 127.0.0.1, and stopped at
the end. Chromium comes from ``apt-get install chromium`` (CI installs it);
Playwright never downloads a browser. A missing Chromium is a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.processes import ScographServe

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOC = "document/2024/green-development-initiative"
GBF = "instrument/kunming-montreal-global-biodiversity-framework"


@pytest.fixture(scope="module")
def server(release, settings, tmp_path_factory):
    """``scograph serve`` on the session's release, on a free port of 127.0.0.1."""
    with ScographServe(settings.build_dir, tmp_path_factory.mktemp("serve") / "serve.log") as srv:
        yield srv.url


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    # The app works offline: nothing but our own server is ever asked for anything.
    foreign = [u for u in requests if not u.startswith(server) and not u.startswith(("data:", "about:"))]
    assert not foreign, foreign
    assert not errors, errors


def test_read_the_document_switch_language_follow_a_citation_and_back(page, server, tmp_path):
    page.goto(f"{server}/doc/{DOC}")
    assert "Initiative to Co-Build Green Development Partnerships" in page.locator("h1").first.inner_text()
    zh = page.locator('#op-3 .clause-text[lang="zh"]')
    en = page.locator('#op-3 .clause-text[lang="en"]')
    assert zh.is_visible() and en.is_visible()
    assert "昆明—蒙特利尔全球生物多样性框架" in zh.inner_text()

    page.screenshot(path=str(tmp_path / "document.png"))  # for a person to look at when it fails

    # Only English text, without a round trip (the interface is English already).
    page.get_by_role("button", name="English", exact=True).click()
    assert en.is_visible() and not zh.is_visible()
    assert page.get_by_role("button", name="English", exact=True).get_attribute("aria-pressed") == "true"
    assert page.url.endswith("?text=en")
    # The 中文 view: Chinese text and a Chinese page around it.
    page.get_by_role("button", name="中文", exact=True).click()
    page.wait_for_url(f"{server}/doc/{DOC}?lang=zh&text=zh")
    assert zh.is_visible() and not en.is_visible()
    assert page.locator("html").get_attribute("lang") == "zh"
    assert page.locator(".toc h2").inner_text() == "目录"
    page.get_by_role("button", name="中文 + English").click()
    assert zh.is_visible() and en.is_visible()
    assert page.locator("html").get_attribute("lang") == "zh"
    # Back to the English view, then both texts again.
    page.get_by_role("button", name="English", exact=True).click()
    page.wait_for_url(f"{server}/doc/{DOC}?lang=en&text=en")
    assert page.locator(".toc h2").inner_text() == "Contents"
    page.get_by_role("button", name="中文 + English").click()
    assert zh.is_visible() and en.is_visible()

    # Follow operative clause 3 to the treaty it cites.
    page.locator("#op-3 .clause-links").get_by_role("link", name="Kunming-Montreal Global Biodiversity Framework").click()
    page.wait_for_url(f"{server}/doc/{GBF}?lang=en")  # the language chosen above follows the link
    assert page.locator("h1").inner_text() == "Kunming-Montreal Global Biodiversity Framework"
    incoming = page.locator("section[aria-labelledby=incoming-heading]")
    assert "Operative clause 3" in incoming.inner_text()

    # ... and back, twice: with the browser's Back button, and through "what links here".
    page.go_back()
    page.wait_for_url(f"{server}/doc/{DOC}*")
    assert page.locator("#op-3").is_visible()
    page.goto(f"{server}/doc/{GBF}")
    page.locator("section[aria-labelledby=incoming-heading]").get_by_role("link", name="Operative clause 3").click()
    page.wait_for_url(f"{server}/doc/{DOC}/clause/op-3")
    page.get_by_role("link", name="Read it in the document").click()
    page.wait_for_url(f"{server}/doc/{DOC}#op-3")
    assert page.locator("#op-3").is_visible()


def test_a_thing_iri_opens_its_page_in_the_browser(page, server):
    page.goto(f"{server}/id/state/chn")  # 303 to the HTML document
    assert page.url == f"{server}/doc/state/chn.html"
    assert page.locator("h1").inner_text() == "China"
    assert page.get_by_role("link", name="Wikidata").count() >= 1


def test_run_an_example_query_and_see_rows(page, server):
    page.goto(f"{server}/sparql")
    example = page.get_by_label("Start from a question")
    options = example.locator("option", has_text="Kunming-Montreal")
    assert options.count() >= 1, "the query page offers no example about the GBF"
    example.select_option(value=options.first.get_attribute("value"))
    assert "eli:cites" in page.locator("#query").input_value()
    page.get_by_role("button", name="Run query").click()
    rows = page.locator("table tbody tr")
    rows.first.wait_for(timeout=15_000)
    assert rows.count() >= 1
    assert "op-3" in page.locator("table").inner_text()


def test_switch_to_chinese_and_keep_it_through_a_link_and_a_redirect(page, server):
    page.goto(f"{server}/doc/state/chn")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".ui-lang").get_by_role("link", name="中文").click()
    page.wait_for_url(f"{server}/doc/state/chn?lang=zh")
    assert page.locator("html").get_attribute("lang") == "zh"
    assert page.locator("h1").inner_text() == "中国"
    assert page.locator("#incoming-heading").inner_text() == "链接到此处的内容"

    # A link: the navigation's Browse, then a kind, then a thing of that kind.
    page.locator(".site-header").get_by_role("link", name="浏览").click()
    page.wait_for_url(f"{server}/browse?lang=zh")
    assert page.locator("h1").inner_text() == "浏览数据集"
    page.locator('table.classes a:has(span[lang="zh"]:text-is("国家"))').click()
    page.wait_for_url("**/browse?class=*lang=zh")
    page.get_by_role("link", name="哈萨克斯坦").click()
    page.wait_for_url(f"{server}/doc/state/kaz?lang=zh")
    assert page.locator("html").get_attribute("lang") == "zh"

    # A redirect: the thing's own IRI answers 303 to its page, still in Chinese.
    page.locator(".uri-line a").click()
    page.wait_for_url(f"{server}/doc/state/kaz.html?lang=zh")
    assert page.locator("html").get_attribute("lang") == "zh"
    assert page.locator(".site-header").get_by_role("link", name="下载").is_visible()

    # And back to English with the same switch.
    page.locator(".ui-lang").get_by_role("link", name="English").click()
    page.wait_for_url(f"{server}/doc/state/kaz.html?lang=en")
    assert page.locator("h1").inner_text() == "Kazakhstan"


def test_the_chinese_home_title_is_not_broken(page, server):
    for width in (1280, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{server}/?lang=zh")
        title = page.locator('.dataset-title .title-line[lang="zh"]')
        assert title.inner_text() == "scograph:上海合作组织绿色发展政策文件关联数据"
        # One line box: the Chinese title is never split between its characters.
        lines = title.evaluate("el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }")
        assert lines == 1, (width, lines)


def test_a_shared_query_link_shows_its_results_and_keeps_the_link(page, server):
    from urllib.parse import quote

    query = "PREFIX eli: <http://data.europa.eu/eli/ontology#>\nSELECT ?clause WHERE { ?clause eli:cites <https://w3id.org/scograph/id/instrument/kunming-montreal-global-biodiversity-framework> }"
    link = f"{server}/sparql?query={quote(query)}"
    page.goto(link)
    assert page.url == link  # shown, not downloaded
    assert page.locator("#query").input_value() == query
    assert page.locator("#results").is_visible()
    assert "op-3" in page.locator("#results table").inner_text()  # rendered by the server, before any script ran

    # Running another query keeps a shareable link in the address bar, as YASGUI does.
    page.locator("#query").fill("ASK { ?s ?p ?o }")
    page.get_by_role("button", name="Run query").click()
    page.locator("#results p.boolean").wait_for(timeout=15_000)
    assert page.locator("#results p.boolean").inner_text() == "Yes (true)"
    assert page.url == f"{server}/sparql?query={quote('ASK { ?s ?p ?o }', safe='')}".replace("%20", "+")
    page.reload()
    assert page.locator("#query").input_value() == "ASK { ?s ?p ?o }"
    assert page.locator("#results p.boolean").inner_text() == "Yes (true)"


def test_the_query_page_script_speaks_chinese(page, server):
    page.goto(f"{server}/sparql?lang=zh")
    page.get_by_role("button", name="运行查询").click()
    page.locator("#results table tbody tr").first.wait_for(timeout=15_000)
    assert "行 ·" in page.locator("#summary").inner_text()
    assert "lang=zh" in page.url
