"""The library-only commands: clean, explain, stats, compact (none of them starts Prefect)."""
from __future__ import annotations

import json
import sys

from conftest import RAW
from decruft.cli import main
from decruft.ingest import Settings, run

DW = str(RAW / "000_904ced13eeab3ba9.txt")


def test_clean_prints_the_body_or_every_field(capsys):
    assert main(["clean", DW]) == 0
    body = capsys.readouterr().out
    assert body.startswith("Regime forces have regained areas") and "Skip to content" not in body
    assert main(["clean", DW, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["outlet_id"] == "dw" and record["agencies"] == ["Reuters", "AFP", "dpa", "AP"]


def test_clean_uses_the_sidecar_and_says_so(capsys):
    assert main(["clean", str(RAW / "002_101238f12eb66e99.txt"), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["outlet_id"] == "france24" and record["outlet_source"] == "metadata"
    assert record["metadata_sources"]["outlet"] == "sidecar:outlet"


def test_explain_lists_every_line_plain_when_piped(capsys):
    assert main(["explain", DW]) == 0
    out = capsys.readouterr().out
    assert "\033[" not in out
    assert "   1 - navigation" in out and "- credit" in out and "+ kept" in out
    assert main(["explain", DW, "--color", "always"]) == 0
    assert "\033[31m" in capsys.readouterr().out


def test_stats_and_compact_on_an_ingested_dataset(tmp_path, capsys):
    out = tmp_path / "processed"
    run(Settings(raw=str(RAW), out=str(out), batch_files=2))
    assert main(["stats", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "articles: 10" in text and "dw" in text
    assert main(["compact", "--out", str(out)]) == 0
    assert "into 10 rows" in capsys.readouterr().out


def test_a_missing_dataset_is_a_clear_error(tmp_path, capsys):
    assert main(["stats", "--out", str(tmp_path / "nothing")]) == 1
    assert "no dataset" in capsys.readouterr().err


def test_clean_never_imports_prefect():
    import subprocess

    code = ("import sys; from decruft.cli import main; main(['clean', %r]); "
            "sys.exit('prefect' in sys.modules)" % DW)
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
