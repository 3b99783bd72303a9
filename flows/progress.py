"""The progress display of ``decruft ingest``: a bar with rate and ETA on a terminal, plain lines
otherwise. It listens to the flow's per-batch progress (``flows.ingest.progress_listener``)."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    """Call with ``(phase, done, total)`` after each batch; ``close()`` ends the bar's line."""

    def __init__(self, stream: TextIO | None = None, width: int = 30, every_s: float = 5.0):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width, self.every_s = width, every_s
        self.phase: str | None = None
        self.began = self.last_line = 0.0
        self.drawn = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if phase != self.phase:
            self.close()
            self.phase, self.began, self.last_line = phase, now, 0.0
        elapsed = now - self.began
        rate = done / elapsed if elapsed > 0 and done else 0.0
        eta = (total - done) / rate if rate else None
        text = f"{phase:<5} {done}/{total} files  {rate:.0f} files/s  ETA {_clock(eta)}"
        if self.tty:
            filled = int(self.width * done / total) if total else self.width
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r\033[K{phase:<5} [{bar}] {text[len(phase) + 1:].lstrip()}")
            self.drawn = True
        elif done == total or now - self.last_line >= self.every_s or done == 0:
            self.stream.write(text + "\n")
            self.last_line = now
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
        self.drawn = False


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
