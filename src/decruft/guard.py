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
from enum import IntEnum
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
        # pages behind the first owed whose child stopped on them: their rejects, by id(page)
        self._rejected: dict[int, Reject] = {}

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
            full = waiting >= self._window or queued >= self._window_bytes
            while ahead and (full or not isinstance(ahead[0], RawDocument)):
                if isinstance(ahead[0], RawDocument):
                    waiting, queued = waiting - 1, queued - len(ahead[0].data)
                    # a full window is given back down to half, so that the pages read next
                    # travel together: one message and one wake-up of the sender for several
                    full = waiting > self._window // 2 or queued >= self._window_bytes // 2
                yield self._result(ahead)
        while ahead:
            yield self._result(ahead)

    def _result(self, ahead: deque[Any]) -> Any:
        """The first entry's result. A page whose child overran or died is a reject (the page
        the child was working on, which may be one behind the first: results come back a few
        at a time), and the other pages owed go to a fresh child (with the first too, when the
        child had ended for want of work)."""
        entry = ahead.popleft()
        if not isinstance(entry, RawDocument):
            return entry
        self._owed -= 1
        if (rejected := self._rejected.pop(id(entry), None)) is not None:
            return rejected
        while True:
            outcome = self._started().receive(self._timeout)
            if outcome is _ENDED_IDLE:
                self._stop_child()
                self._resend([entry, *ahead])
                continue
            if outcome is not _OVERRAN and outcome is not _DIED:
                return outcome
            owed = [page for page in (entry, *ahead) if isinstance(page, RawDocument) and id(page) not in self._rejected]
            culprit = owed[min(self._child.working_on() if self._child else 0, len(owed) - 1)]
            self._stop_child()
            self._resend(page for page in owed if page is not culprit)
            reject = self._stopped(culprit, outcome)
            if culprit is entry:
                return reject
            self._rejected[id(culprit)] = reject

    def _stopped(self, page: RawDocument, outcome: object) -> Reject:
        """The reject of a page whose child died or overran its time limit while on it."""
        if outcome is _DIED:
            return Reject(page.source_path, page.sha256, RejectReason.ERROR, "the page's worker process died")
        return Reject(page.source_path, page.sha256, RejectReason.TIMEOUT,
                      f"processing took longer than {self._timeout:g} s and was stopped")

    def _resend(self, entries: Iterable[Any]) -> None:
        """Send the pages among ``entries`` again, but for those already rejected."""
        pages = [entry for entry in entries if isinstance(entry, RawDocument) and id(entry) not in self._rejected]
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
    can block the other on a full pipe), results come back a few at a time, and the child notes
    in shared memory which page it is on since when (``_Progress``), so that a page's time
    limit does not wait for results to come back."""

    def __init__(self, process: Any, conn: Connection, progress: Any):
        self._process = process
        self._conn = conn
        self._progress = progress
        self._results: deque[Any] = deque()  # come back, not yet taken
        self._taken = 0  # results taken: the child's number for the first page owed
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._sent_at: deque[float] = deque()  # when each page still owed was handed over
        self._ready = select.poll()  # one poll object for every wait (not a selector per result)
        self._ready.register(conn.fileno(), select.POLLIN)
        self._sender = threading.Thread(target=self._send_all, daemon=True)
        self._sender.start()

    @classmethod
    def start(cls, context: Any, make_processor: Callable[[], Processor], idle_exit_s: float) -> "_Child":
        parent, child = context.Pipe()
        progress = context.RawArray("d", len(_Progress))
        process = context.Process(target=_serve, args=(child, make_processor, idle_exit_s, progress), daemon=True)
        try:
            process.start()
        finally:
            child.close()
        _await_ready(process, parent)
        return cls(process, parent, progress)

    def send(self, doc: RawDocument) -> None:
        self._outbox.put(doc)

    def _send_all(self) -> None:
        """Send what the outbox holds, its pages together as one list (one message and one
        wake-up for several), and then the end of pages (None) when asked."""
        while True:
            items = [self._outbox.get()]
            while not self._outbox.empty():
                items.append(self._outbox.get())
            pages = [item for item in items if isinstance(item, RawDocument)]
            self._sent_at.extend([time.monotonic()] * len(pages))  # first: results may come back before send returns
            try:
                if pages:
                    self._conn.send(pages)
                if any(item is None for item in items):
                    self._conn.send(None)
            except (OSError, ValueError):  # the child is gone: its pages are redone elsewhere
                return
            if any(item is _STOP for item in items):
                return

    def receive(self, timeout_s: float) -> Any:
        """The next page's result, ``_OVERRAN`` once the page the child is on has run past its
        time limit (counted from when the child could start it), or ``_DIED``."""
        while not self._results:
            remaining = self._deadline(timeout_s) - time.monotonic()
            try:
                if self._ready.poll(math.ceil(1000 * max(0.0, min(remaining, _POLL_S)))):
                    message = self._conn.recv()
                    if isinstance(message, str):  # _IDLE
                        return _ENDED_IDLE
                    self._results.extend(message)
                    continue
            except (EOFError, OSError):
                return _DIED
            if remaining <= 0 and self._sent_at:
                return _OVERRAN
        self._taken += 1
        self._sent_at.popleft()
        return self._results.popleft()

    def _deadline(self, timeout_s: float) -> float:
        """When the page the child is on, or the next it can start, runs out of time."""
        on, started_at, done_at = self._progress  # read in the order the child writes them
        if self._owed_page_on(on, started_at, done_at) is not None:
            return started_at + timeout_s
        waiting = int(max(on + 1, self._taken)) - self._taken  # the next page, among those owed
        sent = self._sent_at[waiting] if waiting < len(self._sent_at) else time.monotonic()
        return max(done_at, sent) + timeout_s

    def working_on(self) -> int:
        """Which page the child was on, counted among those owed (0: the first), when it
        stopped; 0 when it was between pages."""
        return self._owed_page_on(*self._progress) or 0

    def _owed_page_on(self, on: float, started_at: float, done_at: float) -> int | None:
        """The page owed that ``_Progress`` says the child is on, counted among those owed;
        None when it is between pages."""
        return int(on) - self._taken if on >= self._taken and started_at > done_at else None

    def stop(self) -> None:
        """Kill the child, then end its sending thread before closing the connection: a send
        still under way must fail on this connection, not write into the next worker's, which
        may be given the same file descriptor."""
        self._process.kill()
        self._process.join()
        self._outbox.put(_STOP)
        self._sender.join(timeout=SENDER_EXIT_S)
        self._conn.close()

    @property
    def sending(self) -> bool:
        """Whether the sending thread still runs."""
        return self._sender.is_alive()

    def finish(self) -> None:
        """Ask the child to end once its pages are done, then make sure it has."""
        if self._process.is_alive():
            self._outbox.put(None)
            self._process.join(timeout=5)
        self.stop()


#: Ends a sending thread; ``_POLL_S``: how often a wait for a result looks at the clock again.
_STOP = object()
_POLL_S = 0.5
#: How long a stopped worker's sending thread may take to end (a send to the killed child fails at once).
SENDER_EXIT_S = 5.0


def _await_ready(process: Any, conn: Connection) -> None:
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


class _Progress(IntEnum):
    """Where a page worker notes, in memory shared with its parent, the number of the page it
    is on (from 0), when it started it, and when it finished its last page (or got ready)."""

    ON = 0
    STARTED_AT = 1
    DONE_AT = 2


#: A page worker sends its results once it holds this many, and when it has done the pages it got.
RESULTS_AT_ONCE = 4


def _serve(conn: Connection, make_processor: Callable[[], Processor], idle_exit_s: float, progress: Any) -> None:
    """The child's loop: receive pages, send back their records or rejects a few at a time,
    noting in ``progress`` which page it is on (its start first, then its number), until told
    to stop."""
    process = make_processor()
    progress[_Progress.ON], progress[_Progress.DONE_AT] = -1, time.monotonic()
    conn.send(READY)
    on = 0
    while True:
        try:
            if not conn.poll(idle_exit_s):
                conn.send(_IDLE)
                return
            pages = conn.recv()
        except EOFError:
            return
        if pages is None:
            return
        done: list[Any] = []
        for doc in pages:
            progress[_Progress.STARTED_AT] = time.monotonic()
            progress[_Progress.ON] = on
            done.append(safely(process, doc))
            progress[_Progress.DONE_AT] = time.monotonic()
            on += 1
            if len(done) >= RESULTS_AT_ONCE:
                conn.send(done)
                done = []
        if done:
            conn.send(done)
