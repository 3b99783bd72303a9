"""``decruft ingest`` on a pseudo-terminal: the bar advances within a batch and owns its line.

The command runs in a pty (pexpect), with ``-v`` so that the run's log lines are printed too:
they must come above the bar, never on its line.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.support import RAW, SEED_NAMES

pexpect = pytest.importorskip("pexpect")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COPIES = 30  # 150 files: two cleaning batches of 75, each taking a good fraction of a second
BATCH = 75


def test_the_bar_advances_within_a_batch_with_no_log_text_on_its_line(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for copy in range(COPIES):
        for name in SEED_NAMES:  # distinct bytes, so none is an exact copy of another
            text = (RAW / name).read_text()
            (raw / f"{copy:02d}_{name}").write_text(f"Copy {copy} of the news.\n\n{text}")
    files = COPIES * len(SEED_NAMES)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_LOGGING", "NO_COLOR"))}
    env.update(TERM="xterm-256color", COLUMNS="160", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    child = pexpect.spawn(str(Path(sys.executable).parent / "decruft"),
                          ["ingest", "-v", "--raw", str(raw), "--out", str(tmp_path / "processed"),
                           "--batch-files", str(BATCH)],
                          env=env, dimensions=(40, 160), timeout=180)
    child.expect(pexpect.EOF)
    child.close()
    screen = ANSI.sub("", child.before.decode("utf-8", errors="replace"))
    assert child.exitstatus == 0, screen[-3000:]
    lines = [line for line in re.split(r"[\r\n]", screen) if line.strip()]

    bar_lines = [line for line in lines if "━" in line]
    counts = {int(n) for line in bar_lines for n in re.findall(rf"clean [^0-9]*(\d+)/{files} files", line)}
    assert {0, files} <= counts
    assert counts - {0, BATCH, files}, f"the bar moved only by whole batches: {sorted(counts)}"

    log_lines = [line for line in lines if " | INFO " in line]
    assert any("Finished in state Completed" in line for line in log_lines)
    assert not [line for line in bar_lines if " | " in line or "INFO" in line]
    assert f"articles written: {files}" in screen
