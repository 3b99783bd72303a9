"""Process pages so that one bad page or file can neither crash nor stall its batch.

Everything that touches a file's content runs under this guard: reading a file into pages
(``guarded_documents``: decoding, containers, sidecars, metadata), the scan's look at each page
(``observe_safely``) and cleaning (``safely``, ``GuardedProcessor``). A page or file that raises
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

import multiprocessing
import traceback
from collections.abc import Callable, Iterator, Sequence
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


def observe_safely(observe: Callable[[RawDocument], T], doc: RawDocument, nothing: T) -> T:
    """The scan's look at one page; a page it cannot read teaches ``nothing`` (cleaning rejects it)."""
    try:
        return observe(doc)
    except BaseException as exc:
        if not contained(exc):
            raise
        return nothing


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


class GuardedProcessor:
    """Cleans pages in a child process with a hard per-page time limit.

    ``make_processor`` is called in the child (it must be picklable: a module-level function or
    a functools.partial of one) and returns the function applied to each page.
    """

    def __init__(self, make_processor: Callable[[], Processor], timeout_s: float, preload: Sequence[str] = ()):
        self._make = make_processor
        self._timeout = timeout_s
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._child: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> "GuardedProcessor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, doc: RawDocument) -> Any:
        conn = self._connection()
        conn.send(doc)
        if conn.poll(self._timeout):
            try:
                return conn.recv()
            except EOFError:
                pass  # the child died (e.g. out of memory): reject below
            self._stop_child()
            return Reject(doc.source_path, doc.sha256, RejectReason.ERROR, "the page's worker process died")
        self._stop_child()
        return Reject(doc.source_path, doc.sha256, RejectReason.TIMEOUT,
                      f"processing took longer than {self._timeout:g} s and was stopped")

    def _connection(self) -> Connection:
        if self._child is None or not self._child.is_alive():
            parent, child = self._context.Pipe()
            process = self._context.Process(target=_serve, args=(child, self._make), daemon=True)
            try:
                process.start()
            finally:
                child.close()
            self._child = process
            self._conn = parent
            self._await_ready(parent)
        assert self._conn is not None
        return self._conn

    def _await_ready(self, conn: Connection) -> None:
        try:
            ready = conn.poll(STARTUP_TIMEOUT_S) and conn.recv() == READY
        except EOFError:  # the child is gone: say so now rather than after the time-out
            self._child.join()
            code = self._child.exitcode
            self._stop_child()
            raise RuntimeError(f"the page worker process exited while starting (exit code {code}); "
                               f"{MAIN_GUARD_HINT}") from None
        if not ready:
            self._stop_child()
            raise RuntimeError(f"the page worker process did not start within {STARTUP_TIMEOUT_S:g} s")

    def _stop_child(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.join()
        if self._conn is not None:
            self._conn.close()
        self._child, self._conn = None, None

    def close(self) -> None:
        if self._conn is not None and self._child is not None and self._child.is_alive():
            self._conn.send(None)  # ask the child to finish
            self._child.join(timeout=5)
        self._stop_child()


def _serve(conn: Connection, make_processor: Callable[[], Processor]) -> None:
    """The child's loop: receive a page, send back its record or reject, until told to stop."""
    process = make_processor()
    conn.send(READY)
    while True:
        try:
            doc = conn.recv()
        except EOFError:
            return
        if doc is None:
            return
        conn.send(safely(process, doc))
