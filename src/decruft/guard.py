"""Process pages so that one bad page or file can neither crash nor stall its batch.

Everything that touches a file's content runs under this guard: reading a file into pages
(``guarded_documents``: decoding, containers, sidecars, metadata) and each page's work, the scan's
look at it as well as its cleaning (``safely``, ``GuardedProcessor``). A page or file that raises
(any exception, a recursion too deep, memory exhausted, a native library's panic) becomes an
``error`` reject. A page that runs past the per-document time limit
must be *stopped*, which Python can only do to a process: pages are therefore cleaned in a child
process (forked from a fork server that has imported the library and built its rules, outlets and
language profiles, so starting one costs milliseconds) and a child that overruns is killed, its
page rejected as ``timeout``, and a fresh child takes the rest. A child builds its cleaner
before it takes a page, so start-up never counts against a page's limit.
Where a child process is not allowed (inside a daemonic worker process),
pages are cleaned inline with the same error handling.
"""
from __future__ import annotations

import math
import multiprocessing
import queue
import select
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from decruft.reasons import RejectReason
from decruft.models import RawDocument, Reject

T = TypeVar("T")
#: A page's function: its record or Reject (or, in a batch, a ``page.PageResult`` holding one).
Processor = Callable[[RawDocument], Any]

#: What a child sends once its cleaner is built, and how long it may take to get there.
READY = "ready"
STARTUP_TIMEOUT_S = 120.0


def native_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a panic in a Rust library (fastwarc): pyo3's ``PanicException``, a
    class of each extension module's own, derives from BaseException, so ``except Exception``
    misses it."""
    return type(exc).__name__ == "PanicException" and not isinstance(exc, Exception)


def contained(exc: BaseException) -> bool:
    """Whether content may have caused ``exc``, so the guard turns it into a reject: any
    exception, memory exhausted, a native panic; interrupts and exits are not contained."""
    return isinstance(exc, Exception) or native_panic(exc)


def failure(source: str, sha256: str | None, exc: BaseException) -> Reject:
    """The ``error`` reject of a page or file whose processing raised ``exc``."""
    if isinstance(exc, RecursionError):
        return Reject(source, sha256, RejectReason.ERROR, "too deeply nested to process")
    if isinstance(exc, MemoryError):
        return Reject(source, sha256, RejectReason.ERROR, "ran out of memory")
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
    return Reject(source, sha256, RejectReason.ERROR, f"{type(exc).__name__}: {str(exc)[:300]}{where}")


def safely(process: Callable[[RawDocument], T], doc: RawDocument) -> T | Reject:
    """Run process on one page; an unexpected exception becomes an ``error`` reject."""
    try:
        return process(doc)
    except BaseException as exc:  # one broken page must never fail its batch
        if not contained(exc):
            raise
        return failure(doc.source_path, doc.sha256, exc)


def guarded_documents(source: str, documents: Iterator[RawDocument | Reject]) -> Iterator[RawDocument | Reject]:
    """The pages and rejects of one raw file; should reading it raise, an ``error`` reject
    for the file ends them (the pages before it stand)."""
    try:
        yield from documents
    except BaseException as exc:
        if not contained(exc):
            raise
        yield failure(source, None, exc)


MAIN_GUARD_HINT = ("a script that runs decruft.ingest.run must guard its top level with "
                   "`if __name__ == \"__main__\":` (page worker processes import the main script)")


def refuse_inside_worker_start() -> None:
    """Fail at once when called while a starting worker process imports the main script.

    A script without a ``__main__`` guard would otherwise start a whole run inside every page
    worker it starts.
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(MAIN_GUARD_HINT)


def can_use_child_processes() -> bool:
    return not multiprocessing.current_process().daemon


#: Pages a GuardedProcessor keeps queued at its child, and their bytes (past which it waits
#: for results before it reads on: twenty-megabyte pages are not queued sixteen at a time).
WINDOW = 16
WINDOW_BYTES = 32 * 2**20
#: A page worker left this long without a page ends (so one kept for later never outlives its use).
IDLE_EXIT_S = 300.0


