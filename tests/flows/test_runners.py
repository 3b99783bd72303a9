"""Task runners, failed batches, progress and the run summary of the ingest flow."""
from __future__ import annotations

import functools
import sys
from collections import Counter

import pyarrow.dataset as pads
import pytest

from tests.support import SEED_NAMES

pytestmark = pytest.mark.usefixtures("prefect_server")


def rows(out):
    table = pads.dataset(out / "articles", format="parquet", partitioning="hive").to_table()
    return {(r["doc_id"], r["body"], r["title"], r["outlet_id"])
            for r in table.select(["doc_id", "body", "title", "outlet_id"]).to_pylist()}


@pytest.mark.parametrize("runner, module", [("dask", "prefect_dask"), ("ray", "prefect_ray")])
def test_two_worker_processes_write_the_same_rows_as_threads(runner, module, seed_raw, tmp_path):
    pytest.importorskip(module, reason=f"the {runner} extra is not installed: pip install -e '.[{runner}]'")
    from decruft_flows.ingest import ingest, with_runner

    threads = ingest(raw=str(seed_raw), out=str(tmp_path / "threads"), batch_files=2)
    # A local Dask cluster or Ray instance of two worker processes, reporting to this server.
    distributed = with_runner(runner, workers=2)(raw=str(seed_raw), out=str(tmp_path / runner),
                                                 batch_files=2, runner=runner)
    assert distributed["articles"] == threads["articles"] == len(SEED_NAMES)
    assert rows(tmp_path / runner) == rows(tmp_path / "threads")
    counts = [{k: v for k, v in s["counters"].items() if k != "seconds"} for s in (distributed, threads)]
    assert counts[0] == counts[1] and counts[0]["paths"]  # counted where the pages were cleaned: inline there


