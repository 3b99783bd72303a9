"""The run's page worker processes: each step that reads pages' content (scan, clean) streams
its pages through one, under the guard's per-page time limit."""
from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing import forkserver
from typing import Any

from decruft.guard import GuardedProcessor, can_use_child_processes, safely
from decruft.models import Limits, RawDocument

#: What the fork server of page worker processes imports first (so each child starts warm).
CHILD_PRELOAD = f"{__package__}.child_start"

#: A stream of pages through a worker: each RawDocument's result (or a Reject), anything else as it is.
PageStream = Callable[[Iterable[Any]], Iterator[Any]]


@contextmanager
def guarded_stream(make: Callable[[], Callable[[RawDocument], Any]], limits: Limits) -> Iterator[PageStream]:
    """A time-limited child process when possible, else inline; errors become rejects either way.

    ``make`` builds the per-page function where it runs (it must be picklable)."""
    if can_use_child_processes():
        with GuardedProcessor(make, limits.document_timeout_s, preload=(CHILD_PRELOAD,)) as guarded:
            yield guarded.map
    else:
        process = make()
        yield lambda entries: (safely(process, e) if isinstance(e, RawDocument) else e for e in entries)


def start_worker_server() -> None:
    """Start the page workers' fork server now, in the background, for runs whose pages are
    read in this process's children: its imports and rules (a second or two) then overlap what
    comes first (Prefect's start-up, discovery) instead of delaying the first page."""
    if can_use_child_processes():
        multiprocessing.get_context("forkserver").set_forkserver_preload([CHILD_PRELOAD])
        threading.Thread(target=forkserver.ensure_running, name="decruft-worker-server", daemon=True).start()
