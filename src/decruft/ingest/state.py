"""What a run keeps under the output besides rows: the learnt table, the run's settings, the
runs' reports; and settling what an interrupted run left."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any
from pathlib import Path

from decruft.extract.boilerplate import LearntTable
from decruft import filesystem
from decruft.ingest.checks import check_config, remote_info
from decruft.ingest.report import RunReport
from decruft.ingest.scan import FileFingerprints
from decruft.config import ConfigError
from decruft.ingest.settings import Settings, file_options, load_settings
from decruft.models import Limits
from decruft.page import Context
from decruft.store.dataset import CompactionReport, Dataset


LEARNT_TABLE_FILE = "learnt.json"


RUN_FILE = "run.json"


#: Under ``_state``: one summary a run (``RunReport.as_dict``), named by the UTC time it started.
RUNS_FOLDER = "runs"


#: The table a batch task last read, by (output, digest): each worker process reads it once per
#: run instead of receiving it with every task (it can grow to megabytes per outlet).
_TABLE_READ: dict[tuple[str, str], LearntTable] = {}
_TABLE_READ_LOCK = threading.Lock()


def load_learnt_table(dataset: Dataset) -> LearntTable:
    """The learnt table of the dataset's latest run (empty before the first)."""
    data = dataset.read_state(LEARNT_TABLE_FILE)
    return LearntTable.from_json(data.decode("utf-8")) if data is not None else LearntTable()


def save_learnt_table(dataset: Dataset, table: LearntTable) -> str:
    """Save the table for this run's batches (and clean/explain); returns the digest naming it."""
    data = table.to_json().encode("utf-8")
    dataset.write_state(LEARNT_TABLE_FILE, data)
    digest = hashlib.sha256(data).hexdigest()
    with _TABLE_READ_LOCK:
        _TABLE_READ.clear()
        _TABLE_READ[(dataset.uri, digest)] = table
    return digest


def saved_learnt_table(dataset: Dataset, digest: str) -> LearntTable:
    """The table ``save_learnt_table`` saved in the dataset with that digest, read once per process."""
    with _TABLE_READ_LOCK:
        table = _TABLE_READ.get((dataset.uri, digest))
        if table is None:
            data = dataset.read_state(LEARNT_TABLE_FILE)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                raise RuntimeError(f"the learnt table under {dataset.uri} changed during the run")
            table = LearntTable.from_json(data.decode("utf-8"))
            _TABLE_READ.clear()
            _TABLE_READ[(dataset.uri, digest)] = table
        return table


def dataset_context(out: str, config: str | Path | None = None, **options: Any) -> tuple[Context, str | None]:
    """The context the latest run under out cleaned with (its learnt table and settings, with a
    settings file ``config`` and explicit ``options`` on top), and its raw root: so one page
    cleaned now is cleaned as ingest cleaned it."""
    settings = run_settings(out, config, **options)
    check_config(settings.outlets_dirs, settings.rules_config)
    return settings.context(load_learnt_table(settings.dataset())), settings.raw


def run_settings(out: str, config: str | Path | None = None, **options: Any) -> Settings:
    """The settings of the latest run under out, with ``config`` and ``options`` on top."""
    data = require_dataset(out).read_state(RUN_FILE)
    if data is None:
        raise ConfigError(f"no run recorded under {out} (run decruft ingest first)")
    recorded = _recorded_options(json.loads(data))
    given = file_options(Path(config)) if config is not None else {}
    return load_settings(**{**recorded, **given, "out": out, **options})


def _recorded_options(run: dict[str, Any]) -> dict[str, Any]:
    """The options a run recorded; runs of earlier versions recorded a few by other names."""
    if "settings" in run:
        return run["settings"]
    return {"raw": run["raw"], "outlets": run["outlets_dirs"], "rules": run["rules_config"] or "",
            "partition_by": ",".join(run.get("partition_by", ())) or "none", **Limits(**run["limits"]).options()}


def save_run_report(dataset: Dataset, report: RunReport) -> str:
    """Keep a run's summary and step counters with the dataset; returns the state file's name."""
    started = report.started or dt.datetime.now(dt.UTC)
    name = f"{RUNS_FOLDER}/{started.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}.json"
    dataset.write_state(name, json.dumps(report.as_dict(), indent=1).encode())
    return name


def latest_run_report(dataset: Dataset) -> dict | None:
    """The summary the latest finished run saved (None before the first)."""
    names = [n for n in dataset.state_names(RUNS_FOLDER) if n.endswith(".json")]
    data = dataset.read_state(f"{RUNS_FOLDER}/{names[-1]}") if names else None
    return json.loads(data) if data is not None else None


def _saved_fingerprints(settings: Settings, dataset: Dataset, config: str) -> FileFingerprints:
    """The fingerprints to reuse: none on a reprocess or when the config changed."""
    return {} if settings.reprocess or _saved_config(dataset) != config else dataset.fingerprints()


def settle(dataset: Dataset, log: Callable[[str], None]) -> None:
    """Finish what an interrupted run left (half-written parts, a half-done compaction), remove
    superseded rows and merge small parts, so that no document is visible twice and touched
    partitions hold few files once a run has settled."""
    leftovers = dataset.remove_leftovers()
    if leftovers:
        log(f"removed {len(leftovers)} leftover file(s) of an interrupted run")
    for _ in range(2):  # a new layout moves rows into small parts first, then merges them
        if not dataset.needs_compaction():
            break
        compaction = dataset.compact()
        log(f"compacted {compaction.rows_before} rows in {compaction.files_before} parts into "
            f"{compaction.rows_after} current rows in {compaction.files_after}")


def compact(out: str, log: Callable[[str], None] = lambda _: None, wait_s: float = 0.0) -> CompactionReport:
    """``decruft compact`` and the compact flow: under the run lock (waiting up to wait_s for a
    running ingest), remove what an interrupted run left, then merge and drop superseded rows."""
    dataset = require_dataset(out)
    with dataset.lock(wait_s=wait_s):
        leftovers = dataset.remove_leftovers()
        if leftovers:
            log(f"removed {len(leftovers)} leftover file(s) of an interrupted run")
        return dataset.compact()


def _saved_config(dataset: Dataset) -> str | None:
    data = dataset.read_state(RUN_FILE)
    return json.loads(data).get("config") if data else None


def _run_state(settings: Settings, config: str) -> bytes:
    """What clean/explain --out need to clean a page as this run does: its settings (as a
    settings file writes them) and the digest of its rules and profiles."""
    return json.dumps({"settings": settings.options(), "config": config}, indent=1).encode()

def require_dataset(out: str) -> Dataset:
    """The dataset under out, for commands that read or rewrite one: ConfigError when there is
    none there (nothing is created), StorageError when its location cannot be reached."""
    if filesystem.is_remote(out):
        remote_info(out, "dataset")
    elif not Path(filesystem.local_root(out)).is_dir():
        raise ConfigError(f"no decruft dataset under {out} (no such folder)")
    dataset = Dataset(out)
    if dataset.read_state(RUN_FILE) is None and not dataset.manifest():
        raise ConfigError(f"no decruft dataset under {out} (run decruft ingest first)")
    return dataset