class GuardedProcessor:
    """Cleans pages in a child process with a hard per-page time limit.

    ``make_processor`` is called in the child (it must be picklable: a module-level function or
    a functools.partial of one) and returns the function applied to each page. ``map`` keeps up
    to ``window`` pages (and about ``window_bytes`` of them) queued at the child, so that it
    never waits for the next page while this process reads files or stores results.
    """

    def __init__(self, make_processor: Callable[[], Processor], timeout_s: float, preload: Sequence[str] = (),
                 window: int = WINDOW, idle_exit_s: float = IDLE_EXIT_S, window_bytes: int = WINDOW_BYTES):
        self._make = make_processor
        self._idle_exit = idle_exit_s
        self._timeout = timeout_s
        self._window = max(1, window)
        self._window_bytes = window_bytes
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._child: _Child | None = None
        self._owed = 0  # pages sent whose results were not given back

    def __enter__(self) -> "GuardedProcessor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, doc: RawDocument) -> Any:
        return next(self.map([doc]))

    @property
    def idle(self) -> bool:
        """Whether no page is owed (every ``map`` given back whole): the processor may serve
        another stream."""
        return self._owed == 0

    def map(self, entries: Iterable[Any]) -> Iterator[Any]:
        """Each entry's result, in order: a RawDocument's record or reject from the child;
        anything else (a reject found while reading, a marker) passes through as it is."""
        ahead: deque[Any] = deque()  # entries not yet given back, in order
        waiting = queued = 0  # of them, pages sent to the child, and their bytes
        for entry in entries:
            ahead.append(entry)
            if isinstance(entry, RawDocument):
                self._started().send(entry)
                waiting, queued = waiting + 1, queued + len(entry.data)
                self._owed += 1
            while ahead and (not isinstance(ahead[0], RawDocument) or waiting >= self._window
                             or queued >= self._window_bytes):
                if isinstance(ahead[0], RawDocument):
                    waiting, queued = waiting - 1, queued - len(ahead[0].data)
                yield self._result(ahead)
        while ahead:
            yield self._result(ahead)

    def _result(self, ahead: deque[Any]) -> Any:
        """The first entry's result; a page whose child overran or died is a reject, and the
        pages queued behind it go to a fresh child (with the first too, when the child had
        ended for want of work)."""
        entry = ahead.popleft()
        if not isinstance(entry, RawDocument):
            return entry
        self._owed -= 1
        while (outcome := self._started().receive(self._timeout)) is _ENDED_IDLE:
            self._stop_child()
            self._resend([entry, *ahead])
        if outcome is not _OVERRAN and outcome is not _DIED:
            return outcome
        self._stop_child()
        self._resend(ahead)
        if outcome is _DIED:
            return Reject(entry.source_path, entry.sha256, RejectReason.ERROR, "the page's worker process died")
        return Reject(entry.source_path, entry.sha256, RejectReason.TIMEOUT,
                      f"processing took longer than {self._timeout:g} s and was stopped")

    def _resend(self, entries: Iterable[Any]) -> None:
        pages = [entry for entry in entries if isinstance(entry, RawDocument)]
        if pages:
            fresh = self._started()
            for page in pages:
                fresh.send(page)

    def _started(self) -> "_Child":
        if self._child is None:
            self._child = _Child.start(self._context, self._make, self._idle_exit)
        return self._child

    def _stop_child(self) -> None:
        if self._child is not None:
            self._child.stop()
        self._child = None

    def close(self) -> None:
        if self._child is not None:
            self._child.finish()
        self._child = None


#: What ``_Child.receive`` returns for a page whose child overran its limit, died, or had ended
#: for want of pages (before this one reached it).
_OVERRAN, _DIED, _ENDED_IDLE = object(), object(), object()
#: What a page worker sends as it ends for want of work.
_IDLE = "idle"


