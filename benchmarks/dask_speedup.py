"""Throughput of the ingest flow on a local Dask cluster: one worker process vs two.

    python benchmarks/dask_speedup.py [--docs 2000] [--batch-files 100]

For each cluster size a LocalCluster of worker processes (one thread each) is started first and
warmed up (each worker imports the library once), then the flow runs on it through
``dask_address`` on a fresh copy of the generated corpus; the time excludes starting the cluster.
Prints documents per second for both and the speed-up (target >= 1.6 on two cores).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def run_on_cluster(workers: int, raw: Path, warm: Path, out: Path, batch_files: int) -> float:
    from distributed import LocalCluster

    from flows.ingest import with_runner
    from flows.runners import prefect_api_env

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", env=prefect_api_env()) as cluster:
        flow = with_runner("dask", cluster.scheduler_address)
        flow(raw=str(warm), out=str(out / "warm"), batch_files=1, runner="dask",
             dask_address=cluster.scheduler_address)
        started = time.perf_counter()
        flow(raw=str(raw), out=str(out / "run"), batch_files=batch_files, runner="dask",
             dask_address=cluster.scheduler_address)
        return time.perf_counter() - started


def load_make_corpus():
    import importlib.util

    spec = importlib.util.spec_from_file_location("prefect_overhead", HERE / "prefect_overhead.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_corpus


def main() -> None:
    make_corpus = load_make_corpus()

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--batch-files", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="decruft-dask-") as tmp:
        root = Path(tmp)
        raw, warm = make_corpus(root / "raw", args.docs), make_corpus(root / "warm", 8)
        seconds = {n: run_on_cluster(n, raw, warm, root / f"out-{n}", args.batch_files) for n in (1, 2)}
    for n, s in seconds.items():
        print(f"{n} worker process(es): {s:6.1f} s  {args.docs / s:6.1f} docs/s")
    print(f"speed-up 2 vs 1 workers: {seconds[1] / seconds[2]:.2f}x  (target >= 1.6; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
