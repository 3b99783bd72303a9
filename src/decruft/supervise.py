"""Run ``decruft ingest`` so that Ctrl-C or SIGTERM ends it, and everything it started, in seconds.

A run is many processes: the flow's (with batch threads no signal can stop), the embedded
Prefect server, the fork server and its page workers, perhaps Dask workers. The command
therefore runs the flow in a child process that leads a process group of its own, and waits.
On SIGINT or SIGTERM it kills that whole group at once (SIGKILL: a gentler signal would let
the flow's main thread leave its run lock while batch threads still write) and returns once no
process of the group is left: then nothing of the run writes any more. The batches in progress
are abandoned: their parts have no manifest part, so the next run removes them and redoes
their files; the run lock is left to a process that is gone, so the next run takes it over.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

#: Set in the child: run the flow in this process.
WORKER_ENV = "DECRUFT_INGEST_WORKER"
#: Exit statuses of an interrupted run, as a shell reports a command a signal ended.
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}
_POLL_S = 0.05


def is_worker() -> bool:
    return os.environ.get(WORKER_ENV) == "1"


def supervise(argv: Sequence[str]) -> int:
    """Run ``decruft <argv>`` in a child process group; its exit status, or 130/143 when
    interrupted by SIGINT/SIGTERM (with a one-line message)."""
    _become_subreaper()
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: received.append(signum)) for sig in EXIT_STATUS}
    try:
        child = subprocess.Popen([sys.executable, "-m", "decruft.cli", *argv],
                                 env={**os.environ, WORKER_ENV: "1"}, start_new_session=True)
        while not received:
            try:
                return _status(child.wait(timeout=_POLL_S))
            except subprocess.TimeoutExpired:
                continue
        end_group(child)
        name = signal.Signals(received[0]).name
        print(f"decruft: interrupted by {name}: the batches in progress were abandoned "
              "(the next run redoes their files)", file=sys.stderr)
        return EXIT_STATUS[signal.Signals(received[0])]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def end_group(child: subprocess.Popen) -> None:
    """Kill every process of the child's group and wait until none is left."""
    while _group_alive(child):
        _signal_group(child.pid, signal.SIGKILL)  # again: a process may fork as the group dies
        time.sleep(_POLL_S)


def _become_subreaper() -> None:
    """Have the run's orphaned processes (a page worker whose fork server died) reparented to
    this process, not to init, so that they can be reaped here (Linux; elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


_PR_SET_CHILD_SUBREAPER = 36


def _reap() -> None:
    """Collect every ended child: a zombie still counts as a member of its process group."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _group_alive(child: subprocess.Popen) -> bool:
    _reap()
    try:
        os.killpg(child.pid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode
