"""What Prefect costs: the ingest flow vs ``decruft.ingest.run`` on the same generated files.

    python benchmarks/prefect_overhead.py [--docs 2000] [--repeat 1] [--more 6000]

Generates seed-sized documents (copies of raw/*.txt, every longer line varied so each file's
hash and body differ) in a temporary folder, starts a `prefect server` (as deployments use),
then times, each in a fresh process:

  library        decruft.ingest.run (sequential batches, no Prefect)
  flow-1         the flow on one worker thread: same sequence of work, plus Prefect
  flow           the flow as `decruft ingest` runs it (default thread pool)
  empty          the flow on an empty folder: the fixed start-up cost (server, flow run)
  flow-1, empty  again against the running server

``--more N`` adds the default flow on N documents: set against its run on ``--docs`` documents,
the throughput beyond every fixed cost (Prefect's and the page workers' start). ``--repeat N`` runs that round N times (the variants interleaved, so a change in the machine's
load touches all of them) and uses the medians. The headline is the cost per document beyond
the fixed start-up, ``(flow-1 - start-up) / library`` (target <= 1.15), printed next to the raw
ratio ``flow-1 / library`` and the start-up (see ``report``), for the embedded and the running
server, with how many cores other processes kept busy meanwhile. Also used by dask_speedup.py and memory.py
for their corpora.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def make_corpus(dest: Path, n: int, seeds_dir: Path = PROJECT / "raw") -> Path:
    """n seed-sized text documents under dest (flat), all with different bytes and bodies."""
    dest.mkdir(parents=True, exist_ok=True)
    seeds = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(seeds_dir.glob("*.txt"))]
    for i in range(n):
        stem, text = seeds[i % len(seeds)]
        lines = [f"{line.rstrip('.')} in report {i}." if len(line) >= 40 else line
                 for line in text.split("\n")]
        (dest / f"{i:06d}_{stem}.txt").write_text("\n".join(lines), encoding="utf-8")
    return dest


def measure(kind: str, raw: str, out: str) -> tuple[float, float]:
    """Seconds for one ingest of raw into out, in this process (called in a child process): the
    whole call and ``decruft.ingest.run`` within it (the same for the library)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if kind == "library":
        from decruft.ingest import Settings, run

        started = time.perf_counter()
        run(Settings(raw=raw, out=out))
        return (time.perf_counter() - started,) * 2
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from decruft.ingest import start_worker_server
    from decruft_flows.ingest import with_runner

    start_worker_server()  # as `decruft ingest` does: the page workers' imports overlap Prefect's start

    flow = with_runner("threads", workers=1) if kind == "flow-1" else with_runner("threads")
    started = time.perf_counter()
    summary = flow(raw=raw, out=out)
    return time.perf_counter() - started, summary["seconds"]


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent so far (user, nice, system)."""
    import psutil

    return sum(psutil.cpu_times()[:3])


def cpu_seconds_elsewhere() -> float:
    """CPU seconds the machine has spent so far outside this process and its children."""
    import psutil

    busy = busy_cpu_seconds()
    mine = 0.0
    for process in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            mine += sum(process.cpu_times()[:4])  # own and reaped children's user and system time
        except psutil.Error:
            pass
    return busy - mine


def timed(kind: str, raw: Path, out: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    done = subprocess.run([sys.executable, __file__, "--measure", kind, str(raw), str(out)],
                          cwd=PROJECT, capture_output=True, text=True, check=False, env=env)
    if done.returncode:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return tuple(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


@contextmanager
def running_server(home: Path):
    """A `prefect server start` on a free local port; yields the environment that uses it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
    server = subprocess.Popen([str(Path(sys.executable).with_name("prefect")), "server", "start",
                               "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("prefect server did not start") from None
                time.sleep(0.5)
        yield env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


#: (variant, against the running server): one round of the benchmark.
ROUND = [("empty", False), ("library", False), ("flow-1", False), ("flow", False),
         ("empty", True), ("flow-1", True)]
MORE = "flow-more"  # the default flow on --more documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all variants; medians are used")
    parser.add_argument("--more", type=int, metavar="N",
                        help="also run the default flow on N documents: the throughput beyond every fixed cost")
    parser.add_argument("--measure", nargs=3, metavar=("KIND", "RAW", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps({"seconds": measure(*args.measure)}))
        return
    variants = ROUND + ([(MORE, False)] if args.more else [])
    times: dict[tuple[str, bool], list[tuple[float, float]]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory(prefix="decruft-bench-") as tmp:
        root = Path(tmp)
        corpora = {"empty": root / "empty", MORE: make_corpus(root / "more", args.more) if args.more else None}
        raw = make_corpus(root / "raw", args.docs)
        (root / "empty").mkdir()
        with running_server(root / "prefect-home") as server_env:
            started, elsewhere = time.perf_counter(), cpu_seconds_elsewhere()
            for attempt in range(args.repeat):
                for kind, served in variants:
                    out = root / f"out-{kind}-{'server' if served else 'embedded'}-{attempt}"
                    times[kind, served].append(timed("flow" if kind == MORE else kind, corpora.get(kind, raw), out,
                                                     server_env if served else None))
            others = (cpu_seconds_elsewhere() - elsewhere) / (time.perf_counter() - started)
    print(f"documents: {args.docs} (seed-sized, generated); medians of {args.repeat} round(s); "
          f"other processes kept {others:.2f} cores busy on average")
    for (kind, served), values in times.items():
        print(f"  {kind:<8} {'running' if served else 'embedded'} server: "
              + ", ".join(f"{call:.2f} ({inside:.2f})" for call, inside in values) + " s  (call (run))")
    report(args.docs, {variant: (statistics.median(call for call, _ in values),
                                 statistics.median(call - inside for call, inside in values))
                       for variant, values in times.items()})
    inside = {kind: statistics.median(run for _, run in times[kind, False])
              for kind in ("flow", MORE) if times.get((kind, False))}
    print(f"flow     default threads, its run:   {inside['flow']:6.1f} s  ({args.docs / inside['flow']:6.1f} docs/s "
          "beyond Prefect's start-up)")
    if args.more:
        print(f"flow     default threads, {args.more} docs: {inside[MORE]:6.1f} s  (beyond every fixed cost: "
              f"{(args.more - args.docs) / (inside[MORE] - inside['flow']):6.1f} docs/s, target >= 1000)")


def report(n: int, median: dict[tuple[str, bool], tuple[float, float]]) -> None:
    """Per server: the ratio beyond start-up (the headline), the raw ratio and the start-up.

    The start-up of a flow call is everything outside its ``decruft.ingest.run``: the server,
    creating and ending the flow run. An empty folder's flow call measures it too, but less
    exactly: a flow run's end waits for its heartbeat thread's one-second sleep, so calls end
    on whole seconds and the empty call's rounding is not that of a long one.
    """
    library, default_threads = median["library", False][0], median["flow", False][0]
    print(f"library  decruft.ingest.run:         {library:6.1f} s  ({n / library:6.1f} docs/s)")
    print(f"flow     default threads (embedded): {default_threads:6.1f} s  ({n / default_threads:6.1f} docs/s)")
    for name, served in (("embedded server", False), ("running server", True)):
        (flow, startup), empty = median["flow-1", served], median["empty", served][0]
        print(f"{name}: flow (1 thread) {flow:.1f} s, start-up {startup:.1f} s "
              f"(empty folder: {empty:.1f} s)")
        print(f"  (flow - start-up) / library: {(flow - startup) / library:.3f}  (target <= 1.15)  "
              f"raw flow / library: {flow / library:.3f}  "
              f"per document beyond start-up: {1000 * (flow - startup - library) / n:+.2f} ms  "
              f"[with the empty folder's start-up: {(flow - empty) / library:.3f}]")


if __name__ == "__main__":
    main()
