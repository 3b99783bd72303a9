"""The command line: every user error as one line and its exit code, and each option.

Everything here runs in this process without Prefect: ``decruft_flows.ingest`` is made unimportable
around the error table, so a check that ran only once the flow started would fail the test.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import RAW, SEED_NAMES
from decruft.cli import ExitCode, main
from decruft.store.dataset import Dataset
from decruft.ingest import Settings, run
from tests.support import BAD_INPUT as BAD
from tests.support import PROJECT

DW = str(RAW / "000_904ced13eeab3ba9.txt")
JSONL = str(RAW / "sciencealert_pages.jsonl")
WARC = str(RAW / "crawl_sample.warc.gz")


def invoke(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run the command; its exit status (argparse's SystemExit included), stdout and stderr."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return int(code), captured.out, captured.err


@pytest.fixture
def no_prefect(monkeypatch):
    monkeypatch.setitem(sys.modules, "decruft_flows.ingest", None)  # importing it now raises ImportError


@pytest.fixture
def dataset(tmp_path) -> Path:
    out = tmp_path / "processed"
    run(Settings(raw=str(RAW), out=str(out), batch_files=4))
    return out


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write to (root writes through permission bits, not /sys)."""
    if os.geteuid() == 0:
        return Path("/sys/decruft-output")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder / "processed"


def bad_invocations(tmp: Path) -> list[tuple[str, list[str], int, str]]:
    """(what, argv, exit status, text of the one stderr line)."""
    a_file = tmp / "notes.txt"
    a_file.write_text("not a folder")
    broken_outlets = tmp / "outlets"
    broken_outlets.mkdir()
    (broken_outlets / "herald.toml").write_text('id = "herald"\nname = "Herald"\n')
    empty = tmp / "empty"
    empty.mkdir()
    out = str(tmp / "out")
    return [
        ("raw folder missing", ["ingest", "--raw", str(tmp / "nothing"), "--out", out], 2, "raw folder not found"),
        ("raw is a file", ["ingest", "--raw", str(a_file), "--out", out], 2, "is not a folder"),
        ("output is a file", ["ingest", "--raw", str(RAW), "--out", str(a_file)], 2, "output is not a folder"),
        ("output read-only", ["ingest", "--raw", str(RAW), "--out", str(read_only_folder(tmp))], 3,
         "not writable"),
        ("outlets missing", ["ingest", "--raw", str(RAW), "--out", out, "--outlets", str(tmp / "nothing")], 2,
         "outlet profiles folder not found"),
        ("outlet profile broken", ["ingest", "--raw", str(RAW), "--out", out, "--outlets", str(broken_outlets)],
         2, "herald.toml: missing keys"),
        ("rules missing", ["ingest", "--raw", str(RAW), "--out", out, "--rules", str(tmp / "rules.toml")], 2,
         "rules file not found"),
        ("unknown runner", ["ingest", "--runner", "spark"], 2, "invalid choice: 'spark'"),
        ("zero batch", ["ingest", "--batch-files", "0"], 2, "argument --batch-files: must be a positive"),
        ("abbreviated option", ["clean", "--ou", out, DW], 2, "unrecognized arguments: --ou"),
        ("clean a folder", ["clean", str(RAW)], 2, "is a folder"),
        ("explain a folder", ["explain", str(RAW)], 2, "is a folder"),
        ("clean a missing file", ["clean", str(tmp / "page.txt")], 2, "no such file"),
        ("glob matching nothing", ["explain", str(tmp / "*.html")], 2, "no file matches"),
        ("record out of range", ["clean", f"{JSONL}#99"], 2, "no record #99"),
        ("clean --outlets missing", ["clean", DW, "--outlets", str(tmp / "nothing")], 2,
         "outlet profiles folder not found"),
        ("clean --out not a dataset", ["clean", DW, "--out", str(empty)], 2, "no decruft dataset"),
        ("compact a missing dataset", ["compact", "--out", str(tmp / "nothing")], 2, "no decruft dataset"),
        ("compact an empty folder", ["compact", "--out", str(empty)], 2, "no decruft dataset"),
        ("stats of a missing dataset", ["stats", "--out", str(tmp / "nothing")], 2, "no decruft dataset"),
        ("no command", [], 2, "required: command"),
        ("unreachable endpoint", ["ingest", "--raw", str(RAW),
                                  "--out", "s3://news/out?endpoint_override=127.0.0.1:9&scheme=http"], 3,
         "Could not connect"),
    ]


