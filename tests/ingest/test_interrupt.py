"""SIGTERM during a run of ``decruft ingest`` over 1,500 files: every process of the run is
gone within seconds, the command says it was interrupted, and the next run accounts for every
file exactly once."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import RAW, SEED_NAMES
from decruft.store.dataset import Dataset

FILES = 1500
DECRUFT = Path(sys.executable).with_name("decruft")  # the command installed beside this Python
_WORDS = "council budget library river bridge school mayor voters harbour festival museum rail".split()


def descendants(pid: int) -> set[int]:
    """Every process under pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def ingest(raw: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)  # the command's own embedded server, as a user runs it
    return subprocess.Popen([str(DECRUFT), "ingest", "--raw", str(raw), "--out", str(out), "--no-progress"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


@pytest.mark.skipif(not DECRUFT.exists() or not Path("/proc").is_dir(), reason="needs the installed command and /proc")
def test_sigterm_ends_the_whole_run_and_the_next_run_accounts_for_every_file(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    seed = (RAW / SEED_NAMES[0]).read_text(encoding="utf-8")
    for i in range(FILES):
        rng = random.Random(i)
        tail = " ".join(rng.choice(_WORDS) for _ in range(25)).capitalize()
        (raw / f"page{i:05d}.txt").write_text(f"{seed}\n\n{tail}.\n", encoding="utf-8")
    run = ingest(raw, out)
    deadline = time.monotonic() + 120
    while not (out / "_state" / "learnt.json").exists():  # the scan is over: cleaning starts
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.05)
    time.sleep(0.3)
    processes = descendants(run.pid)
    assert len(processes) >= 2  # the flow's process, the server, the page workers ...
    run.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, stderr = run.communicate(timeout=15)
    while any(alive(pid) for pid in processes) and time.monotonic() - started < 15:
        time.sleep(0.1)
    assert not [pid for pid in processes if alive(pid)], "processes of the run outlived it"
    assert run.returncode == 143
    assert stderr.strip().splitlines()[-1].startswith("decruft: interrupted by SIGTERM")

    again = ingest(raw, out)
    stdout, stderr = again.communicate(timeout=240)
    assert again.returncode == 0, stderr[-2000:]
    dataset = Dataset(out)
    paths = [path for table in (dataset.articles(), dataset.rejects()) if table is not None
             for path in table.column("source_path").to_pylist()]
    assert sorted(paths) == sorted(f"page{i:05d}.txt" for i in range(FILES))
