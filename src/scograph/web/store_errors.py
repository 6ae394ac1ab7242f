"""Which HTTP status a failed query gets: one table for the endpoint and the query page.

Order matters: a subclass comes before its base (``QueryRefused`` and
``ResultTooLarge`` are ``QueryError``\\s, ``StoreUnavailable`` is a ``StoreBusy``).
"""

from __future__ import annotations

from scograph.store.base import (
    QueryCrashed,
    QueryError,
    QueryRefused,
    QueryTimeout,
    ResultTooLarge,
    StoreBusy,
    StoreUnavailable,
)

#: Seconds a client should wait before retrying a busy (429) or timed-out (503) query.
RETRY_AFTER_BUSY = "1"
RETRY_AFTER_TIMEOUT = "5"

#: (exception, status, Retry-After or None), most specific first.
STORE_ERRORS: tuple[tuple[type[Exception], int, str | None], ...] = (
    (QueryRefused, 403, None),
    (ResultTooLarge, 400, None),
    (QueryError, 400, None),
    (QueryTimeout, 503, RETRY_AFTER_TIMEOUT),
    (StoreUnavailable, 503, RETRY_AFTER_TIMEOUT),
    (StoreBusy, 429, RETRY_AFTER_BUSY),
    (QueryCrashed, 500, None),
)

#: What ``except`` catches: every exception the table maps.
HANDLED = tuple(kind for kind, _status, _retry in STORE_ERRORS)


def status_of(exc: Exception) -> tuple[int, str | None]:
    """The status and Retry-After for one of the :data:`HANDLED` exceptions."""
    for kind, status, retry_after in STORE_ERRORS:
        if isinstance(exc, kind):
            return status, retry_after
    raise TypeError(f"no status for {type(exc).__name__}")  # pragma: no cover - callers catch HANDLED only
