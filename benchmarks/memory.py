"""Peak memory and output files of an ingest run at 2,000 and 20,000 generated documents.

    python benchmarks/memory.py [--docs 2000 20000] [--flow]

Each run happens in a fresh process. Printed per size: the peak RSS of the run's own process
(ru_maxrss: everything the library holds in the driver) and, sampled every 0.1 s with psutil,
the peak RSS of its whole process tree (the per-batch page workers included). Target: the
20,000-document peak below 1.5 GB and at most 1.2x the 2,000-document peak. ``--flow`` also
measures the Prefect flow (embedded server in the tree). Also printed: the Parquet parts the
run left under ``articles/`` and how many partitions they fill (parts per partition).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from prefect_overhead import make_corpus  # a sibling script: its folder is on sys.path


def tree_rss_sampler(pss: bool = False) -> tuple[threading.Event, list[int]]:
    """A thread sampling this process tree's memory every 0.1 s until the event is set: the peak
    sum of RSS in ``peak[0]`` and, with ``pss``, of PSS in ``peak[1]`` (pages shared between the
    forked processes counted once in all, not once per process)."""
    peak = [0, 0]
    stop = threading.Event()
    try:
        import psutil
    except ImportError:
        return stop, peak

    def sample() -> None:
        me = psutil.Process()
        while not stop.wait(0.1):
            rss = proportional = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    rss += proc.memory_info().rss
                    proportional += proc.memory_full_info().pss if pss else 0
                except psutil.Error:
                    pass
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], proportional)

    threading.Thread(target=sample, daemon=True).start()
    return stop, peak


def measure(kind: str, raw: str, out: str) -> dict:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    stop, tree_peak = tree_rss_sampler()
    started = time.perf_counter()
    if kind == "library":
        from decruft.ingest import Settings, run

        run(Settings(raw=raw, out=out))
    else:
        from decruft_flows.ingest import ingest

        ingest(raw=raw, out=out)
    stop.set()
    return {"seconds": time.perf_counter() - started,
            "driver_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "tree_mb": tree_peak[0] / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--flow", action="store_true", help="also measure the Prefect flow")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    results = {}
    with tempfile.TemporaryDirectory(prefix="decruft-mem-") as tmp:
        for n in args.docs:
            raw = make_corpus(Path(tmp, f"raw-{n}"), n)
            for kind in ("library", "flow") if args.flow else ("library",):
                done = subprocess.run([sys.executable, __file__, "--measure", kind, str(raw),
                                       str(Path(tmp, f"out-{kind}-{n}"))],
                                      capture_output=True, text=True, check=False)
                if done.returncode:
                    raise SystemExit(f"{kind} {n} failed:\n{done.stderr[-3000:]}")
                results[kind, n] = r = json.loads(done.stdout.strip().splitlines()[-1])
                parts = list(Path(tmp, f"out-{kind}-{n}", "articles").rglob("*.parquet"))
                partitions = len({part.parent for part in parts})
                print(f"{kind:7} {n:6d} docs: {r['seconds']:7.1f} s  driver peak {r['driver_mb']:7.1f} MB"
                      f"  process tree peak {r['tree_mb']:7.1f} MB  {len(parts)} parts in {partitions} "
                      f"partitions ({len(parts) / max(partitions, 1):.2f} per partition)", flush=True)
    for kind in ("library", "flow"):
        sizes = sorted(n for k, n in results if k == kind)
        if len(sizes) >= 2:
            small, large = results[kind, sizes[0]], results[kind, sizes[-1]]
            print(f"{kind}: {sizes[-1]} vs {sizes[0]} docs: driver x{large['driver_mb'] / small['driver_mb']:.2f}, "
                  f"tree x{large['tree_mb'] / max(small['tree_mb'], 1e-9):.2f} (target <= 1.2, below 1500 MB)")


if __name__ == "__main__":
    main()
