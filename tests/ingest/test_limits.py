"""Input limits: validated, applied, and settable from the library, the CLI and the flow."""
from __future__ import annotations

import time
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from tests.support import RAW, SEED_NAMES
from decruft.cli import main
from decruft.guard import GuardedProcessor
from decruft.models import Limits, RawDocument
from decruft.page import clean, make_context

#: A user rule with catastrophic backtracking: a line of 40 a's and a '!' never finishes matching.


def longest_line(text: str) -> int:
    return max(len(line) for line in text.split("\n"))


def rejects_by_path(out: Path) -> dict[str, dict]:
    rows = pads.dataset(out / "rejects", format="parquet").to_table().to_pylist()
    return {row["source_path"]: row for row in rows}


def article_paths(out: Path) -> set[str]:
    table = pads.dataset(out / "articles", format="parquet", partitioning="hive").to_table()
    return set(table.column("source_path").to_pylist())


@pytest.mark.parametrize("field", ["max_file_bytes", "max_line_chars", "document_timeout_s"])
@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_limits_must_be_positive_numbers(field, value):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})


def test_options_are_megabytes_and_seconds():
    limits = Limits.from_options(max_file_mb=1.5, max_decompressed_mb=2, max_document_mb=0.5,
                                 max_line_chars=80, doc_timeout=2.5)
    assert limits.max_file_bytes == 1536 * 1024 and limits.max_document_bytes == 512 * 1024
    assert limits.document_timeout_s == 2.5
    assert Limits.from_options(**Limits().options()) == Limits()


def test_long_lines_of_a_text_page_are_cut_but_html_is_whole():
    page = (RAW / SEED_NAMES[0]).read_bytes()
    assert longest_line(page.decode()) > 400
    context = make_context(limits=Limits(max_line_chars=300))
    assert longest_line(clean(page, name="page.txt", context=context)["body"]) == 300
    html = clean((RAW / "polygraph_fact_check_al_tanf.html").read_bytes(), name="page.html", context=context)
    assert longest_line(html["body"]) > 300


def _slow_to_start() -> object:
    time.sleep(1.0)
    return _echo


def _echo(doc: RawDocument) -> dict:
    return {"source_path": doc.source_path}


def test_a_child_starting_slowly_does_not_use_up_the_first_pages_time():
    doc = RawDocument("a.txt", b"text", "0" * 64, "text")
    with GuardedProcessor(_slow_to_start, timeout_s=0.5) as guarded:
        assert guarded(doc) == {"source_path": "a.txt"}


@pytest.mark.parametrize("argv", [["--doc-timeout", "0"], ["--doc-timeout", "soon"],
                                  ["--max-file-mb", "-2"], ["--max-line-chars", "1.5"]])
def test_bad_limit_values_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", *argv])
    assert exit_info.value.code == 2
    assert f"argument {argv[0]}:" in capsys.readouterr().err


@pytest.mark.usefixtures("prefect_server")
def test_cli_limits_reach_the_run(seed_raw, tmp_path, capsys):
    out = tmp_path / "processed"
    assert main(["ingest", "--raw", str(seed_raw), "--out", str(out), "--no-progress",
                 "--max-file-mb", "0.004"]) == 0
    too_large = {name for name in SEED_NAMES if (seed_raw / name).stat().st_size > 0.004 * 1024 * 1024}
    assert too_large and too_large != set(SEED_NAMES)
    rejects = rejects_by_path(out)
    assert set(rejects) == too_large and {r["reason"] for r in rejects.values()} == {"too_large"}
    assert "4194-byte file limit" in next(iter(rejects.values()))["detail"]
    assert article_paths(out) == set(SEED_NAMES) - too_large
    assert f"too_large={len(too_large)}" in capsys.readouterr().out


@pytest.mark.usefixtures("prefect_server")
def test_a_runaway_page_is_stopped_at_the_cli_timeout(seed_raw, tmp_path):
    out = tmp_path / "processed"
    seed_text = (seed_raw / SEED_NAMES[0]).read_text()
    # every pattern runs in linear time, so a page outruns the limit by its size: about 15 MB of
    # prose takes the cleaner about a second, a seed page a few milliseconds
    (seed_raw / "runaway.txt").write_text(seed_text * (15_000_000 // len(seed_text)))
    started = time.perf_counter()
    assert main(["ingest", "--raw", str(seed_raw), "--out", str(out), "--no-progress",
                 "--doc-timeout", "0.3"]) == 0
    assert time.perf_counter() - started < 60
    rejects = rejects_by_path(out)
    assert set(rejects) == {"runaway.txt"} and rejects["runaway.txt"]["reason"] == "timeout"
    assert "longer than 0.3 s" in rejects["runaway.txt"]["detail"]
    assert article_paths(out) == set(SEED_NAMES)


@pytest.mark.usefixtures("prefect_server")
def test_flow_parameters_set_the_limits(seed_raw, tmp_path):
    from prefect.exceptions import ParameterTypeError

    from decruft_flows.ingest import ingest

    out = tmp_path / "processed"
    summary = ingest(raw=str(seed_raw), out=str(out), max_line_chars=300, max_document_mb=0.005)
    big = {name for name in SEED_NAMES if (seed_raw / name).stat().st_size > 0.005 * 1024 * 1024}
    assert summary["rejects"] == {"too_large": len(big)} and big
    bodies = pads.dataset(out / "articles", format="parquet", partitioning="hive").to_table().column("body")
    assert max(longest_line(body) for body in bodies.to_pylist()) == 300
    with pytest.raises(ParameterTypeError):
        ingest(raw=str(seed_raw), out=str(out), doc_timeout=-1)
