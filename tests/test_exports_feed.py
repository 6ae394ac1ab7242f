"""The Atom feed of releases, read by ``feedparser`` from a real ``scograph serve`` over two releases.

Every enclosure of every entry is downloaded and its SHA-256 compared with the
one the feed states and the release's manifest lists.
"""

from __future__ import annotations

import hashlib
import shutil
from types import SimpleNamespace

import feedparser
import pytest
import requests

from scograph.build import build
from scograph.config import Settings
from scograph.release import current_release
from tests.conftest import REPO
from tests.processes import ScographServe


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory):
    """A build directory holding two releases: the repository's sources, then the same with one clause relabelled."""
    root = tmp_path_factory.mktemp("feed-sources")
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / name, root / name)
    build_dir = tmp_path_factory.mktemp("feed-build")
    first = build(Settings(source_root=root, build_dir=build_dir))
    initiative = root / "data" / "initiative.ttl"
    text = initiative.read_text("utf-8")
    assert text.count('"Operative clause 3"@en') == 1
    initiative.write_text(text.replace('"Operative clause 3"@en', '"Operative clause 3 (relabelled)"@en'), "utf-8")
    second = build(Settings(source_root=root, build_dir=build_dir))
    assert first.version != second.version
    return SimpleNamespace(build_dir=build_dir, first=first, second=second)


@pytest.fixture(scope="module")
def server(two_releases, tmp_path_factory):
    with ScographServe(two_releases.build_dir, tmp_path_factory.mktemp("serve-feed") / "serve.log") as srv:
        yield srv.url


@pytest.fixture(scope="module")
def parsed(server):
    response = requests.get(server + "/feed.atom", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    result = feedparser.parse(response.content)
    assert not result.bozo, result.get("bozo_exception")
    return result


def test_one_entry_per_release_newest_first(parsed, two_releases):
    assert parsed.version == "atom10"
    ids = [entry.id for entry in parsed.entries]
    assert ids == [f"https://w3id.org/scograph/dataset/release/{r.version}" for r in (two_releases.second, two_releases.first)]
    assert current_release(two_releases.build_dir).version == two_releases.second.version
    assert "(current)" in parsed.entries[0].title and "(current)" not in parsed.entries[1].title
    assert all(entry.updated_parsed for entry in parsed.entries)


def test_every_entry_links_its_dumps_with_checksums_that_match(parsed, two_releases):
    for entry, release in zip(parsed.entries, (two_releases.second, two_releases.first)):
        enclosures = [link for link in entry.links if link.rel == "enclosure"]
        assert [link.title.split(" sha256:")[0] for link in enclosures] == [f.name for f in release.files]
        for link, listed in zip(enclosures, release.files):
            stated = link.title.split(" sha256:")[1]
            assert stated == listed.sha256 and int(link.length) == listed.bytes
            body = requests.get(link.href, timeout=30).content
            assert hashlib.sha256(body).hexdigest() == listed.sha256, link.href
        sums = next(link for link in entry.links if link.rel == "related" and link.title == "SHA256SUMS")
        text = requests.get(sums.href, timeout=30).text
        assert text == (release.path / "SHA256SUMS").read_text("utf-8")


def test_feed_is_listed_on_the_downloads_page(server):
    page = requests.get(server + "/downloads", timeout=30).text
    assert 'href="/feed.atom"' in page  # relative: the page names no host (scograph.web.origin)


def test_unknown_release_is_404(server):
    assert requests.get(server + "/release/000000000000/download/scograph.ttl", timeout=30).status_code == 404
    assert requests.get(server + "/release/..%2F..%2Fetc/download/passwd", timeout=30).status_code == 404


def test_entries_say_which_documents_changed(parsed, server):
    doc = "https://w3id.org/scograph/id/document/2024/green-development-initiative"
    newest, oldest = parsed.entries
    related = {link.title: link.href for link in newest.links if link.rel == "related" and link.title != "SHA256SUMS"}
    assert related == {f"changed: {doc}": server + "/doc/document/2024/green-development-initiative"}
    assert [tag.term for tag in newest.tags] == ["changed"]
    assert [tag.term for tag in oldest.tags] == ["added"]  # the first release adds every document
    assert requests.get(related[f"changed: {doc}"], timeout=30).status_code == 200
