"""Process pages so that one bad page can neither crash nor stall its batch.

A page that raises becomes an ``error`` reject. A page that runs past the per-document time limit
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
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .models import RawDocument, Reject

Processor = Callable[[RawDocument], "dict[str, Any] | Reject"]

#: What a child sends once its cleaner is built, and how long it may take to get there.
READY = "ready"
STARTUP_TIMEOUT_S = 120.0


def safely(process: Processor, doc: RawDocument) -> dict[str, Any] | Reject:
    """Run process on one page; an unexpected exception becomes an ``error`` reject."""
    try:
        return process(doc)
    except RecursionError:
        return Reject(doc.source_path, doc.sha256, "error", "page too deeply nested to process")
    except Exception as exc:  # one broken page must never fail its batch
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Reject(doc.source_path, doc.sha256, "error",
                      f"{type(exc).__name__}: {exc} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})")


def can_use_child_processes() -> bool:
    return not multiprocessing.current_process().daemon


class GuardedProcessor:
    """Cleans pages in a child process with a hard per-page time limit.

    ``make_processor`` is called in the child (it must be picklable: a module-level function or
    a functools.partial of one) and returns the function applied to each page.
    """

    def __init__(self, make_processor: Callable[[], Processor], timeout_s: float):
        self._make = make_processor
        self._timeout = timeout_s
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["decruft.warm"])
        self._child: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> "GuardedProcessor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, doc: RawDocument) -> dict[str, Any] | Reject:
        conn = self._connection()
        conn.send(doc)
        if conn.poll(self._timeout):
            try:
                return conn.recv()
            except EOFError:
                pass  # the child died (e.g. out of memory): reject below
            self._stop_child()
            return Reject(doc.source_path, doc.sha256, "error", "the page's worker process died")
        self._stop_child()
        return Reject(doc.source_path, doc.sha256, "timeout",
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
        except EOFError:
            ready = False
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
