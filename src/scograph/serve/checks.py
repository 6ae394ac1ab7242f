"""What ``scograph serve`` checks before it starts anything, each failure one sentence for the user:
the port, the remote store, the network walls of the query workers; and the public URL it states."""

from __future__ import annotations

import errno
import socket
from dataclasses import replace

from scograph.release import Release
from scograph.serve.options import ServeOptions
from scograph.serve.worker import make_store


class ServeError(Exception):
    """The server cannot start; ``str()`` says why in a sentence for the user."""


class PortInUse(ServeError):
    """Another program (or another ``scograph serve``) listens on the asked-for port."""


def check_port(host: str, port: int) -> int:
    """The port to listen on; fails in one sentence, before anything else happens, if
    ``host:port`` cannot be listened on.

    granian's workers bind with SO_REUSEPORT, so a second server on a taken port
    could otherwise start and share it silently; this probe binds without it.
    Port 0 is resolved to one free port here, since each worker binding port 0
    itself would get a port of its own.
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no obstacle
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is already in use: stop the program listening there or choose another --port"
                ) from None
            raise ServeError(f"cannot listen on port {port} on {host}: {exc.strerror}") from None
        return probe.getsockname()[1]


def check_remote(options: ServeOptions, release: Release | None) -> None:
    """Open the remote store once before the server starts, so a wrong URL is one clear
    error message rather than every worker process failing to boot with a traceback."""
    try:
        store = make_store(options, release)
    except Exception as exc:  # the remote store's own message names the URL and the fix
        raise ServeError(f"cannot use --store {options.store_url}: {exc}") from None
    store.close()


def with_public_url(options: ServeOptions) -> ServeOptions:
    """``options`` with the public URL filled in when none was given (see ``default_public_url``)."""
    from scograph.web.origin import default_public_url

    web = options.web
    if web.public_url is not None or web.trust_forwarded_headers:
        return options
    return replace(options, web=replace(web, public_url=default_public_url(options.host, options.port)))


def origin_line(options: ServeOptions, base_iri: str | None) -> str:
    web = options.web
    if web.trust_forwarded_headers:
        return "absolute URLs (sitemap, sd:endpoint) follow the proxy's X-Forwarded-* headers (--trust-forwarded-headers)"
    return f"absolute URLs (sitemap, sd:endpoint) use {web.public_url or base_iri} (--public-url to change)"


def check_network_walls(options: ServeOptions, log_line) -> None:
    """Refuse to serve when query workers could reach the network, unless told it is acceptable."""
    from scograph.store.embedded import probe_network_walls

    walls = probe_network_walls()
    if walls["up"]:
        log_line(f"query workers are cut off the network by: {', '.join(walls['up'])}")
        return
    refused = "; ".join(walls["refused"])
    if not options.unsafe_allow_network:
        raise ServeError(
            f"query workers cannot be cut off the network on this host ({refused}), so a query that "
            "slipped past the query guard could reach any address this machine can; allow user namespaces "
            "or seccomp for this process, or start with --unsafe-allow-network to serve with the guard alone"
        )
    log_line(
        f"WARNING: --unsafe-allow-network: query workers HAVE FULL NETWORK ACCESS ({refused}); "
        "only the query guard stops a query from reaching other machines"
    )
