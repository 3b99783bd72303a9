"""The ingest flow end to end on a real (embedded) Prefect server."""
from __future__ import annotations

import pyarrow.dataset as pads
import pytest

from tests.support import SEED_NAMES, build_counted_raw

pytestmark = pytest.mark.usefixtures("prefect_server")


def read_articles(out):
    return pads.dataset(out / "articles", format="parquet", partitioning="hive").to_table()


def test_flow_writes_one_row_per_seed_and_reruns_add_nothing(seed_raw, tmp_path):
    from decruft_flows.ingest import ingest

    out = tmp_path / "processed"
    first = ingest(raw=str(seed_raw), out=str(out))
    assert first["articles"] == len(SEED_NAMES) and first["rejects"] == {}
    table = read_articles(out)
    assert sorted(table.column("source_path").to_pylist()) == SEED_NAMES
    ids = sorted(table.column("doc_id").to_pylist())

    second = ingest(raw=str(seed_raw), out=str(out))
    assert second["skipped"] == len(SEED_NAMES) and second["articles"] == 0
    assert sorted(read_articles(out).column("doc_id").to_pylist()) == ids

    third = ingest(raw=str(seed_raw), out=str(out), reprocess=True)
    assert third["articles"] == len(SEED_NAMES)
    assert sorted(read_articles(out).column("doc_id").to_pylist()) == ids


def test_bad_files_become_rejects_and_the_run_goes_on(seed_raw, tmp_path):
    from decruft_flows.ingest import ingest

    (seed_raw / "empty.txt").write_bytes(b"")
    (seed_raw / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (seed_raw / "copy.txt").write_bytes((seed_raw / SEED_NAMES[0]).read_bytes())
    out = tmp_path / "processed"
    summary = ingest(raw=str(seed_raw), out=str(out))
    assert summary["articles"] == len(SEED_NAMES)
    assert summary["rejects"] == {"empty": 1, "binary": 1, "duplicate": 1}
    rejects = pads.dataset(out / "rejects", format="parquet").to_table().to_pylist()
    by_path = {r["source_path"]: r for r in rejects}
    assert set(by_path) == {"empty.txt", "image.txt", "copy.txt"}
    assert all(r["detail"] for r in rejects)


def test_compact_flow_merges_parts_and_keeps_rows(seed_raw, tmp_path):
    from decruft_flows.compact import compact
    from decruft_flows.ingest import ingest

    out = tmp_path / "processed"
    ingest(raw=str(seed_raw), out=str(out), batch_files=1)
    before = read_articles(out)
    parts = list((out / "articles").rglob("*.parquet"))
    assert len(parts) == len({p.parent for p in parts})  # the run merged its one-file batches
    report = compact(out=str(out))
    after = read_articles(out)
    assert report["files_after"] <= report["files_before"] and report["rows_after"] == len(before)
    assert sorted(after.column("doc_id").to_pylist()) == sorted(before.column("doc_id").to_pylist())


def test_cli_ingest_prints_plain_progress_and_a_summary_and_nothing_with_quiet(seed_raw, tmp_path, capsys):
    from decruft.cli import main

    out = tmp_path / "processed"
    assert main(["ingest", "--raw", str(seed_raw), "--out", str(out), "--include", "00[01]_*"]) == 0
    captured = capsys.readouterr()
    assert "articles written: 2" in captured.out and "(new 2," in captured.out
    progress = captured.err.splitlines()  # not a terminal: plain lines, no bar, no log lines
    assert progress[0].startswith("scan  0/2 files") and progress[-1].startswith("clean 2/2 files")
    assert all(line.startswith(("scan ", "clean ")) for line in progress), progress
    assert main(["ingest", "-q", "--raw", str(seed_raw), "--out", str(out), "--exclude", "00[01]_*"]) == 0
    assert capsys.readouterr() == ("", "")
    assert sorted(read_articles(out).column("source_path").to_pylist()) == SEED_NAMES


def test_flow_takes_a_settings_file_and_its_parameters_win(seed_raw, tmp_path):
    import json

    from decruft_flows.ingest import ingest

    out = tmp_path / "processed"
    config = tmp_path / "decruft.toml"
    config.write_text(f'[ingest]\nraw = "{seed_raw}"\nout = "{out}"\nbatch_files = 2\n'
                      '[output]\npartition_by = "none"\n')
    summary = ingest(config=str(config), batch_files=3)
    assert summary["articles"] == len(SEED_NAMES)
    assert {p.parent for p in (out / "articles").rglob("*.parquet")} == {out / "articles"}
    recorded = json.loads((out / "_state" / "run.json").read_text())["settings"]
    assert (recorded["batch_files"], recorded["partition_by"]) == (3, "none")


def without_seconds(summary: dict) -> dict:
    """A summary's counts: what the same raw files give whatever runs them (times differ)."""
    counts = {key: value for key, value in summary.items() if key not in ("seconds", "started_at")}
    return counts | {"counters": {k: v for k, v in summary["counters"].items() if k != "seconds"}}


def test_the_flow_counts_as_the_library_does_saves_it_and_shows_it(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from decruft.ingest import Settings, latest_run_report, run
    from decruft.store.dataset import Dataset
    from decruft_flows.ingest import ingest

    raw = build_counted_raw(tmp_path / "raw")
    library = run(Settings(raw=str(raw), out=str(tmp_path / "library"), batch_files=3)).as_dict()
    state = ingest(raw=str(raw), out=str(tmp_path / "flow"), batch_files=3, return_state=True)
    flow = state.result()
    assert flow["failed_files"] == [] and flow["counters"]["skipped"]["http_status"] == 2
    assert without_seconds(flow) == without_seconds(library) | {"failed_files": [], "failed_batches": []}
    saved = latest_run_report(Dataset(str(tmp_path / "flow")))
    assert saved == {k: v for k, v in flow.items() if not k.startswith("failed_")}
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    markdown = next(a.data for a in artifacts if a.key == "ingest-summary")
    assert "## Records skipped by reason" in markdown and "| http_status | 2 |" in markdown
    assert f"| trafilatura | {flow['counters']['paths']['trafilatura']} |" in markdown
