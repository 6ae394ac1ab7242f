"""Pages for people: what the HTML says, and the discovery files (downloads, VoID, sitemap, robots, context)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest
import rdflib
from rdflib import URIRef

from scograph.web.app import create_app

BASE = "https://w3id.org/scograph/"
DOC = "document/2024/green-development-initiative"
CLAUSE_KEYS = ["opening", "pre-1", "pre-2", "pre-3", "pre-4", "chapeau", "op-1", "op-2", "op-3", "op-4", "op-5", "op-6", "commitment", "closing", "signature"]


@pytest.fixture(scope="module")
def client(store):
    return create_app(store).test_client()


def page(client, url: str) -> str:
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200, url
    assert response.mimetype == "text/html"
    return response.data.decode("utf-8")


class _Scripts(HTMLParser):
    """Collects JSON-LD scripts, lang attributes and link texts of a page."""

    def __init__(self):
        super().__init__()
        self.jsonld: list[str] = []
        self.langs: list[tuple[str, str]] = []  # (tag, lang)
        self._in_jsonld = False
        self.link_texts: list[str] = []
        self._in_a = 0
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_jsonld = True
            self.jsonld.append("")
        if "lang" in attrs:
            self.langs.append((tag, attrs["lang"]))
        if tag == "a":
            self._in_a += 1
            self._text = ""

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False
        if tag == "a" and self._in_a:
            self._in_a -= 1
            self.link_texts.append(self._text.strip())

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld[-1] += data
        if self._in_a:
            self._text += data


def parsed(html: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(html)
    return parser


# -- the document page ---------------------------------------------------------------------


def test_document_page_has_clauses_in_order_with_anchors(client):
    html = page(client, f"/doc/{DOC}")
    positions = [html.index(f'<section class="clause" id="{key}"') for key in CLAUSE_KEYS]
    assert positions == sorted(positions)
    for key in CLAUSE_KEYS:
        assert f'href="#{key}"' in html  # table of contents and permalink
        assert f'href="/id/{DOC}/clause/{key}"' in html  # its own IRI, on this site (a relative link)


def test_document_page_shows_both_languages_with_lang_attributes(client):
    html = page(client, f"/doc/{DOC}")
    langs = parsed(html).langs
    assert ("html", "en") in langs
    assert sum(1 for tag, lang in langs if tag == "p" and lang == "zh") >= len(CLAUSE_KEYS)
    assert sum(1 for tag, lang in langs if tag == "p" and lang == "en") >= len(CLAUSE_KEYS)
    assert '<p class="clause-text" lang="zh">论坛倡导各方:</p>' in html
    assert '<p class="clause-text" lang="en">The forum calls on all parties to:</p>' in html
    # The text switch works without JavaScript too: plain links to ?text=... (the 中文 and English
    # views also switch the interface language: ?lang=...).
    assert 'href="?text=both"' in html and 'href="?lang=zh&amp;text=zh"' in html and 'href="?lang=en&amp;text=en"' in html
    assert 'data-show="zh"' in page(client, f"/doc/{DOC}?lang=zh")


def test_document_page_links_use_labels_not_iris(client):
    html = page(client, f"/doc/{DOC}")
    texts = parsed(html).link_texts
    assert any("Kunming-Montreal Global Biodiversity Framework" in t for t in texts)
    assert any(t.startswith("Shanghai Cooperation Organisation") for t in texts)
    # Links to resources that have labels never show their bare IRI as text.
    bare = [t for t in texts if t.startswith(BASE + "id/") and "/clause/" not in t and t != BASE + "id/" + DOC]
    assert not bare, bare
    assert 'href="/doc/instrument/kunming-montreal-global-biodiversity-framework"' in html


def test_document_page_has_cite_boxes_and_diagram(client, store):
    html = page(client, f"/doc/{DOC}")
    assert html.count('<details class="cite">') == len(CLAUSE_KEYS)
    assert store.version in html and "2024-07-08" in html
    svg = re.search(r"<svg class=\"diagram\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg
    assert "Kunming-Montreal Global Biodiversity Framework" in svg
    assert "SCO Astana Summit" in svg  # an event
    assert "Shanghai Cooperation Organisation" in svg  # an organisation
    assert svg.count("<path") >= 20
    assert "cdn" not in html.lower() and "https://" not in re.sub(r'(href|title|content)="[^"]*"|<code[^>]*>[^<]*</code>|https://w3id.org/scograph/[^\s"<]*', "", svg)


def test_every_page_embeds_schema_org_json_ld_that_parses_offline(client):
    urls = [
        "/",
        f"/doc/{DOC}",
        f"/doc/{DOC}/clause/op-3",
        "/doc/instrument/kunming-montreal-global-biodiversity-framework",
        "/doc/state/chn",
        "/doc/event/2024/sco-astana-summit",
        "/doc/membership/sco/chn/member-state",
        "/ontology",
        "/shapes",
    ]
    for url in urls:
        scripts = parsed(page(client, url)).jsonld
        assert len(scripts) == 1, url
        data = json.loads(scripts[0])
        assert data["@context"] == {"@vocab": "https://schema.org/"}
        graph = rdflib.Graph().parse(data=scripts[0], format="json-ld")
        assert len(graph) > 0
    document = json.loads(parsed(page(client, f"/doc/{DOC}")).jsonld[0])
    assert document["@type"] == ["Legislation"]
    assert [part["position"] for part in document["hasPart"]] == list(range(1, len(CLAUSE_KEYS) + 1))
    state = json.loads(parsed(page(client, "/doc/state/chn")).jsonld[0])
    assert state["@type"] == ["Country"] and "http://www.wikidata.org/entity/Q148" in state["sameAs"]


def test_resource_page_shows_incoming_links(client):
    html = page(client, "/doc/instrument/kunming-montreal-global-biodiversity-framework")
    incoming = html[html.index("What links here") :]
    assert f'href="/doc/{DOC}/clause/op-3"' in incoming
    assert "Operative clause 3" in incoming


def test_outbound_links_are_marked_external(client):
    html = page(client, "/doc/place/beijing")
    assert re.search(r'<a class="external" href="http://www.wikidata.org/entity/Q956"[^>]*>.*?Wikidata', html, re.S)
    assert re.search(r'<a class="external" href="http://sws.geonames.org/1816670/"[^>]*>.*?GeoNames', html, re.S)
    clause = page(client, f"/doc/{DOC}/clause/op-3")
    # UN SDG goals are described here too, so they get a local page and their label.
    assert "browse?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F15" in clause
    assert "SDG 15" in clause


def test_clause_page_quotes_its_text_and_links_back_into_the_document(client):
    html = page(client, f"/doc/{DOC}/clause/op-3")
    assert '<blockquote class="clause-text" lang="zh">' in html and '<blockquote class="clause-text" lang="en">' in html
    assert f'href="/doc/{DOC}#op-3"' in html
    assert "Cite this clause" in html


def test_ontology_page_documents_terms_in_both_languages(client):
    html = page(client, "/ontology")
    entry = html[html.index('id="OperativeClause"') :][:3000]
    assert 'lang="en">operative clause<' in entry and 'lang="zh">执行条款<' in entry
    assert "A numbered clause that calls for an action." in entry
    assert "提出行动要求的编号条款。" in entry


def test_landing_page_links_the_ways_in(client):
    html = page(client, "/")
    for target in (f"/doc/{DOC}", "/sparql", "/downloads", "/browse", "/ontology"):
        assert f'href="{target}"' in html


def test_browse_search_and_classes(client):
    html = page(client, "/browse?q=青岛")
    assert 'href="/doc/place/qingdao"' in html
    index = page(client, "/browse")
    assert "scog:OperativeClause" in index
    members = page(client, "/browse?class=https%3A%2F%2Fw3id.org%2Fscograph%2Fontology%23State")
    assert "China" in members and "Belarus" in members
    assert page(client, '/browse?q=" } DROP ALL {') is not None  # quotes in the search text are data, not SPARQL


# -- downloads and discovery -----------------------------------------------------------------


def test_downloads_page_lists_every_file_with_size_triples_and_sha256(client, release):
    html = page(client, "/downloads")
    for f in release.files:
        row = html[html.index(f'download/{f.name}"') :].split("</tr>", 1)[0]
        assert f.sha256 in row
        assert f'data-bytes="{f.bytes}"' in row
        if f.triples is not None:
            assert f"{f.triples:,}" in row
        assert hashlib.sha256((release.path / f.name).read_bytes()).hexdigest() == f.sha256


def test_downloaded_files_match_their_checksums_and_media_types(client, release):
    for f in release.files:
        response = client.get(f"/download/{f.name}")
        assert response.status_code == 200, f.name
        assert response.mimetype == f.media_type.split(";")[0]
        assert "Content-Encoding" not in response.headers
        assert hashlib.sha256(response.data).hexdigest() == f.sha256, f.name
    gz = client.get("/download/scograph.nt.gz", headers={"Accept-Encoding": "gzip"})
    assert gz.mimetype == "application/gzip" and "Content-Encoding" not in gz.headers


def test_uncompressed_dumps_come_precompressed_to_clients_that_accept_gzip(client, release):
    response = client.get("/download/scograph.nt", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.mimetype == "application/n-triples"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert hashlib.sha256(gzip.decompress(response.data)).hexdigest() == release.file("scograph.nt").sha256


def test_downloads_refuse_files_outside_the_manifest(client):
    for name in ("store", "..%2Fmanifest.json", "nothing.ttl", "store%2FCURRENT"):
        assert client.get(f"/download/{name}").status_code == 404


def test_download_revalidates_with_its_checksum(client, release):
    first = client.get("/download/scograph.ttl")
    again = client.get("/download/scograph.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert release.file("scograph.ttl").sha256 in first.headers["ETag"]


def test_well_known_void(client):
    response = client.get("/.well-known/void")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=response.data, format="turtle")
    assert (URIRef(BASE + "dataset"), rdflib.RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")) in graph
    as_jsonld = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert as_jsonld.mimetype == "application/ld+json"
    assert len(rdflib.Graph().parse(data=as_jsonld.data, format="json-ld")) == len(graph)


def test_context_at_a_stable_url(client, release):
    response = client.get("/context.jsonld")
    assert response.mimetype == "application/ld+json"
    assert response.data == (release.path / "context.jsonld").read_bytes()
    assert json.loads(response.data)["@context"]["scog"] == BASE + "ontology#"


def test_sitemap_lists_every_page(client):
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    locations = re.findall(r"<loc>([^<]+)</loc>", response.data.decode())
    assert len(locations) == len(set(locations))
    # Absolute, under the public URL (the base IRI when none is configured), never the request's host.
    for expected in (BASE, f"{BASE}doc/{DOC}", f"{BASE}doc/{DOC}/clause/op-3", f"{BASE}doc/state/chn", f"{BASE}ontology"):
        assert expected in locations
    assert not any("#" in loc for loc in locations)
    sample = [loc for loc in locations if "/doc/" in loc][:20]
    for loc in sample:
        assert client.get("/" + loc.removeprefix(BASE), headers={"Accept": "text/html"}).status_code == 200, loc


def test_robots_txt_points_at_the_sitemap(client):
    body = client.get("/robots.txt").data.decode()
    assert "User-agent: *" in body and f"Sitemap: {BASE}sitemap.xml" in body


# -- what readers see: order, names, layout -----------------------------------------------------


def _incoming_section(html: str) -> str:
    return re.search(r'<section aria-labelledby="incoming-heading">.*?</section>', html, re.S).group(0)


def test_what_links_here_lists_clauses_in_document_order(client):
    """The SCO is mentioned by six clauses; alphabetically "Closing" would come first, in the document "Opening" does."""
    incoming = _incoming_section(page(client, "/doc/organization/sco"))
    keys = re.findall(rf'href="/doc/{DOC}/clause/([\w-]+)"', incoming)
    assert len(keys) >= 5
    assert keys == sorted(keys, key=CLAUSE_KEYS.index), keys
    assert keys[0] == "opening" and keys[-1] == "closing"


def test_browse_opens_with_the_documents_own_kinds(client):
    html = page(client, "/browse")
    classes = re.findall(r"<td><code>([^<]+)</code></td>", html)
    own = [c for c in classes if c.startswith("scog:")]
    assert own and classes[: len(own)] == own, classes[:8]
    for reused in ("skos:Concept", "owl:Class", "sh:NodeShape", "spdx:Checksum"):
        assert classes.index(reused) > len(own) - 1, reused
    # Within the document's own kinds, the most numerous first.
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', html)[: len(own)]]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_void_words_do_not_reach_readers(client, lang):
    for url in ("/dataset", "/", "/downloads"):
        html = page(client, f"{url}?lang={lang}")
        visible = re.sub(r'<[^>]*>', " ", html)  # attributes (titles naming void:exampleResource) are not read as text
        for word in ("example resource", "root resource", "uri regex pattern", "data dump", "distinct subjects"):
            assert word not in visible.lower(), (url, word)
    dataset = page(client, "/dataset?lang=en")
    assert re.search(r'<dt title="void:exampleResource"><span lang="en">for example</span></dt>', dataset)
    assert re.search(r'<dt title="void:rootResource"><span lang="en">start here</span></dt>', dataset)


def test_the_home_title_keeps_each_language_on_its_own_unbroken_line(client):
    html = page(client, "/?lang=zh")
    title = re.search(r'<h1 class="dataset-title">(.*?)</h1>', html, re.S).group(1)
    lines = re.findall(r'<span class="title-line" lang="(\w+)">([^<]+)</span>', title)
    assert [lang for lang, _ in lines] == ["zh", "en"]  # the reader's language first
    assert lines[0][1] == "scograph:上海合作组织绿色发展政策文件关联数据"
    css = client.get("/static/style.css").data.decode()
    assert re.search(r"\.dataset-title \.title-line \{ display: block; \}", css)
    assert re.search(r"\.dataset-title \.title-line:lang\(zh\) \{ word-break: keep-all;", css)


def test_not_found_suggests_each_name_once_whatever_its_case(client):
    response = client.get("/id/policy-document", headers={"Accept": "text/html"})
    assert response.status_code == 404
    html = response.data.decode()
    hits = re.findall(r'<li><a href="[^"]+"><span lang="[^"]*">([^<]+)</span></a></li>', html.split("<h2>", 1)[1].split("</ul>", 1)[0])
    assert any(h.lower() == "policy document" for h in hits), hits
    assert len({h.casefold() for h in hits}) == len(hits), hits
