"""The interface in two languages: the catalogue, the choice of language, and no English left on Chinese pages.

Every page kind is walked with the Flask test client in Chinese (chosen by
``?lang=zh`` and, separately, by ``Accept-Language``); what the page says in
its own language (not text marked ``lang="en"``, not code) is checked against
the catalogue's English.
"""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from scograph.search.kinds import KIND_BY_ID
from scograph.web.app import create_app
from scograph.web.i18n import LANGUAGES
from scograph.web.i18n.messages import MESSAGES, SCRIPT_MESSAGES
from scograph.web.i18n.terms import TERMS

DOC = "document/2024/green-development-initiative"
TEMPLATES = Path(__file__).resolve().parent.parent / "src" / "scograph" / "web" / "templates"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

#: One URL of every kind of page (and of every error page a reader can meet).
PAGE_KINDS = {
    "home": "/",
    "document": f"/doc/{DOC}",
    "clause": f"/doc/{DOC}/clause/op-3",
    "clause item": f"/doc/{DOC}/clause/op-1/item/1",
    "thing": "/doc/state/chn",
    "instrument": "/doc/instrument/kunming-montreal-global-biodiversity-framework",
    "described elsewhere": "/browse?iri=" + quote("http://metadata.un.org/sdg/13", safe=""),
    "dataset": "/dataset",
    "browse": "/browse",
    "browse a kind": "/browse?class=" + quote("http://www.w3.org/2004/02/skos/core#Concept", safe=""),
    "search": "/browse?q=biodiversity",
    "search without hits": "/browse?q=zzzzqqq",
    "full-text search page": "/search",
    "full-text search": "/search?q=" + quote("绿色"),
    "full-text search in English": "/search?q=wastes&kind=clause",
    "full-text search without hits": "/search?q=zzzzqqq",
    "full-text search, spelling corrected": "/search?q=biodiversty",
    "full-text search, some words": "/search?q=" + quote("biodiversity zzzzqqq"),
    "full-text search, bad parameter": "/search?q=green&page=0",
    "reconciliation preview": "/reconcile/preview?id=" + quote("https://w3id.org/scograph/id/state/kaz", safe=""),
    "reconciliation preview, unknown id": "/reconcile/preview?id=" + quote("https://w3id.org/scograph/id/state/none", safe=""),
    "downloads": "/downloads",
    "ontology": "/ontology",
    "shapes": "/shapes",
    "query page": "/sparql",
    "query results": "/sparql?query=" + quote("SELECT ?s ?label WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } LIMIT 5"),
    "ask results": "/sparql?query=" + quote("ASK { ?s ?p ?o }"),
    "graph results": "/sparql?query=" + quote("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"),
    "query error": "/sparql?query=" + quote("SELEC nothing"),
    "404": "/id/policy-document",
    "400": "/browse?iri=not-an-iri",
    "403": "/update",
}
#: Pages answered with an error status, and that status.
STATUS = {"query error": 400, "404": 404, "400": 400, "403": 403, "full-text search, bad parameter": 400,
          "reconciliation preview, unknown id": 404}


@pytest.fixture(scope="module")
def client(store):
    return create_app(store).test_client()


