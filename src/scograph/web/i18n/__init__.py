"""The interface language: which one a request gets, and the words in it.

Every word of the interface (headings, navigation, labels, buttons, messages,
error pages, diagram labels) comes from :mod:`scograph.web.i18n.messages`,
one entry per key with its English and its Chinese. The data itself
(labels, clause texts) keeps its own language tags; this module only
decides the order it is shown in.

The language is chosen, in order, by:

1. ``?lang=zh`` / ``?lang=en`` in the URL: the explicit switch. It is carried
   on every local link, form and redirect of the page it was chosen on, so it
   survives navigation and the 303 from ``/id/...`` (and a shared link keeps it);
2. ``Accept-Language`` (responses already ``Vary`` on it, and the ETag covers
   both the query string and the header, so the cached bytes always match);
3. English.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, g, has_request_context, request
from markupsafe import Markup

from scograph.web.i18n.messages import MESSAGES
from scograph.web.i18n.terms import TERMS

#: Interface languages, the default first.
LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
#: What each language is called in itself (for the switch).
NATIVE_NAMES = {"en": "English", "zh": "中文"}
#: The URL parameter of the explicit switch.
PARAMETER = "lang"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _normalise(value: str | None) -> str | None:
    """``zh``, ``zh-CN``, ``zh-Hans`` -> ``zh``; ``en-GB`` -> ``en``; anything else -> ``None``."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def explicit_language() -> str | None:
    """The language the URL asks for (``?lang=``), if it names one we have."""
    if not has_request_context():
        return None
    return _normalise(request.args.get(PARAMETER))


def current_language() -> str:
    """The interface language of the current request (``en`` outside a request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    cached = g.get("scograph_language")
    if cached:
        return cached
    chosen = explicit_language()
    if chosen is None:
        # Werkzeug matches ``zh-CN`` to ``zh`` on the primary subtag; q=0 excludes.
        chosen = _normalise(request.accept_languages.best_match(LANGUAGES)) or DEFAULT_LANGUAGE
    g.scograph_language = chosen
    return chosen


def other_language(language: str | None = None) -> str:
    language = language or current_language()
    return next(lang for lang in LANGUAGES if lang != language)


def text(key: str, language: str | None = None, **values) -> str:
    """The message ``key`` in ``language`` (default: the request's), with ``{name}`` filled in.

    An unknown key is a programming error and raises ``KeyError`` (a test walks
    every page, so a missing entry cannot reach a reader).
    """
    message = MESSAGES[key][language or current_language()]
    return message.format(**values) if values else message


def markup(key: str, **values) -> Markup:
    """``text`` for templates: the message is trusted markup, the values are escaped unless Markup."""
    message = MESSAGES[key][current_language()]
    return Markup(message).format(**values) if values else Markup(message)


def term_label(iri: str, language: str | None = None) -> str | None:
    """A reader's name for a reused vocabulary term nobody labelled (``void:exampleResource`` -> "for example")."""
    entry = TERMS.get(iri)
    return entry[language or current_language()] if entry else None


def language_of(value: str) -> str:
    """``zh`` when ``value`` is written in Chinese characters, else ``en`` (for ``lang`` on messages we quote)."""
    return "zh" if _CJK.search(value or "") else "en"


def script_language(value: str) -> str:
    """The ``lang`` to show an untagged string in: by its script (Chinese, Latin), else ``und``.

    Presentation only (the data keeps no tag): it lets a reader's software pick
    the right voice and font for, say, an English ``sh:message`` on a Chinese page.
    """
    if _CJK.search(value or ""):
        return "zh"
    return "en" if re.search(r"[A-Za-z]{2,}", value or "") else "und"


def _is_local(url: str) -> bool:
    """A URL of this site: relative, or on the host that answered this request."""
    if url.startswith(("?", "/")) and not url.startswith("//"):
        return True
    if not has_request_context():
        return False
    return url.startswith(request.url_root) or urlsplit(url).netloc == request.host


def with_language(url: str, language: str | None = None) -> str:
    """``url`` carrying ``?lang=`` when the reader chose a language explicitly (local URLs only).

    Links on a page chosen by ``Accept-Language`` stay as they are: the browser
    sends the same header on the next request.
    """
    language = language or explicit_language()
    if not language or not url or url.startswith("#") or not _is_local(url):
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAMETER]
    query.append((PARAMETER, language))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def switch_url(language: str) -> str:
    """This page in ``language``: the same path and parameters, ``lang`` replaced."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != PARAMETER]
    query.append((PARAMETER, language))
    return request.path + "?" + urlencode(query)


def status_title(status: int, fallback: str) -> str:
    """The reason phrase of an HTTP status in the interface language."""
    key = f"status.{status}"
    return text(key) if key in MESSAGES else fallback


def status_explanation(status: int) -> str | None:
    """One sentence saying what an HTTP status means for the reader, if we have one."""
    key = f"status.{status}.explain"
    return text(key) if key in MESSAGES else None


def default_description(status: int) -> str | None:
    """Werkzeug's generic English description of ``status`` (replaced by ours on the page)."""
    from werkzeug.exceptions import default_exceptions

    exception = default_exceptions.get(status)
    return exception.description if exception else None


def file_description(release_file) -> Markup:
    """What a release file holds, in the interface language (the manifest says it in English)."""
    name = release_file.name
    gzipped = name.endswith(".gz")
    key = "file." + (name[:-3] if gzipped else name)
    if key in MESSAGES:
        return Markup.escape(text(key) + (text("downloads.gzip_suffix") if gzipped else ""))
    # A file this catalogue does not know yet: the manifest's words, marked as English.
    return Markup('<span lang="en">{}</span>').format(release_file.description)


def script_messages() -> dict[str, str]:
    """The messages a page script shows, in the interface language (``{name}`` left for the script)."""
    from scograph.web.i18n.messages import SCRIPT_MESSAGES

    return {key: text(key) for key in SCRIPT_MESSAGES}


def install(app: Flask) -> None:
    """Make ``_``, ``_m``, the language and the link helpers available to every template."""
    app.jinja_env.globals.update(
        _=text,
        _m=markup,
        ui_lang=current_language,
        other_lang=other_language,
        language_switch_url=switch_url,
        explicit_language=explicit_language,
        native_names=NATIVE_NAMES,
        ui_languages=LANGUAGES,
        Markup=Markup,
        file_description=file_description,
        status_title=status_title,
        status_explanation=status_explanation,
        default_description=default_description,
    )
    app.jinja_env.filters["lang_url"] = with_language
    app.jinja_env.filters["text_lang"] = language_of
    app.jinja_env.filters["script_lang"] = script_language
    app.after_request(_content_language)


def _content_language(response):
    """Pages say which language their interface is in (data and errors for programs do not)."""
    if response.mimetype == "text/html" and "Content-Language" not in response.headers:
        response.headers["Content-Language"] = current_language()
    return response
