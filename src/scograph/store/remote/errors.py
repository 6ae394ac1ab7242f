"""Why the remote store cannot serve, in one sentence: the error, and short reasons for failed requests.

Separate because every part of the remote store reports through it, and
``scograph publish`` words its own network failures with :func:`network_reason`.
"""

from __future__ import annotations

import requests


class RemoteStoreError(Exception):
    """The remote store cannot serve: unreachable, no release published, or ambiguous."""


def network_reason(exc: requests.RequestException) -> str:
    """A short reason for a failed request, without urllib3's nested reprs."""
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        for reason in ("Connection refused", "Name or service not known", "No route to host", "Connection reset"):
            if reason in text:
                return reason.lower()
        return "connection failed"
    return type(exc).__name__


def first_line(text: str) -> str:
    """The first non-blank line of a server's message, at most 500 characters."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:500]
    return ""

