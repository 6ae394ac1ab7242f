"""The query worker's main loop: one request in, one reply out, until the pool goes away."""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback

from scograph.store.channel import Channel
from scograph.store.query_worker.answers import execute
from scograph.store.query_worker.memory import (
    TRIM_GROWTH_BYTES, limit_memory, open_statm, resident_bytes, trim_heap, check_room,
)
from scograph.store.query_worker.release_store import endpoint_iri, open_store
from scograph.store.query_worker.walls import die_with_parent, probe, raise_walls


def serve(conn: Channel, store_path: str, walls: tuple[str, ...], memory_mb: int = 0, in_memory: bool = False) -> None:
    """The worker's main loop: one request in, one reply out, until the parent goes away."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    statm = open_statm()
    try:
        up, reasons = raise_walls(walls)
        store = open_store(store_path, in_memory)
        base_iri = endpoint_iri(store_path)
        check_room(memory_mb, in_memory, statm)
        limit_memory(memory_mb)
    except Exception as exc:  # the pool logs this text: an empty reason helps no one
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid(), up, reasons))
    trimmed_at = resident_bytes(statm)  # the resident size after the last trim
    while True:
        try:
            request, _body = conn.recv()
        except (EOFError, OSError):
            return
        body = None
        try:
            form, media_type, body, count, truncated = execute(store, **{"base_iri": base_iri, **request})
            reply: tuple = ("ok-bytes", form, media_type, count, truncated)
        except SyntaxError as exc:
            reply = ("query-error", str(exc))
        except Exception as exc:  # reported to the pool, which logs it and answers 500
            reply = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(reply, body or b"")  # the answer's bytes follow the reply as they are: no pickling
        failed = reply[0] != "ok-bytes"  # a failed query may have built much before it failed
        del reply, body
        resident = resident_bytes(statm)
        if failed or resident is None or trimmed_at is None or resident > trimmed_at + TRIM_GROWTH_BYTES:
            trim_heap()
            trimmed_at = resident_bytes(statm)


def main(argv: list[str]) -> None:
    """``python -m scograph.store.query_worker FD STORE_PATH WALLS MEMORY_MB [--in-memory]``: started by
    the pool only; ``... --probe WALLS`` prints which walls can be raised here, as JSON."""
    if argv[1] == "--probe":
        print(json.dumps(probe(_walls_arg(argv[2]))))
        return
    fd, store_path, walls, memory_mb = int(argv[1]), argv[2], _walls_arg(argv[3]), int(argv[4])
    in_memory = argv[5:] == ["--in-memory"]
    try:
        serve(Channel.from_fd(fd), store_path, walls, memory_mb, in_memory)
    except Exception:  # pragma: no cover - goes to the pool's log through our stderr
        traceback.print_exc()
        sys.exit(1)


def _walls_arg(text: str) -> tuple[str, ...]:
    return tuple(w for w in text.split(",") if w and w != "-")