def test_every_bad_invocation_is_one_line_and_its_exit_code(tmp_path, capsys, monkeypatch, no_prefect):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for what, argv, status, text in bad_invocations(tmp_path):
        code, out, err = invoke(argv, capsys)
        assert (code, out) == (status, ""), f"{what}: {code} {out!r} {err!r}"
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("decruft: ") and text in lines[0], f"{what}: {err!r}"
    assert not (tmp_path / "out").exists()  # nothing was created by any refused ingest
    assert list((tmp_path / "empty").iterdir()) == []  # compact made no dataset there


def test_verbose_adds_the_traceback(capsys):
    code, _, err = invoke(["clean", "-v", str(RAW)], capsys)
    assert code == ExitCode.USAGE and "Traceback" in err and err.splitlines()[-1].startswith("decruft: ")


def test_a_locked_output_is_a_storage_error(dataset, capsys):
    with Dataset(dataset).lock():
        code, _, err = invoke(["compact", "--out", str(dataset)], capsys)
    assert code == ExitCode.STORAGE and err.startswith("decruft: another decruft run is writing")


def test_version(capsys):
    from decruft import __version__

    code, out, _ = invoke(["--version"], capsys)
    assert code == 0 and out.strip() == f"decruft {__version__}"


def test_clean_prints_the_body_or_every_field(capsys):
    assert main(["clean", DW]) == 0
    body = capsys.readouterr().out
    assert body.startswith("Regime forces have regained areas") and "Skip to content" not in body
    assert main(["clean", DW, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["outlet_id"] == "dw" and record["agencies"] == ["Reuters", "AFP", "dpa", "AP"]
    assert dt.datetime.fromisoformat(record["ingested_at"]).tzinfo is not None
    assert "T" in record["ingested_at"] and record["published_date"] == "2016-11-12"  # ISO 8601


def test_clean_uses_the_sidecar_and_says_so(capsys):
    assert main(["clean", str(RAW / "002_101238f12eb66e99.txt"), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["outlet_id"] == "france24" and record["outlet_source"] == "metadata"
    assert record["metadata_sources"]["outlet"] == "sidecar:outlet"


def test_clean_reads_standard_input(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(Path(DW).read_bytes())))
    assert main(["clean", "-", "--url", "https://www.dw.com/en/a/a-36255133"]) == 0
    assert capsys.readouterr().out.startswith("Regime forces have regained areas")


def test_clean_several_files_and_a_glob_with_a_header_each(capsys):
    code, out, _ = invoke(["clean", DW, str(RAW / "001_*.txt")], capsys)
    assert code == 0
    headers = [line for line in out.splitlines() if line.startswith("==> ")]
    assert headers == ["==> 000_904ced13eeab3ba9.txt <==", "==> 001_2149dfe57713be07.txt <=="]
    code, out, _ = invoke(["clean", "--json", str(RAW / "00*.txt")], capsys)
    records = json.loads(out)
    assert code == 0 and [r["source_path"] for r in records] == SEED_NAMES  # no sidecar among them


def test_containers_give_every_record_or_the_one_asked_for(capsys):
    code, out, _ = invoke(["clean", JSONL], capsys)
    headers = [line for line in out.splitlines() if line.startswith("==> ")]
    assert code == 0 and headers == ["==> sciencealert_pages.jsonl#1 <==", "==> sciencealert_pages.jsonl#2 <=="]
    code, out, _ = invoke(["clean", f"{JSONL}#2"], capsys)
    assert code == 0 and "==>" not in out and out.startswith("WASHINGTON (Reuters)")
    code, out, _ = invoke(["clean", "--json", f"{JSONL}#2"], capsys)
    assert json.loads(out)["source_path"] == "sciencealert_pages.jsonl#2"
    code, out, _ = invoke(["explain", WARC], capsys)
    warc_headers = [line for line in out.splitlines() if line.startswith("==> crawl_sample.warc.gz#")]
    assert code == 0 and len(warc_headers) >= 2
    assert out.count("# title: ") == len(warc_headers)


def test_a_reject_fails_clean_with_or_without_json(capsys):
    png = str(BAD / "png_named.txt")
    code, out, err = invoke(["clean", png], capsys)
    assert code == ExitCode.INPUTS_FAILED and out == "" and err.startswith("decruft: png_named.txt: no article: binary")
    code, out, _ = invoke(["clean", "--json", png], capsys)
    assert code == ExitCode.INPUTS_FAILED and json.loads(out)["reject"]["reason"] == "binary"


@pytest.mark.parametrize("name, reason", [("whitespace_only.txt", "empty"), ("png_named.txt", "binary"),
                                          ("only_navigation.txt", None)])
def test_explain_states_the_reject_reason(name, reason, capsys):
    code, out, _ = invoke(["explain", str(BAD / name)], capsys)
    last = out.splitlines()[-1]
    assert code == ExitCode.INPUTS_FAILED and last.startswith("# no article: ")
    if reason:
        assert last.startswith(f"# no article: {reason}: ")
    else:  # a page whose every line was removed: its lines and their reasons come first
        assert "+ kept" not in out and out.count(" - ") == 12 and "no_content" in last


def test_explain_lists_every_line_plain_when_piped(capsys):
    assert main(["explain", DW]) == 0
    out = capsys.readouterr().out
    assert "\033[" not in out
    assert "   1 - navigation" in out and "- credit" in out and "+ kept" in out
    footer = out.splitlines()[-1]
    assert footer.startswith("# title: ") and "'" not in footer and "None" not in footer
    assert main(["explain", DW, "--color", "always"]) == 0
    assert "\033[31m" in capsys.readouterr().out


def test_explain_footer_shows_a_missing_title_without_a_python_repr(tmp_path, capsys):
    page = tmp_path / "page.txt"
    page.write_text("\n\n".join(["The council met on Tuesday evening and agreed to repair the old bridge "
                                 "before the winter, the mayor said after the vote."] * 3))
    assert main(["explain", str(page)]) == 0
    footer = capsys.readouterr().out.splitlines()[-1]
    assert footer.startswith("# title: ") and "None" not in footer and "'" not in footer


def test_stats_and_compact_on_an_ingested_dataset(dataset, capsys):
    assert main(["stats", "--out", str(dataset)]) == 0
    text = capsys.readouterr().out
    assert "articles: 10" in text and "dw" in text
    assert main(["compact", "--out", str(dataset)]) == 0
    assert "into 10 rows" in capsys.readouterr().out
    assert main(["compact", "-q", "--out", str(dataset)]) == 0
    assert capsys.readouterr().out == ""


def test_stats_json_with_months_in_date_order(dataset, capsys):
    assert main(["stats", "--json", "--out", str(dataset)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["articles"] == 10 and sum(stats["by_outlet"].values()) == 10
    months = list(stats["by_month"])
    dated = [m for m in months if m != "unknown"]
    assert dated == sorted(dated) and len(dated) >= 2 and months[: len(dated)] == dated
    assert main(["stats", "--out", str(dataset)]) == 0
    text = capsys.readouterr().out
    month_lines = text.split("by month:")[1].split("rejects:")[0].split()
    assert [m for m in month_lines[::2] if m != "unknown"] == dated


def test_dry_run_lists_what_ingest_would_do_and_writes_nothing(tmp_path, capsys, no_prefect):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    shutil.copytree(RAW, raw)
    code, text, _ = invoke(["ingest", "--dry-run", "--raw", str(raw), "--out", str(out)], capsys)
    assert code == 0 and not out.exists()
    assert f"would clean {len(list(raw.glob('*'))) - 1} file(s): 8 new, 0 changed" in text
    run(Settings(raw=str(raw), out=str(out), batch_files=4))
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    (raw / SEED_NAMES[0]).write_text((raw / SEED_NAMES[0]).read_text() + "\n\nOne more line of news.\n")
    (raw / SEED_NAMES[1]).rename(raw / "moved.txt")
    shutil.copy(raw / SEED_NAMES[2], raw / "copy.txt")
    (raw / SEED_NAMES[3]).unlink()
    code, text, _ = invoke(["ingest", "--dry-run", "--prune", "--raw", str(raw), "--out", str(out)], capsys)
    assert code == 0 and sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert f"  changed  {SEED_NAMES[0]}" in text and "  new      moved.txt" in text
    assert f"  duplicate  copy.txt (same bytes as {SEED_NAMES[2]})" in text
    assert f"  retired  {SEED_NAMES[1]}" in text and f"  retired  {SEED_NAMES[3]}" in text
    assert "would skip" in text and text.rstrip().endswith("dry run: nothing was written")


def test_include_and_exclude_patterns_pick_the_raw_files(tmp_path, capsys, no_prefect):
    out = str(tmp_path / "processed")
    code, text, _ = invoke(["ingest", "--dry-run", "--raw", str(RAW), "--out", out, "--include", "*.txt",
                            "--exclude", "00[34]_*"], capsys)
    listed = sorted(line.split()[-1] for line in text.splitlines() if line.startswith("  new "))
    assert code == 0 and listed == SEED_NAMES[:3]
    code, text, _ = invoke(["ingest", "--dry-run", "--raw", str(RAW), "--out", out,
                            "--include", "*.jsonl", "--include", "*.warc.gz"], capsys)
    listed = sorted(line.split()[-1] for line in text.splitlines() if line.startswith("  new "))
    assert listed == ["crawl_sample.warc.gz", "sciencealert_pages.jsonl"]


def test_include_and_exclude_reach_the_library_run(tmp_path):
    from decruft.ingest import selected

    assert selected("news/a.txt", ["*.txt"]) and selected("a.txt", ["*.txt"])
    assert not selected("news/a.txt", ["*.txt"], ["news/*"]) and selected("a.html", [], ["news/*"])
    report = run(Settings(raw=str(RAW), out=str(tmp_path / "out"), include=("*.jsonl",)))
    assert (report.seen, report.totals.articles) == (1, 2)


def test_clean_never_imports_prefect():
    code = ("import sys; from decruft.cli import main; main(['clean', %r]); "
            "sys.exit('prefect' in sys.modules)" % DW)
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def doc_blocks(name: str, language: str) -> list[str]:
    import re

    text = (PROJECT / "docs" / name).read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_outlet_example_of_the_docs_finds_its_outlet_and_its_cruft(tmp_path, capsys):
    profile, page = doc_blocks("outlets.md", "toml")[0], doc_blocks("outlets.md", "text")[0]
    (tmp_path / "my-outlets").mkdir()
    (tmp_path / "my-outlets" / "harbour_times.toml").write_text(profile)
    (tmp_path / "page.txt").write_text(page)
    code, out, _ = invoke(["explain", str(tmp_path / "page.txt"), "--outlets", str(tmp_path / "my-outlets")], capsys)
    assert code == 0 and "outlet: harbour_times" in out.splitlines()[-1]
    assert "- promo" in next(line for line in out.splitlines() if "print edition" in line)
    (tmp_path / "my-outlets" / "harbour_times.toml").write_text(profile.replace('country = "NZ"', 'country = "NZL"'))
    code, _, err = invoke(["clean", str(tmp_path / "page.txt"), "--outlets", str(tmp_path / "my-outlets")], capsys)
    assert code == ExitCode.USAGE and "'country' must be an ISO 3166 alpha-2 code, got 'NZL'" in err


def test_the_rules_example_of_the_docs_adds_a_reason(tmp_path, capsys):
    rules = next(block for block in doc_blocks("rules.md", "toml") if "disabled" in block)
    (tmp_path / "my-rules.toml").write_text(rules)
    (tmp_path / "page.txt").write_text(doc_blocks("rules.md", "text")[0])
    code, out, _ = invoke(["explain", str(tmp_path / "page.txt"), "--rules", str(tmp_path / "my-rules.toml")], capsys)
    assert code == 0
    assert "- promo" in next(line for line in out.splitlines() if "Listen to the episode" in line)
    assert "+ kept" in next(line for line in out.splitlines() if "Passenger numbers" in line)
    (tmp_path / "my-rules.toml").write_text("pattern = []\n")
    code, _, err = invoke(["explain", str(tmp_path / "page.txt"), "--rules", str(tmp_path / "my-rules.toml")], capsys)
    assert code == ExitCode.USAGE and "unknown keys: pattern (expected barriers, disabled, patterns, phrases)" in err
