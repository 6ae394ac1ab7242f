"""The walls a query worker raises before it opens the store: no network, and death with its parent.

``netns`` is a fresh, empty network namespace (needs unprivileged user
namespaces); ``seccomp`` is a filter that fails every ``socket()``
(:mod:`scograph.store.seccomp`; needs no namespace, so it works in containers).
Even a query that slipped past :mod:`scograph.sparql.guard` then cannot make an
outbound request (the guard is the first wall; these are the second and third).
"""

from __future__ import annotations

import ctypes
import os
import signal

from scograph.store import seccomp


_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


#: The network walls a worker knows how to raise, strongest first.
WALLS = ("netns", "seccomp")


def die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's pipe closing still ends the loop
        pass


def _leave_network() -> str | None:
    """Enter an empty network namespace (no interfaces but a down loopback); None if done, else why not."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        return f"netns: no C library ({exc})"
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return None
    return f"netns: unshare refused ({os.strerror(ctypes.get_errno())})"


def raise_walls(walls: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Raise each wall asked for that this host allows; (walls up, why the others are not)."""
    up: list[str] = []
    reasons: list[str] = []
    for wall in walls:
        if wall == "netns":
            reason = _leave_network()
        elif wall == "seccomp":
            reason = seccomp.deny_network()
        else:
            reason = f"{wall}: unknown wall"
        if reason is None:
            up.append(wall)
        else:
            reasons.append(reason)
    return tuple(up), tuple(reasons)


def probe(walls: tuple[str, ...]) -> dict:
    """Which walls this host lets a worker raise (run in a throw-away process: walls are for good)."""
    up, reasons = raise_walls(walls)
    return {"up": list(up), "refused": list(reasons)}
