"""The pool's channel to a query worker (``store/channel.py``): every message arrives whole and
alone, however the bytes are cut on the way, and a closed end is an EOFError, not a hang."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from scograph.store import channel
from scograph.store.channel import READ_AHEAD, Channel


@pytest.fixture
def ends():
    left, right = socket.socketpair()
    a, b = Channel(left), Channel(right)
    yield a, b
    a.close()
    b.close()


@pytest.mark.parametrize("size", [0, 1, READ_AHEAD - 200, READ_AHEAD, READ_AHEAD + 1, 3 * READ_AHEAD + 7, 4 << 20])
def test_a_message_and_its_body_arrive_whole(ends, size):
    a, b = ends
    body = os.urandom(size)
    message = ("ok-bytes", "SELECT", "application/sparql-results+json", 12, False)
    sender = threading.Thread(target=a.send, args=(message, body))  # a large body fills the socket buffer
    sender.start()
    got, got_body = b.recv()
    sender.join()
    assert got == message and got_body == body and type(got_body) is bytes


def framed(message: object, body: bytes = b"") -> bytes:
    """The bytes ``Channel.send`` writes for one message."""
    left, right = socket.socketpair()
    Channel(left).send(message, body)
    left.close()
    parts = []
    while chunk := right.recv(1 << 20):
        parts.append(chunk)
    right.close()
    return b"".join(parts)


@pytest.mark.parametrize("body_size", [0, 1000, READ_AHEAD + 5000])
def test_messages_cut_into_pieces_are_put_back_together(body_size):
    body = b"x" * body_size
    data = framed(("cut", 7), body)
    left, right = socket.socketpair()
    reader = Channel(right)

    def send_pieces():  # the header, the pickle and the body split across reads
        remaining = data
        for cut in (3, 5, 9, 100):
            left.sendall(remaining[:cut])
            remaining = remaining[cut:]
            time.sleep(0.02)
        left.sendall(remaining)

    thread = threading.Thread(target=send_pieces)
    thread.start()
    try:
        assert reader.recv() == (("cut", 7), body)
    finally:
        thread.join()
        left.close()
        reader.close()


def test_a_closed_end_is_an_eof_error_before_and_inside_a_message(ends):
    data = framed(("partial",), b"y" * 1000)
    left, right = socket.socketpair()
    half = Channel(right)
    try:
        left.sendall(data[: len(data) // 2])  # the sender dies half-way through a message
        left.close()
        with pytest.raises(EOFError):
            half.recv()
    finally:
        half.close()
    a, b = ends
    a.close()
    with pytest.raises(EOFError):
        b.recv()


def test_bytes_past_a_message_are_refused_not_taken_for_the_next_one(ends):
    a, b = ends
    a.send(("one",))
    a.send(("two",))  # two messages in flight: the protocol never does this
    time.sleep(0.05)
    with pytest.raises(EOFError, match="past a message"):
        b.recv()


def test_pair_hands_the_child_a_raw_fd():
    parent, child_fd = channel.pair()
    try:
        child = Channel.from_fd(child_fd)
        child.send(("ready", os.getpid()))
        assert parent.poll(1.0)
        assert parent.recv() == (("ready", os.getpid()), b"")
        child.close()
    finally:
        parent.close()