class _Text(HTMLParser):
    """Text and reader-facing attributes of a page, each with the language it is declared in."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    CODE = {"code", "pre", "script", "style", "textarea"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.segments: list[tuple[str | None, str]] = []
        self.html_lang: str | None = None
        self.links: list[str] = []

    def _lang(self) -> str | None:
        return next((lang for _, lang in reversed(self.stack) if lang), None)

    def _in_code(self) -> bool:
        return any(tag in self.CODE for tag, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang") or attrs.get("xml:lang")
        if tag == "html":
            self.html_lang = lang
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        effective = lang or self._lang()
        if not self._in_code():
            for name in ("title", "aria-label", "placeholder", "alt"):
                if attrs.get(name):
                    self.segments.append((effective, attrs[name]))
        if tag not in self.VOID:
            self.stack.append((tag, lang))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if data.strip() and not self._in_code():
            self.segments.append((self._lang(), data))


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def _fragments(message: str) -> list[str]:
    """The literal parts of a message between its ``{placeholders}``, long and wordy enough to be telling."""
    parts = [p.strip(" .,:;·()") for p in re.split(r"\{\w+\}", message)]
    return [p for p in parts if len(p) >= 4 and re.search(r"[A-Za-z]{3,}", p)]


def _english_leftovers(texts: list[str]) -> list[tuple[str, str]]:
    """(key, English fragment) for every catalogue entry whose English shows up in ``texts``."""
    # IRIs, prefixed names (``eli:cites``), paths and file names are identifiers, not words.
    joined = re.sub(r"\S*[:/=]\S*|\S*\.\w{2,}\b", " ", "\n".join(texts))
    found = []
    kinds = {f"kind {k.id}": {"en": k.en, "zh": k.zh} for k in KIND_BY_ID.values()}  # the search's kind names
    for key, entry in {**MESSAGES, **TERMS, **kinds}.items():
        for fragment in _fragments(entry["en"]):
            if fragment in entry["zh"]:
                continue  # a technical word both languages use (SPARQL, JSON-LD, ...)
            if re.search(r"(?<![\w-])" + re.escape(fragment) + r"(?![\w-])", joined):
                found.append((key, fragment))
    return found


def _get(client, url, **headers):
    return client.get(url, headers={"Accept": "text/html", **headers})


# -- the catalogue -------------------------------------------------------------------------


def test_every_message_has_both_languages_with_the_same_placeholders():
    assert MESSAGES and TERMS
    for key, entry in {**MESSAGES, **TERMS}.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[lang].strip() for lang in LANGUAGES), key
        fields = {lang: sorted(f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f) for lang in LANGUAGES}
        assert fields["en"] == fields["zh"], key
        # Markup-safe: messages are rendered as trusted markup with escaped values.
        assert not re.search(r'[<&"]', entry["en"] + entry["zh"]), key
    untranslated = [k for k, e in MESSAGES.items() if not CJK.search(e["zh"]) and e["zh"] != e["en"]]
    assert not untranslated
    same = sorted(k for k, e in MESSAGES.items() if e["zh"] == e["en"])
    assert same == ["cite.uri", "page.uri"], same  # "URI" is the word in both
    assert set(SCRIPT_MESSAGES) <= set(MESSAGES)


def test_templates_hold_no_words_of_their_own():
    """Every word a template shows comes from the catalogue: strip the Jinja, and no English is left."""
    allowed = re.compile(
        r"\b(scograph|IRI|URI|SHA-256|SPARQL|SELECT|ASK|CONSTRUCT|DESCRIBE|English|B)\b|https?://\S+|/[\w./-]+|\.\w+"
    )
    for path in sorted(TEMPLATES.glob("*.html")):
        source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", path.read_text(encoding="utf-8"), flags=re.S)
        parsed = _read(source)
        for lang, text in parsed.segments:
            if lang == "zh":
                continue
            rest = allowed.sub(" ", text)
            assert not re.search(r"[A-Za-z]{2,}", rest), f"{path.name}: {text.strip()!r} is not from the catalogue"


# -- choosing the language -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("zh-Hans", "zh"), ("en-GB,en;q=0.9", "en"), ("fr-FR, de", "en"), ("", "en"), ("zh;q=0, en", "en")],
)
def test_accept_language_sets_the_default(client, header, expected):
    response = _get(client, "/", **{"Accept-Language": header})
    assert response.status_code == 200
    assert _read(response.data.decode()).html_lang == expected


def test_the_explicit_switch_wins_over_accept_language(client):
    assert _read(_get(client, "/?lang=en", **{"Accept-Language": "zh-CN"}).data.decode()).html_lang == "en"
    assert _read(_get(client, "/?lang=zh", **{"Accept-Language": "en"}).data.decode()).html_lang == "zh"
    assert _read(_get(client, "/?lang=klingon", **{"Accept-Language": "zh"}).data.decode()).html_lang == "zh"


def test_every_page_offers_the_other_language(client):
    html = _get(client, "/doc/state/chn?lang=zh").data.decode()
    assert 'hreflang="en"' in html
    assert '<a href="/doc/state/chn?lang=en" hreflang="en" lang="en" rel="alternate">English</a>' in html
    html = _get(client, "/browse?q=bio&lang=en").data.decode()
    assert '<a href="/browse?q=bio&amp;lang=zh" hreflang="zh" lang="zh" rel="alternate">中文</a>' in html


def test_the_etag_and_vary_cover_the_language(client):
    by_param = {lang: _get(client, f"/doc/state/chn?lang={lang}") for lang in LANGUAGES}
    by_header = {lang: _get(client, "/doc/state/chn", **{"Accept-Language": lang}) for lang in LANGUAGES}
    for responses in (by_param, by_header):
        assert responses["en"].headers["ETag"] != responses["zh"].headers["ETag"]
        assert "Accept-Language" in responses["zh"].headers["Vary"]
        assert [responses[lang].headers["Content-Language"] for lang in LANGUAGES] == list(LANGUAGES)
    # A cached Chinese page is not revalidated for an English reader, and is for a Chinese one.
    zh_tag = by_header["zh"].headers["ETag"]
    assert _get(client, "/doc/state/chn", **{"Accept-Language": "en", "If-None-Match": zh_tag}).status_code == 200
    assert _get(client, "/doc/state/chn", **{"Accept-Language": "zh", "If-None-Match": zh_tag}).status_code == 304


def test_the_303_from_an_id_keeps_the_chosen_language(client):
    response = client.get("/id/state/chn?lang=zh", headers={"Accept": "text/html"})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/doc/state/chn.html" and parse_qs(location.query) == {"lang": ["zh"]}
    page = client.get(response.headers["Location"], headers={"Accept": "text/html"})
    assert _read(page.data.decode()).html_lang == "zh"
    # The other 303 a reader meets: a local IRI given to /browse?iri=.
    local = client.get("/browse?iri=" + quote("https://w3id.org/scograph/id/state/chn", safe="") + "&lang=zh")
    assert local.status_code == 303 and local.headers["Location"].endswith("/doc/state/chn?lang=zh")
    # Data is not a page: its URL stays as it was.
    turtle = client.get("/id/state/chn?lang=zh", headers={"Accept": "text/turtle"})
    assert turtle.headers["Location"].endswith("/doc/state/chn.ttl")


def test_links_and_forms_carry_the_chosen_language(client):
    pages = ["/", f"/doc/{DOC}", "/doc/state/chn", "/browse", "/browse?q=china", "/downloads", "/sparql", "/id/policy-document",
             "/search?q=green", "/reconcile/preview?id=" + quote("https://w3id.org/scograph/id/state/kaz", safe="")]
    checked = 0
    for url in pages:
        html = _get(client, url + ("&" if "?" in url else "?") + "lang=zh").data.decode()
        for href in _read(html).links:
            parts = urlsplit(href)
            if parts.netloc not in ("", "localhost") or href.startswith("#") or not parts.path:
                continue
            if re.search(r"\.\w+$|^/(download/|\.well-known/|static/)", parts.path):
                continue  # files and data, not pages
            if parse_qs(parts.query).get("lang") == ["en"] and parts.path == urlsplit(url).path:
                continue  # the switch to English
            assert parse_qs(parts.query).get("lang") == ["zh"], f"{href} on {url} drops the language"
            checked += 1
        if 'role="search"' in html:
            assert '<input type="hidden" name="lang" value="zh">' in html
    assert checked > 100


# -- no English left on Chinese pages -------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(PAGE_KINDS))
@pytest.mark.parametrize("how", ["param", "header"])
def test_chinese_pages_have_no_english_interface_text(client, kind, how):
    url = PAGE_KINDS[kind]
    if how == "param":
        response = _get(client, url + ("&" if "?" in url else "?") + "lang=zh")
    else:
        response = _get(client, url, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == STATUS.get(kind, 200), response.data[:300]
    assert response.mimetype == "text/html"
    page = _read(response.data.decode())
    assert page.html_lang == "zh"
    own = [text for lang, text in page.segments if lang in (None, "zh")]
    assert CJK.search("".join(own))
    assert not _english_leftovers(own)
    # ... and the same page in English says what the catalogue says (the check above is not vacuous).
    english = _read(_get(client, url + ("&" if "?" in url else "?") + "lang=en").data.decode())
    assert english.html_lang == "en"
    assert _english_leftovers([text for lang, text in english.segments if lang in (None, "en")])


def test_error_pages_speak_the_readers_language(client):
    html = _get(client, "/browse?iri=not-an-iri&lang=zh").data.decode()
    assert "400 请求有误" in html and "iri 参数必须是" in html
    html = _get(client, "/sparql?query=" + quote("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }") + "&lang=zh").data.decode()
    assert "错误 403" in html
    # Programs still get JSON, in English unless they ask otherwise.
    response = client.get("/browse?iri=not-an-iri", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json["message"] == "The iri parameter must be an absolute http(s) IRI."


def test_labels_follow_the_interface_language(client):
    zh = _get(client, "/doc/state/chn?lang=zh").data.decode()
    en = _get(client, "/doc/state/chn?lang=en").data.decode()
    assert re.search(r'<h1 lang="zh">中国</h1>', zh), "the Chinese name leads on a Chinese page"
    assert re.search(r'<h1 lang="en">China</h1>', en)
    # Reused terms nobody labelled get a reader's name in the page's language.
    assert "位于" in zh or "所在地" in zh
    assert re.search(r'<dt title="schema:containedInPlace"><span lang="zh">所在地</span>', _get(client, "/doc/place/qingdao?lang=zh").data.decode())


def test_the_document_text_switch_is_apart_from_the_interface_language(client):
    html = _get(client, f"/doc/{DOC}?lang=zh&text=en").data.decode()
    assert 'data-show="en"' in html and _read(html).html_lang == "zh"
    assert 'data-show="both"' in _get(client, f"/doc/{DOC}?lang=both").data.decode()  # links from before still work
    assert 'data-show="zh"' in _get(client, f"/doc/{DOC}?lang=zh").data.decode()  # the 中文 view
    both = _get(client, f"/doc/{DOC}?lang=zh&text=both").data.decode()
    assert 'data-show="both"' in both and _read(both).html_lang == "zh"
    # By Accept-Language alone the page is Chinese and shows both texts.
    assert 'data-show="both"' in _get(client, f"/doc/{DOC}", **{"Accept-Language": "zh"}).data.decode()
    assert 'href="?lang=zh&amp;text=zh"' in html  # the 中文 view: Chinese text and a Chinese page