class _Child:
    """One page worker process: pages go to it through a sending thread (so that neither side
    can block the other on a full pipe), results come back with when the child finished each."""

    def __init__(self, process: Any, conn: Connection, ready_at: float):
        self._process = process
        self._conn = conn
        self._last_done = ready_at  # when the child finished its last page (or got ready)
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._sent_at: deque[float] = deque()  # when each page still owed was handed over
        self._ready = select.poll()  # one poll object for every wait (not a selector per result)
        self._ready.register(conn.fileno(), select.POLLIN)
        self._sender = threading.Thread(target=self._send_all, daemon=True)
        self._sender.start()

    @classmethod
    def start(cls, context: Any, make_processor: Callable[[], Processor], idle_exit_s: float) -> "_Child":
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child, make_processor, idle_exit_s), daemon=True)
        try:
            process.start()
        finally:
            child.close()
        return cls(process, parent, _await_ready(process, parent))

    def send(self, doc: RawDocument) -> None:
        self._outbox.put(doc)

    def _send_all(self) -> None:
        while (doc := self._outbox.get()) is not _STOP:
            if doc is not None:  # noted first: its result may come back before send returns
                self._sent_at.append(time.monotonic())
            try:
                self._conn.send(doc)
            except (OSError, ValueError):  # the child is gone: its pages are redone elsewhere
                return

    def receive(self, timeout_s: float) -> Any:
        """The next page's result, ``_OVERRAN`` past its time limit (counted from when the child
        could start it), or ``_DIED``."""
        while True:
            sent = self._sent_at[0] if self._sent_at else time.monotonic()
            remaining = max(self._last_done, sent) + timeout_s - time.monotonic()
            try:
                if self._ready.poll(math.ceil(1000 * max(0.0, min(remaining, _POLL_S)))):
                    message = self._conn.recv()
                    if isinstance(message, str):  # _IDLE
                        return _ENDED_IDLE
                    result, self._last_done = message
                    self._sent_at.popleft()
                    return result
            except (EOFError, OSError):
                return _DIED
            if remaining <= 0 and self._sent_at:
                return _OVERRAN

    def stop(self) -> None:
        self._process.kill()
        self._process.join()
        self._outbox.put(_STOP)
        self._conn.close()

    def finish(self) -> None:
        """Ask the child to end once its pages are done, then make sure it has."""
        if self._process.is_alive():
            self._outbox.put(None)
            self._process.join(timeout=5)
        self.stop()


#: Ends a sending thread; ``_POLL_S``: how often a wait for a result looks at the clock again.
_STOP = object()
_POLL_S = 0.5


def _await_ready(process: Any, conn: Connection) -> float:
    """When the child has built its cleaner (so start-up never counts against a page)."""
    try:
        ready = conn.poll(STARTUP_TIMEOUT_S) and conn.recv() == READY
    except EOFError:  # the child is gone: say so now rather than after the time-out
        process.join()
        code = process.exitcode
        conn.close()
        raise RuntimeError(f"the page worker process exited while starting (exit code {code}); "
                           f"{MAIN_GUARD_HINT}") from None
    if not ready:
        process.kill()
        process.join()
        conn.close()
        raise RuntimeError(f"the page worker process did not start within {STARTUP_TIMEOUT_S:g} s")
    return time.monotonic()


def _serve(conn: Connection, make_processor: Callable[[], Processor], idle_exit_s: float) -> None:
    """The child's loop: receive a page, send back its record or reject and when it was done,
    until told to stop."""
    process = make_processor()
    conn.send(READY)
    while True:
        try:
            if not conn.poll(idle_exit_s):
                conn.send(_IDLE)
                return
            doc = conn.recv()
        except EOFError:
            return
        if doc is None:
            return
        result = safely(process, doc)
        conn.send((result, time.monotonic()))
