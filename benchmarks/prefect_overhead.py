"""What Prefect costs: the ingest flow vs ``decruft.ingest.run`` on the same generated files.

    python benchmarks/prefect_overhead.py [--docs 2000]

Generates seed-sized documents (copies of raw/*.txt, every longer line varied so each file's
hash and body differ) in a temporary folder, then times, each in a fresh process:

  library   decruft.ingest.run (sequential batches, no Prefect)
  flow-1    the flow on one worker thread: same sequence of work, plus Prefect
  flow      the flow as `decruft ingest` runs it (default thread pool)
  empty     the flow on an empty folder: the fixed start-up cost (embedded server, flow run)

then flow-1 and empty again against a running `prefect server start` (as deployments run).

and prints the ratio flow-1 / library (target <= 1.15), the start-up cost and the per-document
overhead beyond it. Also used by dask_speedup.py and memory.py for their corpora.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
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


def measure(kind: str, raw: str, out: str) -> float:
    """Seconds for one ingest of raw into out, in this process (called in a child process)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if kind == "library":
        from decruft.ingest import Settings, run

        started = time.perf_counter()
        run(Settings(raw=raw, out=out))
        return time.perf_counter() - started
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from flows.ingest import with_runner

    flow = with_runner("threads", workers=1) if kind == "flow-1" else with_runner("threads")
    started = time.perf_counter()
    flow(raw=raw, out=out)
    return time.perf_counter() - started


def timed(kind: str, raw: Path, out: Path, env: dict[str, str] | None = None) -> float:
    done = subprocess.run([sys.executable, __file__, "--measure", kind, str(raw), str(out)],
                          cwd=PROJECT, capture_output=True, text=True, check=False, env=env)
    if done.returncode:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--measure", nargs=3, metavar=("KIND", "RAW", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps({"seconds": measure(*args.measure)}))
        return
    with tempfile.TemporaryDirectory(prefix="decruft-bench-") as tmp:
        root = Path(tmp)
        raw = make_corpus(root / "raw", args.docs)
        (root / "empty").mkdir()
        seconds = {kind: timed(kind, root / ("empty" if kind == "empty" else "raw"), root / f"out-{kind}")
                   for kind in ("empty", "library", "flow-1", "flow")}
        with running_server(root / "prefect-home") as env:
            for kind in ("empty", "flow-1"):
                seconds[f"{kind}@server"] = timed(kind, root / ("empty" if kind == "empty" else "raw"),
                                                  root / f"out-{kind}-server", env)
    lib, flow1, flow, startup = (seconds[k] for k in ("library", "flow-1", "flow", "empty"))
    n = args.docs
    print(f"documents: {n} (seed-sized, generated)")
    print(f"library  decruft.ingest.run:       {lib:7.1f} s  ({n / lib:6.1f} docs/s)")
    print(f"flow     one worker thread:        {flow1:7.1f} s  ({n / flow1:6.1f} docs/s)")
    print(f"flow     default threads:          {flow:7.1f} s  ({n / flow:6.1f} docs/s)")
    print(f"ratio    flow (1 thread) / library: {flow1 / lib:.3f}  (target <= 1.15)")
    print(f"ratio    flow (default) / library:  {flow / lib:.3f}")
    print(f"start-up flow on an empty folder:   {startup:.1f} s (embedded server, flow run)")
    print(f"per-document overhead beyond it:    {1000 * (flow1 - startup - lib) / n:+.2f} ms "
          "(one thread; negative = within noise)")
    served, served_startup = seconds["flow-1@server"], seconds["empty@server"]
    print(f"with a running server (deployments): flow (1 thread) {served:.1f} s, ratio {served / lib:.3f}, "
          f"start-up {served_startup:.1f} s, per-document {1000 * (served - served_startup - lib) / n:+.2f} ms")


if __name__ == "__main__":
    main()
