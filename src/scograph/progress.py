"""What a long command is doing: a bar per phase on a terminal, one line per phase elsewhere.

On a terminal each phase draws one self-rewriting line (a bar when the total is
known, a counter otherwise, and an estimate of the time left), redrawn at most
a few times a second and also while nothing advances, so the clock keeps
moving. When the output is not a terminal (a log file, CI, a pipe) nothing is
drawn: each phase prints one line when it ends, with its duration::

    validate: 55.0 s (1,000,019 triples; 2 warning(s), no violation)

Usage::

    progress = Progress.for_stream(sys.stderr)
    with progress.phase("validate", total=n, unit="triples") as phase:
        ...
        phase.advance(done)
        phase.summary = "2 warning(s)"
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

#: Width of the bar, in characters.
BAR = 24
#: Seconds between redraws (at most).
REDRAW = 0.2


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Phase:
    """One step of a command; ``advance`` it as work gets done."""

    def __init__(self, progress: Progress, name: str, total: int | None, unit: str) -> None:
        self.name, self.total, self.unit = name, total, unit
        self.done = 0
        #: Said after the duration in the phase's final line, e.g. "1,002,932 quads".
        self.summary = ""
        self._progress = progress
        self.started = progress.clock()

    def advance(self, amount: int = 1) -> None:
        with self._progress.lock:
            self.done += amount
        self._progress.redraw(self)

    def status(self, now: float) -> str:
        """The terminal line: name, bar or counter, time left."""
        elapsed = now - self.started
        unit = f" {self.unit}" if self.unit else ""
        if not self.total:
            return f"{self.name}: {self.done:,}{unit}, {_clock(elapsed)}"
        share = min(1.0, self.done / self.total)
        filled = round(share * BAR)
        line = f"{self.name} [{'#' * filled}{'-' * (BAR - filled)}] {share:4.0%} {self.done:,}/{self.total:,}{unit}"
        if 0 < self.done < self.total:
            line += f", {_clock(elapsed / self.done * (self.total - self.done))} left"
        else:
            line += f", {_clock(elapsed)}"
        return line

    def final_line(self, now: float) -> str:
        return f"{self.name}: {now - self.started:.1f} s" + (f" ({self.summary})" if self.summary else "")


class Progress:
    """Reports phases to a terminal (``interactive``) or as one line each to ``emit``."""

    def __init__(
        self,
        emit: Callable[[str], None],
        *,
        terminal: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.emit = emit
        self.terminal = terminal
        self.clock = clock
        self.lock = threading.RLock()
        self._current: Phase | None = None
        self._drawn_at = 0.0

    @classmethod
    def for_stream(cls, stream: TextIO = sys.stderr) -> Progress:
        """Bars if ``stream`` is a terminal, else one line per phase."""
        def emit(line: str) -> None:
            print(line, file=stream, flush=True)

        interactive = hasattr(stream, "isatty") and stream.isatty()
        return cls(emit, terminal=stream if interactive else None)

    @property
    def interactive(self) -> bool:
        return self.terminal is not None

    def note(self, message: str) -> None:
        """A line that is always shown (something the user must know, not progress)."""
        with self.lock:
            self._clear()
            self.emit(message)
            if self._current is not None:
                self._draw(self._current)

    @contextlib.contextmanager
    def phase(self, name: str, total: int | None = None, unit: str = "") -> Iterator[Phase]:
        phase = Phase(self, name, total, unit)
        with self.lock:
            self._current = phase
            self._draw(phase)
        ticker = _Ticker(self, phase) if self.interactive else None
        try:
            yield phase
        finally:
            if ticker is not None:
                ticker.stop()
            with self.lock:
                self._clear()
                self._current = None
        # Only a phase that finished gets its line; an exception says what went wrong instead.
        self.emit(phase.final_line(self.clock()))

    def redraw(self, phase: Phase, *, force: bool = False) -> None:
        if not self.interactive:
            return
        with self.lock:
            now = self.clock()
            if phase is self._current and (force or now - self._drawn_at >= REDRAW or phase.done == phase.total):
                self._draw(phase)

    def _draw(self, phase: Phase) -> None:
        if self.terminal is None:
            return
        now = self.clock()
        self.terminal.write("\r\x1b[K" + phase.status(now))
        self.terminal.flush()
        self._drawn_at = now

    def _clear(self) -> None:
        if self.terminal is not None:
            self.terminal.write("\r\x1b[K")
            self.terminal.flush()


class _Ticker:
    """Redraws the current phase once a second so elapsed time and estimate keep moving."""

    def __init__(self, progress: Progress, phase: Phase) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(progress, phase), daemon=True)
        self._thread.start()

    def _run(self, progress: Progress, phase: Phase) -> None:
        while not self._stop.wait(1.0):
            progress.redraw(phase, force=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
