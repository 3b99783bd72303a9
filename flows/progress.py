"""The progress display of ``decruft ingest`` and the console quiet around it.

On a terminal, a ``rich`` progress bar per phase (scan, clean) that advances with every file,
with rate and time left; log lines are printed above it, never on its line. Elsewhere (a pipe,
a log file), plain lines, at most one every few seconds per phase. Both listen to the flow's
progress (``decruft_flows.ingest.progress_listener``): ``(phase, files_done, files_total)``.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text

#: Environment for this process's Prefect and the processes it starts (the temporary server,
#: Dask workers) when the console should show only what is asked for: Prefect's console
#: handler at this level, and Dask's own logs (cluster start, worker start and stop) off.
CONSOLE_LEVEL_VARIABLE = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"
DASK_LOG_VARIABLE = "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED"


class RichProgress:
    """A bar per phase on a terminal; a spinner until the first phase starts (the Prefect
    server takes seconds to start). Use as a context manager, call with progress."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<6}"), BarColumn(),
                                 _Counted(TextColumn("{task.completed}/{task.total} files {task.fields[rate]}")),
                                 _Counted(TimeElapsedColumn()), _Counted(TextColumn("left")),
                                 _Counted(TimeRemainingColumn()),
                                 console=self.console, refresh_per_second=12)
        self.tasks: dict[str, TaskID] = {}
        self.began: dict[str, float] = {}
        self._handlers: list[tuple[logging.Handler, Console]] = []

    def __enter__(self) -> "RichProgress":
        self.progress.start()
        self.tasks["start"] = self.progress.add_task("starting Prefect", total=None, rate="")
        self._handlers = [(h, h.console) for h in prefect_console_handlers()]
        for handler, _ in self._handlers:  # log lines go above the bar, not through it
            handler.console = self.console
        return self

    def __exit__(self, *exc: object) -> None:
        for handler, console in self._handlers:
            handler.console = console
        self.progress.stop()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if "start" in self.tasks:
            self.progress.remove_task(self.tasks.pop("start"))
        if phase not in self.tasks:
            self.tasks[phase] = self.progress.add_task(phase, total=total, rate="")
            self.began[phase] = time.perf_counter()
        elapsed = time.perf_counter() - self.began[phase]
        rate = f"{done / elapsed:.0f}/s" if done and elapsed > 0 else ""
        self.progress.update(self.tasks[phase], completed=done, total=total, rate=rate)


class _Counted(ProgressColumn):
    """A column shown for a phase's bar, blank while Prefect starts (nothing is counted yet)."""

    def __init__(self, column: ProgressColumn):
        super().__init__()
        self.column = column

    def render(self, task: Task) -> Text:
        return Text("") if task.total is None else self.column(task)


class PlainProgress:
    """Progress as plain lines: each phase's start and end, and at most one line every
    ``every_s`` seconds between them."""

    def __init__(self, stream: TextIO | None = None, every_s: float = 5.0):
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.began: dict[str, float] = {}
        self.last_line: dict[str, float] = {}

    def __enter__(self) -> "PlainProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.flush()

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.began.setdefault(phase, now)
        if done not in (0, total) and now - self.last_line.get(phase, 0.0) < self.every_s:
            return
        if done == 0 and phase in self.last_line:
            return
        elapsed = now - self.began[phase]
        rate = done / elapsed if elapsed > 0 and done else 0.0
        eta = (total - done) / rate if rate else None
        self.stream.write(f"{phase:<5} {done}/{total} files  {rate:.0f} files/s  left {_clock(eta)}\n")
        self.stream.flush()
        self.last_line[phase] = now


def display(stream: TextIO | None = None) -> RichProgress | PlainProgress:
    """The display that suits the stream (standard error by default): a bar on a terminal."""
    stream = stream or sys.stderr
    if getattr(stream, "isatty", lambda: False)():
        return RichProgress(Console(file=stream))
    return PlainProgress(stream)


@contextmanager
def console_level(level: str) -> Iterator[None]:
    """Prefect's console logs at ``level`` (Dask's own off unless DEBUG or INFO) while the block
    runs, here and in the processes it starts; the logs sent to Prefect's API are unchanged."""
    saved = {name: os.environ.get(name) for name in (CONSOLE_LEVEL_VARIABLE, DASK_LOG_VARIABLE)}
    os.environ.setdefault(CONSOLE_LEVEL_VARIABLE, level)
    if level not in ("DEBUG", "INFO"):
        os.environ.setdefault(DASK_LOG_VARIABLE, "error")
    handlers = [(h, h.level) for h in prefect_console_handlers()]
    for handler, _ in handlers:
        handler.setLevel(os.environ[CONSOLE_LEVEL_VARIABLE])
    dask = logging.getLogger("distributed")  # when already imported, the variable comes too late
    dask_level = dask.level
    if os.environ.get(DASK_LOG_VARIABLE) == "error":
        dask.setLevel(logging.ERROR)
    try:
        yield
    finally:
        dask.setLevel(dask_level)
        for handler, old in handlers:
            handler.setLevel(old)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def prefect_console_handlers() -> list[logging.Handler]:
    """Prefect's console handlers, on whichever loggers hold them (once each)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in logging.root.manager.loggerDict]
    found = {id(h): h for lg in loggers for h in getattr(lg, "handlers", [])
             if isinstance(h, PrefectConsoleHandler)}
    return list(found.values())


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