def test_a_flow_run_asking_for_another_runner_starts_a_subflow_on_it(seed_raw, tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    import decruft_flows.ingest as flow_module

    asked = []
    counts = {"seen": 5, "new": 5, "skipped": 0, "retired": 0, "files": 5, "articles": 4, "parts": 1,
              "rejects": {"empty": 1}, "outlets": {"dw": 4}, "languages": {"en": 4}, "seconds": 1.0}

    def spy(runner="threads", dask_address=None, workers=None):
        asked.append((runner, dask_address))
        return lambda **params: counts | {"subflow": params}

    monkeypatch.setattr(flow_module, "with_runner", spy)
    state = flow_module.ingest(raw=str(seed_raw), out=str(tmp_path / "out"), runner="dask",
                               dask_address="tcp://127.0.0.1:1", return_state=True)
    summary = state.result()
    assert asked == [("dask", "tcp://127.0.0.1:1")]
    assert summary["subflow"]["raw"] == str(seed_raw) and summary["subflow"]["runner"] == "dask"
    with get_client(sync_client=True) as client:  # the parent run shows the summary too
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    by_key = {a.key: a for a in artifacts}
    assert {"ingest-summary", "ingest-progress"} <= set(by_key)
    assert "| articles written | 4 |" in by_key["ingest-summary"].data


def test_a_failing_batch_fails_the_flow_after_the_others_are_written(seed_raw, tmp_path, monkeypatch):
    import decruft.ingest.runner as library
    import decruft_flows.ingest as flow_module
    from decruft.ingest.batching import BatchStep

    bad = SEED_NAMES[1]
    original = library.CLEAN.fn

    @functools.wraps(original)
    def flaky(settings, items, *args, **kwargs):
        if any(item.file.rel_path == bad for item in items):
            raise OSError("storage unavailable")
        return original(settings, items, *args, **kwargs)

    monkeypatch.setattr(library, "CLEAN", BatchStep("clean", flaky))
    monkeypatch.setattr(flow_module, "TASK_OPTIONS", dict(flow_module.TASK_OPTIONS, retries=1,
                                                          retry_delay_seconds=0))
    out = tmp_path / "out"
    with pytest.raises(flow_module.BatchesFailedError) as failed:
        flow_module.ingest(raw=str(seed_raw), out=str(out), batch_files=1)
    assert bad in str(failed.value) and "storage unavailable" in str(failed.value)
    assert failed.value.summary["failed_files"] == [bad]
    assert failed.value.summary["articles"] == len(SEED_NAMES) - 1
    assert len(rows(out)) == len(SEED_NAMES) - 1
    monkeypatch.setattr(library, "CLEAN", BatchStep("clean", original))
    retry = flow_module.ingest(raw=str(seed_raw), out=str(out), batch_files=1)
    assert retry["new"] == 1 and retry["articles"] == 1 and retry["skipped"] == len(SEED_NAMES) - 1


def test_progress_listener_sees_every_file_of_both_phases(seed_raw, tmp_path):
    from decruft_flows.ingest import ingest, progress_listener

    seen = []
    with progress_listener(lambda phase, done, total: seen.append((phase, done, total))):
        ingest(raw=str(seed_raw), out=str(tmp_path / "out"), batch_files=2)
    n = len(SEED_NAMES)
    for phase in ("scan", "clean"):
        counts = [(done, total) for p, done, total in seen if p == phase]
        assert counts[0] == (0, n) and counts[-1] == (n, n)
        assert {done for done, _ in counts} == set(range(n + 1))  # each file, not each batch
        assert all(a <= b for (a, _), (b, _) in zip(counts, counts[1:]))


def test_summary_markdown_lists_counts_rejects_and_failures():
    from decruft_flows.ingest import summary_markdown

    summary = {"seen": 7, "new": 6, "skipped": 1, "retired": 0, "files": 6, "articles": 4, "parts": 2,
               "rejects": {"empty": 1, "binary": 1}, "outlets": {"dw": 4}, "languages": {"en": 3, "de": 1},
               "seconds": 2.0, "failed_batches": [{"phase": "clean", "files": ["a.txt"], "error": "OSError: x"}]}
    md = summary_markdown(summary, "raw", "s3://bucket/out")
    for text in ("| files seen | 7 |", "| new or changed | 6 |", "| skipped (already ingested) | 1 |",
                 "| articles written | 4 |", "| empty | 1 |", "| dw | 4 |", "| de | 1 |",
                 "| documents per second | 3.0 |", "`s3://bucket/out`", "| `a.txt` | clean | OSError: x |"):
        assert text in md


def test_the_cli_the_flow_log_and_the_artifact_show_the_same_rows_and_counts(capsys):
    from decruft.cli import _print_summary
    from decruft.ingest import RunReport, summary_rows, summary_tables
    from decruft.ingest.report import BatchSummary, StepCounters
    from decruft_flows.ingest import summary_markdown

    counters = StepCounters(records=Counter(page=5, warc=9), skipped=Counter(not_html=2, not_response=3),
                            removed=Counter(navigation=4, title=1), paths=Counter(text=3, trafilatura=2),
                            seconds=Counter(read=0.5, extract=1.25))
    report = RunReport(seen=7, new=6, skipped=1, seconds=2.0,
                       totals=BatchSummary(files=6, articles=5, rejects=Counter(empty=1),
                                           outlets=Counter(dw=5), languages=Counter(en=5), counters=counters))
    summary = report.as_dict() | {"failed_files": ["a.txt"]}
    md = summary_markdown(summary, "raw", "out")
    _print_summary(summary, "out")
    text = capsys.readouterr().out
    for row in summary_rows(summary):
        assert f"| {row.label} | {row.value} |" in md
        assert (f"{row.label}: {row.value}" if row.inline is None else f"{row.inline} {row.value}") in text
    for table in summary_tables(summary):
        assert f"## {table.title.capitalize()}" in md and f"{table.title}: " in text
        for name, value in table.counts.items():
            assert f"| {name} | {value} |" in md and f"{name}={value}" in text
    assert "records skipped by reason: not_response=3, not_html=2" in text
    assert "seconds by stage: read=0.5, extract=1.25" in text and "failed files (retried next run): 1" in text
    logged = report.lines()  # what the flow logs: the same lines, bar the flow's failures and the CLI's output
    assert logged == [line for line in text.splitlines() if not line.startswith(("output: ", "failed files"))]


def test_runner_errors_are_clear(monkeypatch):
    from decruft_flows.runners import RunnerUnavailableError, task_runner

    monkeypatch.setitem(sys.modules, "prefect_ray", None)
    with pytest.raises(RunnerUnavailableError, match=r"\.\[ray\]"):
        task_runner("ray")
    with pytest.raises(ValueError, match="unknown runner"):
        task_runner("spark")
    assert type(task_runner("threads")).__name__ == "ThreadPoolTaskRunner"


def test_progress_prints_plain_lines_when_not_a_tty():
    import io

    from decruft_flows.progress import PlainProgress, display

    stream = io.StringIO()
    assert isinstance(display(stream), PlainProgress)
    with display(stream) as progress:
        for done in (0, 100, 200):
            progress("clean", done, 200)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("clean 0/200 files") and lines[-1].startswith("clean 200/200 files")
    assert len(lines) == 2  # the line in between came within the 5 s between lines
    assert "\r" not in stream.getvalue() and "\033" not in stream.getvalue() and "left" in lines[-1]


def test_batch_arguments_pass_through_prefect_and_dask_unwalked():
    """Batches reach tasks as they are, Prefect does not walk them, and two batches with the
    same content still get two Dask keys (one shared key would run only one of them)."""
    from dask.base import tokenize
    from prefect.utilities.collections import visit_collection

    from decruft_flows.ingest import Opaque, unwrapping

    visited = []
    batch = Opaque([{"file": "a.txt"}, {"file": "b.txt"}])
    assert visit_collection(batch, visit_fn=visited.append, return_data=False) is None
    assert visited == [batch]
    assert tokenize(Opaque([1])) != tokenize(Opaque([1]))
    assert unwrapping(lambda files, n: files * n)(Opaque(["x"]), Opaque(2)) == ["x", "x"]


def test_one_large_container_is_cleaned_by_both_dask_workers(tmp_path):
    """Its record ranges are batches of their own, spread over the workers; the rows are those
    of a run that reads it whole."""
    pytest.importorskip("prefect_dask", reason="the dask extra is not installed: pip install -e '.[dask]'")
    from distributed import Client, LocalCluster

    from decruft_flows.ingest import ingest, with_runner
    from decruft_flows.runners import prefect_api_env
    from tests.read.test_containers import crawl

    raw = tmp_path / "raw"
    raw.mkdir()
    data = crawl(80)[0]
    (raw / "crawl.warc.gz").write_bytes(data)
    whole = ingest(raw=str(raw), out=str(tmp_path / "whole"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      env=prefect_api_env()) as cluster, Client(cluster.scheduler_address) as client:
        split = with_runner("dask", cluster.scheduler_address)(
            raw=str(raw), out=str(tmp_path / "dask"), batch_bytes=len(data) // 4, runner="dask",
            dask_address=cluster.scheduler_address)
        # a worker keeps the learnt table once it has cleaned a batch (scanning does not read it)
        cleaned = client.run(lambda: bool(__import__("decruft.ingest.state", fromlist=["_TABLE_READ"])._TABLE_READ))
    assert len(cleaned) == 2 and all(cleaned.values())
    assert split["articles"] == whole["articles"] == 80
    assert rows(tmp_path / "dask") == rows(tmp_path / "whole")
