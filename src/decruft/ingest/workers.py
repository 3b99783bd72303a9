"""The run's page worker processes: each step that reads pages' content (scan, clean) streams
its pages through one, under the guard's per-page time limit."""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing import forkserver
from typing import Any

from decruft.guard import IDLE_EXIT_S, GuardedProcessor, can_use_child_processes, safely
from decruft.models import Limits, RawDocument

#: What the fork server of page worker processes imports first (so each child starts warm).
CHILD_PRELOAD = f"{__package__}.child_start"

#: A stream of pages through a worker: each RawDocument's result (or a Reject), anything else as it is.
PageStream = Callable[[Iterable[Any]], Iterator[Any]]


@contextmanager
def guarded_stream(make: Callable[[], Callable[[RawDocument], Any]], limits: Limits,
                   key: Hashable = None) -> Iterator[PageStream]:
    """A time-limited child process when possible, else inline; errors become rejects either way.

    ``make`` builds the per-page function where it runs (it must be picklable). With a ``key``
    (what ``make`` builds, e.g. a step, its settings and learnt table), the child is kept for the
    next stream of the same key in this process, so what it has learnt to reuse (word n-grams,
    line keys) stays warm across batches; ``close_idle_workers`` ends those kept."""
    if not can_use_child_processes():
        process = make()
        yield lambda entries: (safely(process, e) if isinstance(e, RawDocument) else e for e in entries)
        return
    pool_key = (key, limits.document_timeout_s)
    guarded = _take(pool_key) if key is not None else None
    guarded = guarded or GuardedProcessor(make, limits.document_timeout_s, preload=(CHILD_PRELOAD,))
    try:
        yield guarded.map
    except BaseException:
        guarded.close()
        raise
    if key is not None and guarded.idle:
        with _POOL_LOCK:
            _IDLE_WORKERS.setdefault(pool_key, []).append((time.monotonic(), guarded))
    else:
        guarded.close()


#: Page workers between two streams, by key: (when the last stream ended, the processor).
_IDLE_WORKERS: dict[Hashable, list[tuple[float, GuardedProcessor]]] = {}
_POOL_LOCK = threading.Lock()


def _take(key: Hashable) -> GuardedProcessor | None:
    """A kept worker for ``key``, unless it has been idle for close to the time after which a
    worker ends by itself."""
    with _POOL_LOCK:
        kept = _IDLE_WORKERS.get(key, [])
        while kept:
            since, guarded = kept.pop()
            if time.monotonic() - since < IDLE_EXIT_S / 2:
                return guarded
            guarded.close()
    return None


def close_idle_workers() -> None:
    """End every kept page worker (a run does at its end)."""
    with _POOL_LOCK:
        kept = [guarded for workers in _IDLE_WORKERS.values() for _, guarded in workers]
        _IDLE_WORKERS.clear()
    for guarded in kept:
        guarded.close()


def start_worker_server() -> None:
    """Start the page workers' fork server now, in the background, for runs whose pages are
    read in this process's children: its imports and rules (a second or two) then overlap what
    comes first (Prefect's start-up, discovery) instead of delaying the first page."""
    if can_use_child_processes():
        multiprocessing.get_context("forkserver").set_forkserver_preload([CHILD_PRELOAD])
        threading.Thread(target=forkserver.ensure_running, name="decruft-worker-server", daemon=True).start()
