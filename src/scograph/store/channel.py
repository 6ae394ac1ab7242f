"""The pool's end and a query worker's end of their socket pair: one message each way per query.

A message is a small pickled object (the request, or the reply's status and
counts) and, for an answer, the answer's bytes, framed by one 8-byte header:
the two lengths. multiprocessing's ``Connection`` did the same in more steps (a
selector built for every wait, a read per length prefix, a second message for
the body): a round trip of ``ASK {}`` cost the caller 98-117 us and the worker
164-174 us of CPU with it, 43-67 and 108-146 us with this
(``benchmarks/pool_hop_bench.py --compare-src``, alternated, same load). A message up to
:data:`READ_AHEAD` bytes is read with one ``recv`` (the sender writes it with one call), not
one for the header, one for the pickle and one for the body. Both ends are the same
program, so pickle is safe here.
"""

from __future__ import annotations

import os
import pickle
import select
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!II")  # length of the pickled part, length of the bytes that follow
#: What one read asks for: a whole message this size or smaller arrives in one call.
READ_AHEAD = 64 * 1024


class Channel:
    """One end of a worker's socket pair (blocking), with a poller registered once."""

    def __init__(self, sock: socket.socket):
        sock.setblocking(True)
        self._sock = sock
        self._poller = select.poll()
        self._poller.register(sock.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)

    @classmethod
    def from_fd(cls, fd: int) -> Channel:
        return cls(socket.socket(fileno=fd))

    def send(self, message: object, body: bytes = b"") -> None:
        packed = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        head = _HEADER.pack(len(packed), len(body)) + packed
        if len(body) <= 64 * 1024:
            self._sock.sendall(head + body)  # one write; copying a small body costs less than a second call
        else:
            self._sock.sendall(head)
            self._sock.sendall(body)

    def poll(self, timeout: float | None) -> bool:
        """Whether a message (or the end of the channel) is there within ``timeout`` seconds."""
        return bool(self._poller.poll(None if timeout is None else max(0, int(timeout * 1000))))

    def recv(self) -> tuple[Any, bytes]:
        """The next (message, body); EOFError when the other end has gone."""
        data = self._sock.recv(READ_AHEAD)
        if len(data) < _HEADER.size:
            if not data:
                raise EOFError("the other end of the channel has closed it")
            data += self._read(_HEADER.size - len(data))
        pickled_length, body_length = _HEADER.unpack_from(data)
        start = _HEADER.size + pickled_length  # where the body begins
        end = start + body_length
        if len(data) > end:  # one message at a time each way: more means the ends disagree
            raise EOFError(f"the channel carried {len(data) - end} bytes past a message")
        if len(data) < start:
            data += self._read(start - len(data))
        message = pickle.loads(memoryview(data)[_HEADER.size:start])
        if not body_length:
            return message, b""
        if len(data) < end:  # a large answer: the rest in one more call, and one copy to join them
            return message, data[start:] + self._read(end - len(data))
        return message, data[start:]

    def _read(self, size: int) -> bytes:
        # MSG_WAITALL: one call, straight into the bytes object returned (no second copy).
        data = self._sock.recv(size, socket.MSG_WAITALL)
        if len(data) == size:
            return data
        parts, got = [data], len(data)
        while got < size:  # cut short by a signal, or the other end closed
            data = self._sock.recv(size - got, socket.MSG_WAITALL)
            if not data:
                raise EOFError("the other end of the channel has closed it")
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


def pair() -> tuple[Channel, int]:
    """(the pool's channel, the worker's end as a raw fd to pass to the child; close it after the spawn)."""
    parent_end, child_end = socket.socketpair()
    child_fd = child_end.detach()
    os.set_inheritable(child_fd, False)  # Popen(pass_fds=...) makes it inheritable for the child only
    return Channel(parent_end), child_fd
