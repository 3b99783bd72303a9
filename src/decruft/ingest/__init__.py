"""An ingest run: raw files in, the articles and rejects datasets out, as steps any caller composes.

    discover  -> list the raw files (cheap: names and sizes)              ``scan``
    scan      -> per batch: hash every file, fingerprint the new and changed ones
    learn     -> build the learnt table from the fingerprints of the current files alone
    plan      -> skip files whose bytes and learnt-table decisions are unchanged; reject exact
                 duplicates; retire moved (and, with prune, deleted) files  ``plan``
    process   -> per batch: clean every page, write the batch's parts and manifest part  ``process``

Batches carry file names, never documents, and return counts, so an orchestrator's cost per
task stays small next to the work; it runs them through a ``Mapper`` (``batching``). Every row
is a function of the current raw files (and the settings): the learnt table counts each current
document once, near-copies once together, and a file is redone whenever what the table decides
for it changes.
"""
from decruft.config import ConfigError
from decruft.ingest.batching import BatchCall, BatchStep, Mapper, sequential_map
from decruft.ingest.checks import check_config, preflight
from decruft.ingest.report import (BatchSummary, Row, RunReport, StepCounters, Table, summary_lines,
                                   summary_rows, summary_tables)
from decruft.ingest.runner import Preview, dry_run, run
from decruft.ingest.scan import selected
from decruft.ingest.settings import Settings, StorageError, load_settings
from decruft.ingest.state import compact, dataset_context, latest_run_report, require_dataset
from decruft.ingest.workers import start_worker_server

__all__ = ["BatchCall", "BatchStep", "BatchSummary", "ConfigError", "Mapper", "Preview", "Row", "RunReport",
           "Settings", "StepCounters", "StorageError", "Table", "check_config", "compact", "dataset_context",
           "dry_run", "latest_run_report", "load_settings", "preflight", "require_dataset", "run", "selected",
           "sequential_map", "start_worker_server", "summary_lines", "summary_rows", "summary_tables"]
