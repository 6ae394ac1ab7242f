"""Slow request bodies may hold only some of a process's app threads.

granian reads a request's head in Rust, but the body is streamed to the app:
a thread that reads ``wsgi.input`` waits as long as the client takes, and the
server has no body-read timeout. So a client that sends its headers promptly
and trickles a POST body would hold a thread; enough of them would hold all.

``BodyGate`` reads a body before the app runs, with at most ``slots`` threads
of the process doing so at once; a request that finds every slot taken is
answered 503 at once (``Retry-After: 1``) instead of waiting. Requests without
a body (GET, HEAD: pages, GET queries, ``/healthz``) never wait for a slot, so
slow bodies can starve at most the other POSTs, never the rest of the site.
"""

from __future__ import annotations

import io
import json
import threading
from typing import Callable, Iterable

_BUSY = json.dumps({
    "error": "Service Unavailable",
    "message": "too many requests are sending a body at this moment; retry in a second",
}).encode()


class BodyGate:
    def __init__(self, app: Callable, *, slots: int, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes  # the largest body the app accepts; larger ones it refuses (413) unread
        self._slots = threading.BoundedSemaphore(max(1, slots))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = environ.get("CONTENT_LENGTH") or ""
        if not chunked:
            try:
                declared = int(length) if length else 0
            except ValueError:  # the app says what is wrong with it
                return self.app(environ, start_response)
            if declared <= 0 or declared > self.max_bytes:  # nothing to read, or refused without reading
                return self.app(environ, start_response)
        if not self._slots.acquire(blocking=False):
            start_response("503 Service Unavailable", [
                ("Content-Type", "application/json"), ("Content-Length", str(len(_BUSY))),
                ("Retry-After", "1"), ("Connection", "close"),
            ])
            return [_BUSY]
        try:
            # Chunked: one byte past the limit is enough for the app to answer 413.
            body = _read(environ["wsgi.input"], self.max_bytes + 1 if chunked else declared)
        finally:
            self._slots.release()
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


def _read(stream, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the body."""
    parts, got = [], 0
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)
