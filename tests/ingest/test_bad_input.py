"""A corpus of bad input: every file ends up as articles or a reject with the expected reason,
the run completes, and memory stays bounded. Small files are committed in tests/bad_input/,
big and special ones (a 60 MB file, a gzip bomb, a FIFO, a symlink out of the root, a newline
in a name) are made here."""
from __future__ import annotations

import gzip
import os
import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support import RAW
from decruft import clean
from decruft.store.dataset import Dataset, file_of
from tests.support import BAD_INPUT

ARTICLE = "article"

# file name -> expected outcome: "article", a reject reason, or a set of outcomes for containers
EXPECTED: dict[str, object] = {
    "utf16_bom.txt": ARTICLE, "utf16_no_bom.txt": ARTICLE, "latin1.txt": ARTICLE,
    "windows1252.txt": ARTICLE, "invalid_utf8_middle.txt": ARTICLE, "nul_bytes.txt": "binary",
    "png_named.txt": "binary", "binary_named.html": "binary", "whitespace_only.txt": "empty",
    "error_page.txt": "error_page", "cookie_wall.txt": "no_content", "only_navigation.txt": "no_content",
    "control_chars.txt": ARTICLE, "mixed_scripts.txt": ARTICLE, "arabic_rtl.txt": ARTICLE,
    "no_line_breaks.txt": ARTICLE, "html_no_body.html": "no_content", "billion_laughs.html": "no_content",
    "cp1251_meta.html": ARTICLE, "article.txt.gz": ARTICLE, "broken_line.jsonl": {ARTICLE, "parse_error"},
    "truncated.txt.gz": "parse_error", "sidecar_broken.txt": ARTICLE, "name with spaces.txt": ARTICLE,
    "überschrift ñ — 記事.txt": ARTICLE,
    # made by make_special_files
    "empty.txt": "empty", "random_bytes.txt": "binary", "too_big_60mb.txt": "too_large",
    "one_line_5mb.txt": "no_content", "bomb.txt.gz": "decompression_limit",
    "cut.warc": {ARTICLE, "parse_error"}, "outside_link.txt": "symlink_outside_root",
    "fifo.txt": "unreadable", "dangling_link.txt": "unreadable", "line\nbreak.txt": ARTICLE,
    "nested_100k.html": "no_content", "a_seed.txt": ARTICLE, "z_copy_of_seed.txt": "duplicate",
}


def make_special_files(raw: Path, outside: Path) -> None:
    (raw / "empty.txt").write_bytes(b"")
    (raw / "random_bytes.txt").write_bytes(random.Random(7).randbytes(50_000))
    with open(raw / "too_big_60mb.txt", "wb") as handle:
        handle.truncate(60 * 1024 * 1024)  # sparse: over the 50 MB limit without using the disk
    (raw / "one_line_5mb.txt").write_text("word " * (5 * 1024 * 1024 // 5))
    with gzip.open(raw / "bomb.txt.gz", "wb", compresslevel=9) as handle:
        chunk = b"\0" * (1024 * 1024)
        for _ in range(300):  # 300 MB of zeros, a few hundred KB compressed
            handle.write(chunk)
    warc = gzip.decompress((RAW / "crawl_sample.warc.gz").read_bytes())
    (raw / "cut.warc").write_bytes(warc[: int(len(warc) * 0.8)])
    (outside / "secret.txt").write_text("outside the raw root")
    (raw / "outside_link.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(raw / "fifo.txt")
    (raw / "dangling_link.txt").symlink_to(raw / "missing.txt")
    (raw / "line\nbreak.txt").write_text((BAD_INPUT / "latin1.txt").read_text("latin-1"))
    (raw / "nested_100k.html").write_text("<html><body>" + "<div>" * 100_000 + "x" + "</div>" * 100_000 + "</body></html>")
    seed = RAW / "000_904ced13eeab3ba9.txt"
    shutil.copy(seed, raw / "a_seed.txt")
    shutil.copy(seed, raw / "z_copy_of_seed.txt")


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("bad")
    raw, out, outside = root / "raw", root / "processed", root / "outside"
    shutil.copytree(BAD_INPUT, raw)
    outside.mkdir()
    make_special_files(raw, outside)
    script = textwrap.dedent(f"""
        import resource, sys
        from decruft.ingest import Settings, run
        report = run(Settings(raw={str(raw)!r}, out={str(out)!r}, batch_files=8))
        print(report.as_dict())
        print("peak_rss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
              + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    return raw, out, result


def outcomes(out: Path) -> dict[str, set[str]]:
    dataset = Dataset(out)
    found: dict[str, set[str]] = {}
    for path in dataset.articles().column("source_path").to_pylist():
        found.setdefault(file_of(path), set()).add(ARTICLE)
    for row in dataset.rejects().to_pylist():
        found.setdefault(file_of(row["source_path"]), set()).add(row["reason"])
    return found


def test_the_run_completes_within_memory(bad_run):
    _, _, result = bad_run
    assert result.returncode == 0, result.stderr[-2000:]
    peak_kb = int(result.stdout.split("peak_rss_kb")[1])
    assert peak_kb < 1024 * 1024, f"peak memory {peak_kb / 1024:.0f} MB"


def test_every_file_has_its_expected_outcome(bad_run):
    _, out, _ = bad_run
    found = outcomes(out)
    assert set(found) == set(EXPECTED)
    for name, expected in EXPECTED.items():
        assert found[name] == (expected if isinstance(expected, set) else {expected}), name


def test_rejects_explain_themselves_and_every_part_opens(bad_run):
    _, out, _ = bad_run
    assert all(row["detail"] for row in Dataset(out).rejects().to_pylist())
    duplicate = next(r for r in Dataset(out).rejects().to_pylist() if r["reason"] == "duplicate")
    assert "a_seed.txt" in duplicate["detail"] and "doc_id" in duplicate["detail"]
    for part in out.rglob("*.parquet"):
        pq.read_metadata(part)


def test_a_rerun_adds_nothing(bad_run):
    raw, out, _ = bad_run
    before = {k: len(v) for k, v in outcomes(out).items()}
    script = f"from decruft.ingest import Settings, run; print(run(Settings(raw={str(raw)!r}, out={str(out)!r})).as_dict())"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {k: len(v) for k, v in outcomes(out).items()} == before
    rows = Dataset(out).articles().num_rows + Dataset(out).rejects().num_rows
    assert rows == len(Dataset(out).articles().column("doc_id").unique()) + Dataset(out).rejects().num_rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000) | st.text(max_size=4000).map(str.encode))
def test_clean_never_raises_on_arbitrary_bytes(data):
    record = clean(data, name="fuzz.txt")
    assert isinstance(record["body"], str)
    assert record["body"] or record.get("reject")
