"""Progress of a build: bars with time left on a terminal, one line per phase elsewhere."""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import time

import pytest

from scograph.progress import Progress
from scograph.synthetic import generate
from tests.conftest import REPO

PHASES = ["read sources", "validate", "dumps and store", "search index", "sources and exports", "description and report"]
PHASE_LINE = re.compile(r"^(?P<name>[a-z ]+): (?P<seconds>\d+\.\d) s( \(.+\))?$")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_terminal_bar_shows_count_share_and_time_left():
    clock, terminal = _Clock(), _Terminal()
    progress = Progress(lambda line: terminal.write(line + "\n"), terminal=terminal, clock=clock)
    with progress.phase("validate", total=1_000, unit="triples") as phase:
        clock.now = 10.0
        phase.advance(250)
        drawn = terminal.getvalue().split("\r\x1b[K")[-1]
        # A quarter done in 10 s: three quarters left at that rate.
        assert drawn == "validate [######------------------]  25% 250/1,000 triples, 0:30 left"
        clock.now = 40.0
        phase.advance(750)
        phase.summary = "1,000 triples"
    out = terminal.getvalue()
    assert out.endswith("\r\x1b[Kvalidate: 40.0 s (1,000 triples)\n")


def test_terminal_counter_when_the_total_is_unknown():
    clock, terminal = _Clock(), _Terminal()
    progress = Progress(lambda line: terminal.write(line + "\n"), terminal=terminal, clock=clock)
    with progress.phase("load", unit="quads") as phase:
        clock.now = 65.0
        phase.advance(12_345)
        assert terminal.getvalue().split("\r\x1b[K")[-1] == "load: 12,345 quads, 1:05"


def test_not_a_terminal_gives_one_line_per_phase_and_nothing_else():
    stream = io.StringIO()  # isatty() is False
    progress = Progress.for_stream(stream)
    assert not progress.interactive
    for name in ("read", "write"):
        with progress.phase(name, total=10, unit="files") as phase:
            for _ in range(10):
                phase.advance()
    lines = stream.getvalue().splitlines()
    assert [PHASE_LINE.match(line)["name"] for line in lines] == ["read", "write"]
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_a_failed_phase_prints_no_duration_line():
    stream = io.StringIO()
    progress = Progress.for_stream(stream)
    with pytest.raises(RuntimeError), progress.phase("validate"):
        raise RuntimeError("stop")
    assert stream.getvalue() == ""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "scograph", *args]


def test_build_in_a_log_prints_one_line_per_phase_with_its_duration(tmp_path):
    done = subprocess.run(
        _cli("build", "--sources", str(REPO), "--build-dir", str(tmp_path / "build")),
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert [PHASE_LINE.match(line)["name"] for line in lines] == PHASES, done.stderr
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    assert done.stdout.strip().endswith(current_version(tmp_path / "build"))


def current_version(build_dir) -> str:
    return os.readlink(build_dir / "current").rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # Several partition files, so validation advances in steps a bar can show.
    return generate(REPO, tmp_path_factory.mktemp("progress") / "corpus", 40_000).out


def _read_terminal(master: int, process: subprocess.Popen, seconds: float) -> str:
    chunks, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the build closed its end
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    return b"".join(chunks).decode("utf-8", "replace")


def test_build_on_a_terminal_draws_bars_with_time_left(tmp_path, corpus):
    master, slave = os.openpty()
    process = subprocess.Popen(
        _cli("build", "--sources", str(corpus), "--build-dir", str(tmp_path / "build")),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
    )
    os.close(slave)
    try:
        shown = _read_terminal(master, process, 300)
        assert process.wait(timeout=60) == 0, shown
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    # Bars are redrawn in place ...
    draws = [part for part in shown.split("\r\x1b[K") if part]
    bars = [d for d in draws if re.match(r"^validate \[[#-]{24}\] +\d+% [\d,]+/[\d,]+ triples, \d+:\d\d", d)]
    assert bars, shown
    # ... with an estimate once part of the work is done, and a counter for files written.
    assert any(re.search(r"\d+% [\d,]+/[\d,]+ triples, \d+:\d\d left", bar) for bar in bars), shown
    assert any(d.startswith("dumps and store [") for d in draws), shown
    # Each phase still ends with its line, in order.
    finished = [PHASE_LINE.match(line.split("\r\x1b[K")[-1]) for line in shown.replace("\r\n", "\n").split("\n")]
    assert [m["name"] for m in finished if m] == PHASES, shown
