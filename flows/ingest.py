"""The ``ingest`` flow: raw files -> batch tasks (scan, then clean and write) -> summary artifact.

Run it with ``decruft ingest`` or ``python -m flows.ingest`` (Prefect's embedded server, nothing
to start), or deploy it with ``prefect deploy`` (see prefect.yaml and docs/operations.md). All
the work is in the library (``decruft.ingest``); this module turns its batch steps into tasks,
reports progress and collects failed batches.

``runner`` picks the task runner (threads, dask, ray; see ``flows.runners``). Called with the
matching runner (``with_runner``), the flow runs its batches directly; a deployment run asking
for another runner starts itself once more as a subflow on that runner.
"""
from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import (create_markdown_artifact, create_progress_artifact,  # noqa: E402
                               update_progress_artifact)
from prefect.cache_policies import NONE  # noqa: E402
from prefect.context import FlowRunContext  # noqa: E402
from prefect.futures import as_completed  # noqa: E402
from pydantic import PositiveFloat, PositiveInt  # noqa: E402

from decruft.dataset import Layout  # noqa: E402
from decruft.ingest import RunReport, Settings, run  # noqa: E402
from decruft.models import Limits  # noqa: E402
from flows.runners import RUNNERS, parallelism, runner_matches, task_runner  # noqa: E402

#: Batch steps touch storage, so they retry with backoff; their inputs are never cached.
TASK_OPTIONS = dict(retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE)

#: The library's default limits, in the units of the flow's parameters.
LIMITS = Limits().options()

#: The share of the progress bar each phase covers (scanning hashes files; processing cleans).
PHASES = {"scan_batch": ("scan", 0.0, 0.2), "process_batch": ("clean", 0.2, 1.0)}

#: The progress artifact is updated at most this often (each update is an API call), and at the end.
PROGRESS_ARTIFACT_EVERY_S = 2.0

#: Callables told ``(phase, files_done, files_total)`` after each batch (the CLI's progress bar).
_PROGRESS_LISTENERS: list[Callable[[str, int, int], None]] = []


@contextmanager
def progress_listener(listener: Callable[[str, int, int], None]):
    """Call ``listener(phase, done, total)`` after each finished batch while the block runs."""
    _PROGRESS_LISTENERS.append(listener)
    try:
        yield
    finally:
        _PROGRESS_LISTENERS.remove(listener)


class BatchesFailedError(RuntimeError):
    """Some batches failed after their retries; their files stay unrecorded for the next run."""

    def __init__(self, message: str, summary: dict):
        super().__init__(message)
        self.summary = summary


@dataclass
class BatchFailure:
    phase: str
    files: list[str]
    error: str


@dataclass
class BatchMapper:
    """The flow's ``map_batches``: one task per batch, results in order, failures collected.

    A batch that still fails after its retries is left out of the results (so its files are
    neither hashed nor recorded in the manifest and the next run retries them) and noted in
    ``failures``; the flow raises at the end, after everything else was written.
    """

    logger: Any
    failures: list[BatchFailure] = field(default_factory=list)
    artifact_id: Any = None
    artifact_updated: float = 0.0

    def __call__(self, fn: Callable[..., Any], calls: list[tuple]) -> list[Any]:
        phase, start, end = PHASES.get(fn.__name__, (fn.__name__, 0.0, 1.0))
        batch_task = task(unwrapping(fn), name=fn.__name__.replace("_", "-"), **TASK_OPTIONS)
        futures = [batch_task.submit(*map(Opaque, args)) for args in calls]
        sizes = {id(f): len(args[1]) for f, args in zip(futures, calls)}
        total, done, began = sum(sizes.values()), 0, time.perf_counter()
        results: dict[int, Any] = {}
        self._progress(phase, start, end, 0, total)
        for future in as_completed(futures):
            try:
                results[id(future)] = future.result()
            except Exception as exc:  # noqa: BLE001 - reported with the batch's files below
                files = _file_names(calls[futures.index(future)][1])
                self.failures.append(BatchFailure(phase, files, f"{type(exc).__name__}: {exc}"))
                self.logger.error("%s batch of %d file(s) failed (%s): %s", phase, len(files),
                                  getattr(future.state, "name", "?"), exc)
            done += sizes[id(future)]
            rate = done / max(time.perf_counter() - began, 1e-9)
            self.logger.info("%s: %d/%d files (%.0f files/s)", phase, done, total, rate)
            self._progress(phase, start, end, done, total)
        return [results[id(f)] for f in futures if id(f) in results]

    def _progress(self, phase: str, start: float, end: float, done: int, total: int) -> None:
        share = start + (end - start) * (done / total if total else 1.0)
        now = time.monotonic()
        if self.artifact_id is not None and (done == total or now - self.artifact_updated >= PROGRESS_ARTIFACT_EVERY_S):
            update_progress_artifact(self.artifact_id, progress=round(100 * share, 1))
            self.artifact_updated = now
        for listener in list(_PROGRESS_LISTENERS):
            listener(phase, done, total)


