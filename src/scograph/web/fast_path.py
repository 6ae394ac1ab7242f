"""Answers to repeated ``GET /sparql?query=...`` requests, replayed before Flask runs.

A release never changes, so the answer to a GET query request is a function of
the request line and the few headers it depends on (``Accept``,
``Accept-Language``, ``Accept-Encoding``, ``If-None-Match``): the same function
the ETag already encodes (:func:`scograph.web.http.representation_etag`). The
store keeps the result bytes (:mod:`scograph.store.cache`); Flask, the protocol
parser, negotiation and the response policies then still cost ~0.4 ms a request
to wrap them (benchmarks/REPORT-endpoint.md, "Lean request path").

``FastPath`` is a plain WSGI callable in front of the Flask app. The first time
a request is seen it goes through Flask, and an answer worth keeping (a ``200``
of the endpoint, or a ``304`` revalidation of one) is recorded as Flask sent it:
status, every header, body. The same request again gets those bytes back at
once, with only ``X-Query-Duration-Ms`` measured anew and the same access-log
line the endpoint writes. So headers cannot drift from the Flask path: they are
the Flask path's (``tests/test_fast_path.py`` compares both for CORS, Vary,
ETag, 304, gzip, HEAD and Accept-Language).

What is never replayed: anything with a body or a non-GET/HEAD method, other
paths, errors (4xx/5xx: a 429 or 503 must be re-tried for real), the HTML
query page, and everything when the result cache is off or when forwarded
headers are trusted (the answer then depends on headers outside the key).
Bounded like the result cache: in bytes, least recently used first out.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from scograph.store.cache import entry_size

access_log = logging.getLogger("scograph.access")

#: The WSGI environ keys an answer of the endpoint depends on (besides the release).
_KEY_HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING", "HTTP_IF_NONE_MATCH")
#: Set by the endpoint on the environ so a replayed access-log line says the query form too.
FORM_KEY = "scograph.sparql_form"
DURATION_HEADER = "X-Query-Duration-Ms"
#: Memory an entry takes besides its body, key and headers: the slots object, the dict slot, the
#: header list and tuples, the key tuple (tests/test_cache_bounds.py).
_ENTRY_OVERHEAD = 400


class _Entry:
    __slots__ = ("status", "headers", "duration_at", "body", "form", "count", "truncated", "length", "size")

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes, form: str, key: tuple):
        self.status = status
        self.body = body
        self.form = form
        lowered = {name.lower(): value for name, value in headers}
        self.count = lowered.get("x-result-count", "-")
        self.truncated = lowered.get("x-result-truncated", "-")
        self.length = lowered.get("content-length", "-")
        # Where X-Query-Duration-Ms goes (None: the answer has none, as a 304 has not).
        self.duration_at = next((i for i, (name, _) in enumerate(headers) if name == DURATION_HEADER), None)
        self.headers = headers
        # What the allocator holds for it, object headers included: an answer's ~17 headers take
        # more than most bodies. Header names are shared constants; values are counted whole,
        # the constant ones too (an over-count of ~1 KB an entry, on the safe side).
        self.size = (
            entry_size(key, body, _ENTRY_OVERHEAD) + sys.getsizeof(headers)
            + sum(sys.getsizeof(value) + 56 for _name, value in headers)
        )


class FastPath:
    """WSGI middleware: replay recorded answers of ``GET /sparql?query=...``; record new ones."""

    def __init__(self, app: Callable, *, path: str, max_bytes: int, max_entry_bytes: int, first_answer=None):
        self.app = app
        self.first_answer = first_answer  # a FirstAnswer: new answers without Flask, when it can
        self.path = path
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0

    def _key(self, environ: dict) -> tuple | None:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or environ.get("PATH_INFO") != self.path:
            return None
        query_string = environ.get("QUERY_STRING", "")
        if "query=" not in query_string:  # the service description and the page: through Flask
            return None
        if environ.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        return (method, query_string, *(environ.get(name) for name in _KEY_HEADERS))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if entry is not None:
            return self._replay(entry, environ, start_response, started)
        return self._record(key, environ, start_response)

    def _replay(self, entry: _Entry, environ: dict, start_response: Callable, started: float) -> Iterable[bytes]:
        headers = entry.headers
        if entry.duration_at is not None:
            duration_ms = (time.perf_counter() - started) * 1000
            headers = headers.copy()
            headers[entry.duration_at] = (DURATION_HEADER, f"{duration_ms:.1f}")
            access_log.info(
                '%s "%s %s" %s %s form=%s rows=%s truncated=%s %.1fms',
                environ.get("REMOTE_ADDR") or "-", environ["REQUEST_METHOD"], self.path, entry.status[:3],
                entry.length, entry.form, entry.count, entry.truncated, duration_ms,
            )
        start_response(entry.status, headers)
        return [entry.body] if environ["REQUEST_METHOD"] != "HEAD" else []

    def _record(self, key: tuple, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.first_answer is not None:
            built = self.first_answer.answer(environ)
            if built is not None:
                status, headers, body = built
                entry = _Entry(status, headers, body, environ.get(FORM_KEY, "-"), key)
                if entry.size <= self.max_entry_bytes:
                    self._put(key, entry)
                start_response(status, headers)
                return [body]
        seen: list = []

        def recording_start_response(status, headers, exc_info=None):
            seen[:] = [status, list(headers)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        answer = self.app(environ, recording_start_response)
        if not seen:  # the app did not answer before returning its body: nothing to learn
            return answer
        status, headers = seen
        if not self._keepable(status, headers):
            return answer
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        entry = _Entry(status, headers, body, environ.get(FORM_KEY, "-"), key)
        if entry.size <= self.max_entry_bytes and (entry.duration_at is not None or status.startswith("304")):
            self._put(key, entry)
        return [body]

    @staticmethod
    def _keepable(status: str, headers: list[tuple[str, str]]) -> bool:
        if not (status.startswith("200") or status.startswith("304")):
            return False
        for name, value in headers:
            lowered = name.lower()
            if lowered == "content-type" and value.startswith("text/html"):
                return False  # the query page: rendered per request, not a result
            if lowered == "cache-control" and "no-store" in value:
                return False
        return True

    def _put(self, key: tuple, entry: _Entry) -> None:
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes and self._entries:
                _old_key, old = self._entries.popitem(last=False)
                self._bytes -= old.size

    def status(self) -> dict:
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes, "hits": self.hits}


def install(app, path: str = "/sparql") -> FastPath | None:
    """Put a :class:`FastPath` in front of ``app.wsgi_app`` when the store's answers may be replayed."""
    store = app.extensions["scograph.store"]
    budget = getattr(store, "result_cache_budget", None)
    if budget is None or app.extensions.get("scograph.trust_forwarded"):
        return None
    max_bytes, max_entry_bytes = budget
    from scograph.web.first_answer import FirstAnswer

    first = FirstAnswer(store, app.extensions["scograph.config"])
    fast = FastPath(app.wsgi_app, path=path, max_bytes=max_bytes, max_entry_bytes=max_entry_bytes, first_answer=first)
    app.wsgi_app = fast
    app.extensions["scograph.fast_path"] = fast
    return fast
