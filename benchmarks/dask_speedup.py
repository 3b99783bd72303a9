"""Throughput of the ingest flow on a local Dask cluster: one worker process vs two.

    python benchmarks/dask_speedup.py [--docs 4000] [--batch-files N] [--repeat 3]
    python benchmarks/dask_speedup.py --container 3000 [--ranges 8] [--repeat 3]

With ``--container N`` the corpus is one CC-NEWS-like ``.warc.gz`` of N HTML pages
(``crawl.py``'s generator) instead of N text files, cleaned in about ``--ranges`` record
ranges (``batch_bytes`` is set to its size over that): what splitting a container buys.

A LocalCluster of one worker process and one of two (one thread each) are started first and
warmed up (each worker imports the library once); then the flow runs on them in turn, through
``dask_address``, ``--repeat`` times each on the same generated corpus into a fresh output;
the times exclude starting the clusters. Each run has two times: the flow call, and the run
inside it (``decruft.ingest.run``: scanning and cleaning batches, without Prefect's creation and
teardown of the flow run; the teardown waits for the flow-run heartbeat thread's one-second
sleep, so flow calls end on whole seconds after their start). Each run also prints how many
cores the flow kept busy on average over its call (its process, the workers, the Prefect server):
one worker already keeps more than one busy (the flow's process and the server work beside it),
which bounds what a second worker can add on two cores. Other work on the machine slows two
workers more than one, so each run also prints how many cores other processes kept busy
meanwhile. Prints every run, the medians in documents per second and the speed-ups of the
medians (target >= 1.7 on two cores).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from decruft.ingest import Settings
from crawl import write_crawl  # sibling scripts: their folder is on sys.path
from prefect_overhead import busy_cpu_seconds, cpu_seconds_elsewhere, make_corpus
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@contextmanager
def warm_cluster(workers: int, warm: Path,
                 out: Path) -> Iterator[Callable[[Path, Path, int, int], tuple[float, float]]]:
    """A started and warmed-up cluster; yields a function timing one flow run on it (the flow
    call and the run inside it, in seconds)."""
    from distributed import LocalCluster

    from decruft_flows.ingest import with_runner
    from decruft_flows.runners import prefect_api_env

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", env=prefect_api_env()) as cluster:
        address = cluster.scheduler_address
        flow = with_runner("dask", address)
        flow(raw=str(warm), out=str(out), batch_files=1, runner="dask", dask_address=address)

        def timed_run(raw: Path, run_out: Path, batch_files: int, batch_bytes: int) -> tuple[float, float]:
            started = time.perf_counter()
            summary = flow(raw=str(raw), out=str(run_out), batch_files=batch_files, batch_bytes=batch_bytes,
                           runner="dask", dask_address=address)
            return time.perf_counter() - started, summary["seconds"]

        yield timed_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--batch-files", type=int, default=Settings.batch_files,
                        help="files per cleaning task (default: the flow's)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--container", type=int, metavar="PAGES",
                        help="one .warc.gz of this many HTML pages instead of --docs text files")
    parser.add_argument("--ranges", type=int, default=8, help="record ranges the container is cleaned in")
    args = parser.parse_args()
    seconds: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="decruft-dask-") as tmp, ExitStack() as clusters:
        root = Path(tmp)
        warm = make_corpus(root / "warm", 8)
        batch_bytes = Settings.batch_bytes
        if args.container:
            raw = root / "raw"
            raw.mkdir()
            write_crawl(raw / "crawl.warc.gz", args.container)
            batch_bytes = max(1, (raw / "crawl.warc.gz").stat().st_size // args.ranges + 1)
            args.docs = args.container
        else:
            raw = make_corpus(root / "raw", args.docs)
        timers = {n: clusters.enter_context(warm_cluster(n, warm, root / f"warm-{n}")) for n in seconds}
        for attempt in range(args.repeat):
            for n, timed_run in timers.items():
                elsewhere, busy = cpu_seconds_elsewhere(), busy_cpu_seconds()
                seconds[n].append(timed_run(raw, root / f"out-{n}-{attempt}", args.batch_files, batch_bytes))
                call, inside = seconds[n][-1]
                others = (cpu_seconds_elsewhere() - elsewhere) / call
                cores = (busy_cpu_seconds() - busy) / call - others
                print(f"run {attempt + 1}, {n} worker(s): flow call {call:5.2f} s, run {inside:5.2f} s, "
                      f"{cores:.2f} cores busy  (other processes kept {others:.2f} cores busy)", flush=True)
    for which, index in (("flow call", 0), ("run inside the flow", 1)):
        median = {n: statistics.median(times[index] for times in runs) for n, runs in seconds.items()}
        rates = "  ".join(f"{n} worker(s) {s:5.2f} s {args.docs / s:6.1f} docs/s" for n, s in median.items())
        print(f"{which:<20} medians: {rates}  speed-up 2 vs 1: {median[1] / median[2]:.2f}x")
    print(f"target >= 1.7 on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