class Opaque:
    """A task argument that Prefect and Dask pass along without looking inside.

    Both walk every item of a task's arguments, Prefect looking for futures and Dask hashing
    them into a key: about 0.15 ms of the flow's CPU per file, taken from the workers on a
    machine they share. Nothing in a batch is a future.
    """

    __slots__ = ("value", "token")

    def __init__(self, value: Any):
        self.value, self.token = value, uuid.uuid4().hex

    def __dask_tokenize__(self) -> str:
        return self.token

    def __repr__(self) -> str:
        return f"Opaque({type(self.value).__name__})"


def unwrapping(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` called with the values of ``Opaque`` arguments."""
    @functools.wraps(fn)
    def step(*args: Opaque) -> Any:
        return fn(*(arg.value for arg in args))
    return step


def _file_names(batch: list) -> list[str]:
    return [getattr(item, "file", item).rel_path for item in batch]


@flow(name="ingest")
def ingest(raw: str = "raw", out: str = "processed", reprocess: bool = False, prune: bool = False,
           batch_files: int = Settings.batch_files, batch_bytes: int = Settings.batch_bytes,
           outlets_dirs: list[str] | None = None, rules_config: str | None = None,
           partition_by: str = "outlet,year_month",
           runner: str = "threads", dask_address: str | None = None,
           max_file_mb: PositiveFloat = LIMITS["max_file_mb"],
           max_decompressed_mb: PositiveFloat = LIMITS["max_decompressed_mb"],
           max_document_mb: PositiveFloat = LIMITS["max_document_mb"],
           max_line_chars: PositiveInt = LIMITS["max_line_chars"],
           doc_timeout: PositiveFloat = LIMITS["doc_timeout"]) -> dict:
    """Ingest new and changed raw files into the Parquet dataset under ``out``.

    ``raw`` and ``out`` are folders or URIs (``s3://bucket/prefix``, ``file:///...``).
    ``reprocess`` redoes every file; ``prune`` removes the rows of raw files that are gone.
    ``partition_by`` is ``outlet,year_month``, ``year_month``, ``outlet`` or ``none``.
    ``runner`` is threads, dask or ray; ``dask_address`` joins an existing Dask (or Ray) cluster.
    The limits (sizes in megabytes, ``doc_timeout`` in seconds per page) are
    ``decruft.models.Limits``.
    """
    logger = get_run_logger()
    limits = dict(max_file_mb=max_file_mb, max_decompressed_mb=max_decompressed_mb,
                  max_document_mb=max_document_mb, max_line_chars=max_line_chars, doc_timeout=doc_timeout)
    params = dict(raw=raw, out=out, reprocess=reprocess, prune=prune, batch_files=batch_files,
                  partition_by=partition_by,
                  batch_bytes=batch_bytes, outlets_dirs=outlets_dirs, rules_config=rules_config,
                  runner=runner, dask_address=dask_address, **limits)
    if runner not in RUNNERS:
        raise ValueError(f"unknown runner {runner!r}: choose one of {', '.join(RUNNERS)}")
    context = FlowRunContext.get()
    if context is not None and not runner_matches(context.task_runner, runner, dask_address):
        logger.info("running the batches on the %s task runner (a subflow)", runner)
        return with_runner(runner, dask_address)(**params)

    settings = Settings(raw=raw, out=out, reprocess=reprocess, prune=prune, batch_files=batch_files,
                        partition_by=Layout.parse_partitioning(partition_by),
                        batch_bytes=batch_bytes, outlets_dirs=tuple(outlets_dirs or ()),
                        rules_config=rules_config, limits=Limits.from_options(**limits))
    mapper = BatchMapper(logger)
    mapper.artifact_id = create_progress_artifact(progress=0.0, key="ingest-progress",
                                                  description=f"decruft ingest {raw} -> {out}")
    workers = parallelism(context.task_runner) if context is not None else 1
    report = run(settings, map_batches=mapper, log=logger.info, parallelism=workers)
    for line in report.lines():
        logger.info(line)
    create_markdown_artifact(key="ingest-summary", markdown=summary_markdown(report, raw, out, mapper.failures),
                             description="decruft ingest run summary")
    summary = report.as_dict() | {"failed_files": [f for b in mapper.failures for f in b.files]}
    if mapper.failures:
        raise BatchesFailedError(failure_message(mapper.failures), summary)
    return summary


def with_runner(runner: str = "threads", dask_address: str | None = None, workers: int | None = None):
    """The ingest flow on the named task runner (``ingest.with_options(task_runner=...)``)."""
    return ingest.with_options(task_runner=task_runner(runner, dask_address, workers))


def failure_message(failures: list[BatchFailure], limit: int = 20) -> str:
    files = [(f, b.phase, b.error) for b in failures for f in b.files]
    lines = [f"{len(failures)} batch(es) failed; {len(files)} file(s) were not ingested and will be "
             "retried by the next run:"]
    lines += [f"  {name} ({phase}): {error}" for name, phase, error in files[:limit]]
    if len(files) > limit:
        lines.append(f"  ... and {len(files) - limit} more")
    return "\n".join(lines)


def summary_markdown(report: RunReport, raw: str, out: str, failures: list[BatchFailure] = ()) -> str:
    """The run-summary artifact: counts, rejects by reason, outlets, languages, rate, failures."""
    t = report.totals
    rate = t.files / report.seconds if report.seconds else 0.0
    status = "failed batches: see below" if failures else "completed"
    md = [f"# decruft ingest: {status}", "",
          f"Raw files: `{raw}`  ", f"Output: `{out}`", "",
          "| what | value |", "|---|---|",
          f"| files seen | {report.seen} |", f"| new or changed | {report.new} |",
          f"| retired (moved or pruned) | {report.retired} |",
          f"| skipped (already ingested) | {report.skipped} |",
          f"| articles written | {t.articles} |", f"| rejects | {sum(t.rejects.values())} |",
          f"| parts written | {len(t.parts)} |",
          f"| time | {report.seconds:.1f} s |", f"| documents per second | {rate:.1f} |", ""]
    for title, counts in (("Rejects by reason", t.rejects), ("Outlets", t.outlets),
                          ("Languages", t.languages)):
        md += [f"## {title}", ""]
        if counts:
            md += ["| | count |", "|---|---|"]
            md += [f"| {key} | {value} |" for key, value in counts.most_common(50)]
            if len(counts) > 50:
                md.append(f"| ({len(counts) - 50} more) | |")
        else:
            md.append("none")
        md.append("")
    if failures:
        md += ["## Failed batches", "", "These files were not recorded; the next run retries them.", "",
               "| file | phase | error |", "|---|---|---|"]
        md += [f"| `{name}` | {b.phase} | {b.error.replace('|', '/')[:300]} |"
               for b in failures for name in b.files[:200]]
    return "\n".join(md) + "\n"


if __name__ == "__main__":
    import json

    print(json.dumps(ingest(), indent=2))
