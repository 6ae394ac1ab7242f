"""No answer names a host the request chose (issue 9, item 4: Host header poisoning).

Every kind of answer of a real ``scograph serve`` is asked for with a hostile
``Host`` and every forwarding header a proxy might set; the hostile name must
appear nowhere in the status line's headers or the body. Answers are cached
``public, max-age=300`` with an ETag that ignores Host, so the same request
with an honest Host must give the same bytes and the same ETag. With
``--trust-forwarded-headers`` the proxy's ``X-Forwarded-*`` decide the
absolute URLs, and caches are told so (Vary, ETag); with ``--public-url`` the
configured URL does.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import rdflib
import requests

from scograph.examples import example_queries
from tests.processes import LIGHT, ScographServe

HOSTILE = "evil.example"
#: What an attacker controls: Host, and every header some proxy or framework reads for the site's address.
HOSTILE_HEADERS = {
    "Host": f"{HOSTILE}:4444",
    "X-Forwarded-Host": HOSTILE,
    "X-Forwarded-Server": HOSTILE,
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "4444",
    "X-Forwarded-Prefix": f"/{HOSTILE}",
    "X-Original-Host": HOSTILE,
    "X-Host": HOSTILE,
    "Forwarded": f"host={HOSTILE};proto=https",
    # gunicorn believes these from 127.0.0.1 by default: links would become //evil.example/...
    "SCRIPT_NAME": f"//{HOSTILE}",
    "PATH_INFO": f"/{HOSTILE}",
}

DOC = "document/2024/green-development-initiative"
BASE = "https://w3id.org/scograph/"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
HTML, TURTLE, JSONLD, NT, RDFXML = "text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"
SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"
#: The Akoma Ntoso work of the Initiative, and its English clause 3 (docs/uri-policy.md, "Akoma Ntoso IRIs").
AKN_WORK = "/akn/sco/statement/initiative/green-development-forum/2024-07-08/green-development-initiative"
AKN_CLAUSE = AKN_WORK + "/eng@/!main~para_3"

#: (method, path, request headers, expected status): one of every kind of answer the server gives.
REQUESTS: list[tuple[str, str, dict, int]] = [
    *[("GET", "/id/state/chn", {"Accept": a}, 303) for a in (HTML, TURTLE, JSONLD, NT, RDFXML)],
    ("GET", f"/id/{DOC}/clause/op-3", {"Accept": HTML}, 303),
    *[("GET", "/doc/state/chn", {"Accept": a}, 200) for a in (HTML, TURTLE, JSONLD, NT, RDFXML)],
    *[("GET", f"/doc/state/chn.{ext}", {}, 200) for ext in ("html", "ttl", "jsonld", "nt", "rdf")],
    ("GET", f"/doc/{DOC}", {"Accept": HTML}, 200),
    ("GET", f"/doc/{DOC}?lang=zh", {"Accept": HTML}, 200),
    ("GET", f"/doc/{DOC}/clause/op-3", {"Accept": HTML}, 200),
    ("GET", "/", {"Accept": HTML}, 200),
    ("GET", "/browse", {"Accept": HTML}, 200),
    ("GET", "/browse?q=qingdao", {"Accept": HTML}, 200),
    ("GET", "/browse?class=" + quote(BASE + "ontology#State", safe=""), {"Accept": HTML}, 200),
    ("GET", "/browse?iri=" + quote(BASE + "id/state/chn", safe=""), {"Accept": HTML}, 303),
    ("GET", "/browse?iri=" + quote("http://metadata.un.org/sdg/13", safe=""), {"Accept": HTML}, 200),
    ("GET", "/ontology", {"Accept": HTML}, 200),
    ("GET", "/ontology", {"Accept": TURTLE}, 200),
    ("GET", "/ontology/1.0.0", {"Accept": TURTLE}, 200),
    ("GET", "/shapes", {"Accept": HTML}, 200),
    ("GET", "/dataset", {"Accept": TURTLE}, 200),
    ("GET", "/downloads", {"Accept": HTML}, 200),
    ("GET", "/download/scograph.ttl", {"Accept-Encoding": "gzip"}, 200),
    ("GET", "/download/scograph.ttl", {"Accept-Encoding": "identity"}, 200),
    ("GET", "/download/scograph.ttl.gz", {"Accept": "*/*"}, 200),
    ("GET", "/download/scograph.ttl.gz", {"Accept": TURTLE, "Accept-Encoding": "gzip"}, 200),
    ("GET", "/download/void.ttl", {}, 200),
    ("GET", "/download/SHA256SUMS", {}, 200),
    ("GET", "/download/manifest.json", {}, 200),
    ("GET", "/download/green-development-initiative.txt", {}, 200),
    ("GET", "/sitemap.xml", {}, 200),
    ("GET", "/robots.txt", {}, 200),
    ("GET", "/.well-known/void", {"Accept": TURTLE}, 200),
    ("GET", "/.well-known/void", {"Accept": JSONLD}, 200),
    ("GET", "/context.jsonld", {}, 200),
    ("GET", "/sparql", {"Accept": TURTLE}, 200),  # the service description
    ("GET", "/sparql", {"Accept": HTML}, 200),  # the query page
    ("GET", "/sparql?query=" + quote(SELECT), {"Accept": "application/sparql-results+json"}, 200),
    ("GET", "/sparql?query=" + quote(CONSTRUCT), {"Accept": TURTLE}, 200),
    ("POST", "/sparql", {"Accept": "application/sparql-results+xml", "Content-Type": "application/sparql-query"}, 200),
    ("GET", "/sparql?query=" + quote("NOT A QUERY"), {"Accept": "application/json"}, 400),  # error JSON
    ("GET", "/sparql?query=" + quote("NOT A QUERY"), {"Accept": HTML}, 400),  # error page
    ("GET", "/id/nothing/like/this", {"Accept": HTML}, 404),  # the 404 page with suggestions
    ("GET", "/id/nothing/like/this", {"Accept": TURTLE}, 404),
    ("GET", "/download/no-such-file", {"Accept": "application/json"}, 404),
    ("GET", "/browse?iri=not-an-iri", {"Accept": HTML}, 400),
    ("GET", "/doc/state/chn", {"Accept": "image/png"}, 406),
    ("OPTIONS", "/sparql", {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}, 200),
    ("GET", "/healthz", {}, 200),
    ("GET", "/search", {"Accept": HTML}, 200),
    ("GET", "/search?q=" + quote("绿色"), {"Accept": HTML}, 200),
    ("GET", "/search?q=green&per_page=3&page=2", {"Accept": HTML}, 200),  # previous and next links
    ("GET", "/search?q=zzzzqqq", {"Accept": HTML}, 200),
    ("GET", "/search?q=green&per_page=3&page=2", {"Accept": "application/json"}, 200),  # url, next, previous
    ("GET", "/search?q=green&page=0", {"Accept": "application/json"}, 400),
    ("GET", "/reconcile", {}, 200),  # the manifest
    ("GET", "/reconcile?callback=cb", {}, 200),  # JSONP, as OpenRefine asks
    ("POST", "/reconcile", {"Content-Type": "application/x-www-form-urlencoded"}, 200),  # a batch
    ("GET", "/reconcile/preview?id=" + quote(BASE + "id/state/kaz", safe=""), {"Accept": HTML}, 200),
    ("GET", "/reconcile/preview?id=" + quote(BASE + "id/state/none", safe=""), {"Accept": HTML}, 404),
    ("GET", "/reconcile/view?id=" + quote(BASE + "id/state/kaz", safe=""), {}, 303),
    ("GET", "/reconcile/suggest/entity?prefix=Kaz", {}, 200),
    ("GET", "/reconcile/suggest/type?prefix=sta", {}, 200),
    ("GET", "/reconcile/suggest/property?prefix=wiki", {}, 200),
    ("GET", "/reconcile/properties?type=state", {}, 200),
    # The exports: the Atom feed (absolute links), the described examples (schema:target), the AKN redirects,
    # a citation by content negotiation, and a file of a release by version.
    ("GET", "/feed.atom", {}, 200),
    ("GET", "/.well-known/sparql-examples", {"Accept": TURTLE}, 200),
    ("GET", "/.well-known/sparql-examples", {"Accept": JSONLD}, 200),
    ("GET", AKN_CLAUSE, {}, 303),
    ("GET", AKN_WORK + "/zho@", {}, 303),
    ("GET", "/akn/sco/statement/nothing/here", {}, 404),
    ("GET", f"/id/{DOC}/clause/op-3", {"Accept": "application/x-bibtex"}, 303),
    ("GET", f"/doc/{DOC}/clause/op-3.bib", {}, 200),
    ("GET", f"/doc/{DOC}", {"Accept": "application/vnd.citationstyles.csl+json"}, 200),
    ("GET", "/download/scograph-citations.ris", {}, 200),
    ("GET", "/release/{version}/download/scograph-aligned.tmx", {}, 200),
    ("GET", "/release/{version}/download/SHA256SUMS", {}, 200),
    ("GET", "/release/{version}/download/scograph.ttl.gz", {}, 200),
    ("GET", "/release/{version}/download/no-such-file", {}, 404),
]
#: The bodies of the POSTs that are not a SPARQL query.
POST_BODIES = {
    "/reconcile": "queries=" + quote('{"q0": {"query": "Kazakhstan", "type": "state"}, "q1": {"query": "上合组织"}}'),
}


def _send(url: str, method: str, path: str, headers: dict) -> requests.Response:
    data = POST_BODIES.get(path, SELECT).encode() if method == "POST" else None
    return requests.request(method, url + path, headers=headers, data=data, allow_redirects=False, timeout=30)


def _everything(response: requests.Response) -> str:
    """Headers and body as one text (gzip archives unpacked), for a substring search."""
    body = response.content
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return (headers + "\n" + body.decode("utf-8", errors="replace")).lower()


@pytest.fixture(scope="module")
def server(settings, release, tmp_path_factory):
    with ScographServe(settings.build_dir, tmp_path_factory.mktemp("serve") / "serve.log", *LIGHT) as srv:
        yield srv


@pytest.fixture(scope="module")
def requests_to_send(release):
    """REQUESTS with ``{version}`` (a release's own URLs) filled in with the built release's version."""
    return [(method, path.replace("{version}", release.version), headers, status) for method, path, headers, status in REQUESTS]


@pytest.fixture(scope="module")
def hostile_answers(server, requests_to_send):
    return [(method, path, headers, status, _send(server.url, method, path, {**headers, **HOSTILE_HEADERS}))
            for method, path, headers, status in requests_to_send]


def test_no_answer_names_the_host_the_request_chose(hostile_answers):
    poisoned = []
    for method, path, headers, status, response in hostile_answers:
        assert response.status_code == status, (method, path, headers, response.status_code, response.text[:300])
        if HOSTILE in _everything(response):
            line = next(ln for ln in _everything(response).splitlines() if HOSTILE in ln)
            poisoned.append(f"{method} {path} {headers}: {line[:160]}")
    assert not poisoned, f"{len(poisoned)} answers name {HOSTILE}:\n" + "\n".join(poisoned)


@pytest.mark.parametrize("target", ["/sitemap.xml", "/id/state/chn", "/sparql"])
def test_an_absolute_form_request_target_does_not_name_the_site_either(server, target):
    """``GET http://evil.example/sitemap.xml HTTP/1.1`` (RFC 9112 absolute-form) carries a host of its own."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("GET", f"http://{HOSTILE}{target}", skip_host=True)
        connection.putheader("Host", f"{HOSTILE}:4444")
        connection.putheader("Accept", "text/turtle")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        headers = "\n".join(f"{k}: {v}" for k, v in response.getheaders())
    finally:
        connection.close()
    assert response.status in (200, 303), response.status  # answered by the app, not refused by gunicorn
    assert HOSTILE not in (headers + body).lower()


def test_answers_do_not_depend_on_host_so_the_host_blind_etag_is_right(server, hostile_answers):
    """The cache key (URL + Vary) holds no Host: the hostile request must get the honest request's bytes."""
    compared = 0
    for method, path, headers, status, hostile in hostile_answers:
        if method != "GET" or status != 200 or path == "/healthz":
            continue
        honest = _send(server.url, method, path, headers)
        assert honest.content == hostile.content, path
        assert honest.headers.get("ETag") == hostile.headers.get("ETag"), path
        for name in ("Location", "Content-Location", "Link", "Content-Type", "Vary"):
            assert honest.headers.get(name) == hostile.headers.get(name), (path, name)
        compared += 1
    assert compared >= 50


def test_links_and_redirects_are_relative(hostile_answers):
    redirects = 0
    for method, path, headers, status, response in hostile_answers:
        if path.startswith("/akn/") and status == 303:
            assert re.fullmatch(r"/download/akn-green-development-initiative-(eng|zho)\.xml", response.headers["Location"]), (path, response.headers["Location"])
            redirects += 1
        if path.startswith("/id/") and headers.get("Accept") == "application/x-bibtex":
            assert response.headers["Location"] == f"/doc/{DOC}/clause/op-3.bib"
            redirects += 1
        for name in ("Location", "Content-Location"):
            if name in response.headers:
                assert response.headers[name].startswith("/") and not response.headers[name].startswith("//"), (path, name, response.headers[name])
        for target in re.findall(r"<([^>]*)>", response.headers.get("Link", "")):
            assert target.startswith("/") and not target.startswith("//"), (path, target)
    assert redirects == 3
    pages = [f"/doc/{DOC}", "/downloads", "/search?q=" + quote("绿色"), "/search?q=green&per_page=3&page=2",
             "/reconcile/preview?id=" + quote(BASE + "id/state/kaz", safe="")]
    for path in pages:
        page = next(r for m, p, h, s, r in hostile_answers if p == path and s == 200 and h.get("Accept") == HTML)
        hrefs = re.findall(r'(?:href|src|action)="([^"]+)"', page.text)
        assert not [h for h in hrefs if h.startswith("http://127.0.0.1")], (path, "an absolute link to this server")
        local = [h for h in hrefs if not h.startswith(("http://", "https://", "#", "mailto:", "?"))]  # ?lang=zh: this page
        assert local and all(h.startswith("/") and not h.startswith("//") for h in local), (path, local[:5])


def test_absolute_urls_use_the_public_url_of_a_loopback_server(server, hostile_answers):
    """No --public-url on 127.0.0.1: the only address that reaches the server is its own."""
    public = server.url + "/"
    by_path = {(p, h.get("Accept")): r for m, p, h, s, r in hostile_answers if m == "GET"}
    locations = re.findall(r"<loc>([^<]+)</loc>", by_path["/sitemap.xml", None].text)
    assert len(locations) > 100 and all(loc.startswith(public) for loc in locations)
    assert f"Sitemap: {public}sitemap.xml" in by_path["/robots.txt", None].text.splitlines()
    description = rdflib.Graph().parse(data=by_path["/sparql", TURTLE].text, format="turtle")
    assert {str(o) for o in description.objects(None, SD.endpoint)} == {public + "sparql"}
    # X-Forwarded-Proto: https was not believed either.
    assert "https://127.0.0.1" not in by_path["/sitemap.xml", None].text
    # Link-building templates got the same answer: the page shows the endpoint's real address.
    assert f"<code>{public}sparql</code>" in by_path["/", HTML].text
    assert f"<code>{public}reconcile</code>" in by_path["/", HTML].text
    # Search's JSON and the reconciliation manifest must be absolute (programs, the spec): the public URL.
    found = by_path["/search?q=green&per_page=3&page=2", "application/json"].json()
    assert found["hits"] and all(h["url"].startswith(public + "doc/") for h in found["hits"])
    assert found["next"].startswith(public + "search?") and found["previous"].startswith(public + "search?")
    manifest = by_path["/reconcile", None].json()
    assert manifest["preview"]["url"] == public + "reconcile/preview?id={{id}}"
    assert manifest["view"]["url"] == public + "reconcile/view?id={{id}}"
    assert {s["service_url"] for s in manifest["suggest"].values()} == {public + "reconcile"}
    assert manifest["documentation"] == public + "#reconcile"
    assert by_path["/reconcile?callback=cb", None].text.startswith("/**/cb(") and f'"{public}reconcile"' in by_path["/reconcile?callback=cb", None].text
    batch = next(r for m, p, h, st, r in hostile_answers if m == "POST" and p == "/reconcile").json()
    assert batch["q0"]["result"][0]["id"] == BASE + "id/state/kaz" and batch["q0"]["result"][0]["match"]
    # Pages link relatively, with the search's paging links among them.
    page = by_path["/search?q=green&per_page=3&page=2", HTML].text
    assert 'rel="prev" href="/search?q=green&amp;page=1&amp;per_page=3"' in page and 'action="/search"' in page
    # The Atom feed must be absolute (RFC 4287 ids and links): every href under the public URL.
    feed = by_path["/feed.atom", None].text
    hrefs = re.findall(r'href="([^"]+)"', feed)
    assert len(hrefs) > 10 and all(h.startswith(public) for h in hrefs), [h for h in hrefs if not h.startswith(public)][:3]
    assert f'href="{public}feed.atom"' in feed and f'href="{public}download/SHA256SUMS"' in feed
    # The examples name this server's endpoint, in Turtle and in JSON-LD.
    schema_target = rdflib.URIRef("https://schema.org/target")
    for media_type, syntax in ((TURTLE, "turtle"), (JSONLD, "json-ld")):
        examples = rdflib.Graph().parse(data=by_path["/.well-known/sparql-examples", media_type].text, format=syntax)
        targets = list(examples.objects(None, schema_target))
        assert len(targets) == len(example_queries()) and {str(t) for t in targets} == {public + "sparql"}, media_type
    # The citation names the clause by its IRI (an identifier, not a link to this host).
    bib = by_path[f"/doc/{DOC}/clause/op-3.bib", None].text
    assert f"url = {{{BASE}id/{DOC}/clause/op-3}}" in bib
    # A file of a release by version is the file the release lists.
    tmx = next(r for m, p, h, s, r in hostile_answers if p.endswith("/download/scograph-aligned.tmx"))
    assert tmx.headers["Content-Type"].startswith("application/x-tmx+xml") and tmx.content.startswith(b"<?xml")


def test_trusted_proxy_headers_decide_the_absolute_urls(settings, release, tmp_path):
    proxy = {"X-Forwarded-Host": "proxy.example", "X-Forwarded-Proto": "https", "X-Forwarded-Prefix": "/scograph"}
    with ScographServe(settings.build_dir, tmp_path / "serve.log", *LIGHT, "--trust-forwarded-headers") as srv:
        sitemap = requests.get(srv.url + "/sitemap.xml", headers=proxy, timeout=30)
        locations = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
        assert locations and all(loc.startswith("https://proxy.example/scograph/") for loc in locations)
        assert "X-Forwarded-Host" in sitemap.headers["Vary"]
        other = requests.get(srv.url + "/sitemap.xml", headers={**proxy, "X-Forwarded-Host": "mirror.example"}, timeout=30)
        assert "https://mirror.example/scograph/" in other.text
        assert other.headers["ETag"] != sitemap.headers["ETag"]  # a cache between proxy and app cannot mix them up
        robots = requests.get(srv.url + "/robots.txt", headers=proxy, timeout=30).text
        assert "Sitemap: https://proxy.example/scograph/sitemap.xml" in robots
        description = rdflib.Graph().parse(data=requests.get(srv.url + "/sparql", headers={**proxy, "Accept": TURTLE}, timeout=30).text, format="turtle")
        assert {str(o) for o in description.objects(None, SD.endpoint)} == {"https://proxy.example/scograph/sparql"}
        redirect = requests.get(srv.url + "/id/state/chn", headers={**proxy, "Accept": HTML}, allow_redirects=False, timeout=30)
        assert redirect.headers["Location"] == "/scograph/doc/state/chn.html"
        page = requests.get(srv.url + "/doc/state/chn", headers={**proxy, "Accept": HTML}, timeout=30).text
        assert 'href="/scograph/browse"' in page and 'href="/scograph/static/style.css' in page


def test_a_configured_public_url_is_used_and_carries_its_path(settings, release, tmp_path):
    public = "https://data.example.org/sco/"
    with ScographServe(settings.build_dir, tmp_path / "serve.log", *LIGHT, "--public-url", public) as srv:
        assert f"absolute URLs (sitemap, sd:endpoint) use {public}" in srv.log()
        sitemap = requests.get(srv.url + "/sitemap.xml", headers=HOSTILE_HEADERS, timeout=30).text
        locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
        assert locations and all(loc.startswith(public) for loc in locations)
        redirect = requests.get(srv.url + f"/id/{DOC}", headers={**HOSTILE_HEADERS, "Accept": TURTLE}, allow_redirects=False, timeout=30)
        assert redirect.headers["Location"] == f"/sco/doc/{DOC}.ttl"
        description = requests.get(srv.url + "/sparql", headers={**HOSTILE_HEADERS, "Accept": TURTLE}, timeout=30).text
        assert f"<{public}sparql>" in description and HOSTILE not in description
        # Search and reconciliation: links under the configured path, absolute URLs under the public URL.
        found = requests.get(srv.url + "/search?q=" + quote("绿色"), headers={**HOSTILE_HEADERS, "Accept": "application/json"}, timeout=30).json()
        assert found["hits"] and all(h["url"].startswith(public + "doc/") for h in found["hits"])
        page = requests.get(srv.url + "/search?q=" + quote("绿色"), headers={**HOSTILE_HEADERS, "Accept": HTML}, timeout=30).text
        assert 'action="/sco/search"' in page and 'href="/sco/doc/' in page and HOSTILE not in page
        manifest = requests.get(srv.url + "/reconcile", headers=HOSTILE_HEADERS, timeout=30).json()
        assert manifest["preview"]["url"] == public + "reconcile/preview?id={{id}}"
        view = requests.get(srv.url + "/reconcile/view?id=" + quote(BASE + "id/state/kaz", safe=""), headers=HOSTILE_HEADERS, allow_redirects=False, timeout=30)
        assert view.status_code == 303 and view.headers["Location"] == "/sco/doc/state/kaz"


def _run_refused(args: list[str], env: dict | None, cwd: Path) -> subprocess.CompletedProcess:
    """Run a command that should refuse at once; if it serves instead, stop it and all its processes."""
    import os
    import signal

    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: gunicorn's workers go too
        process.communicate()
        raise AssertionError(f"{args} did not refuse; it was still running after 60 s") from None
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def test_public_url_and_trusted_proxy_headers_are_not_given_together(tmp_path):
    scograph = Path(sys.executable).with_name("scograph")
    args = [str(scograph), "serve", "--build-dir", str(tmp_path / "build"), "--port", "0", "--public-url", "https://a.example/", "--trust-forwarded-headers"]
    result = _run_refused(args, None, tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and "give one of them" in result.stderr
    assert not (tmp_path / "build").exists()


@pytest.mark.parametrize(
    "value, env",
    [("not a url", False), ("ftp://data.example.org/", False), ("https://data.example.org/?a=1", False), ("https://exa mple.org/", True)],
)
def test_a_bad_public_url_is_one_sentence(tmp_path, value, env):
    scograph = Path(sys.executable).with_name("scograph")
    args = [str(scograph), "serve", "--build-dir", str(tmp_path / "build"), "--port", "0"]
    import os

    environment = {**os.environ, "SCOGRAPH_PUBLIC_URL": value} if env else dict(os.environ)
    if not env:
        args += ["--public-url", value]
    result = _run_refused(args, environment, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --public-url ") and repr(value) in lines[0], result.stderr
    assert not (tmp_path / "build").exists()  # refused before building anything


@pytest.mark.parametrize(
    "host, port, expected",
    [("127.0.0.1", 8080, "http://127.0.0.1:8080/"), ("::1", 8080, "http://[::1]:8080/"), ("localhost", 9000, "http://localhost:9000/"),
     ("0.0.0.0", 8080, None), ("192.0.2.7", 8080, None), ("127.0.0.1", 0, None)],
)
def test_the_default_public_url_is_the_loopback_address_else_the_base_iri(host, port, expected):
    """Only a loopback server's own address reaches it for sure; elsewhere the base IRI does (through w3id.org)."""
    from scograph.serve import ServeOptions, origin_line, with_public_url

    options = with_public_url(ServeOptions(host=host, port=port))
    assert options.web.public_url == expected
    assert origin_line(options, BASE).endswith(f"use {expected or BASE} (--public-url to change)")
