"""The ``ingest`` flow: raw files -> batch tasks (scan, then clean and write) -> summary artifact.

Run it with ``decruft ingest`` or ``python -m decruft_flows.ingest`` (Prefect's embedded server, nothing
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
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import (create_markdown_artifact, create_progress_artifact,  # noqa: E402
                               update_progress_artifact)
from prefect.cache_policies import NONE  # noqa: E402
from prefect.context import FlowRunContext  # noqa: E402
from prefect.futures import as_completed  # noqa: E402
from pydantic import PositiveFloat, PositiveInt  # noqa: E402

from decruft.ingest import (BatchCall, BatchStep, Settings, load_settings, run, start_worker_server,  # noqa: E402
                            summary_rows, summary_tables)
from decruft.models import MB  # noqa: E402
from decruft_flows.runners import Runner, parallelism, runner_matches, task_runner  # noqa: E402

#: The partitionings ``partition_by`` takes (see ``decruft.store.dataset.Layout``).
PartitionBy = Literal["outlet,year_month", "year_month,outlet", "year_month", "outlet", "none"]

#: Batch steps touch storage, so they retry with backoff; their inputs are never cached.
TASK_OPTIONS = dict(retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE)

#: The share of the progress bar each phase covers (scanning hashes files; processing cleans).
PHASES = {"scan": (0.0, 0.2), "clean": (0.2, 1.0)}

#: The progress artifact is updated at most this often (each update is an API call), and at the end.
PROGRESS_ARTIFACT_EVERY_S = 2.0

#: Callables told ``(phase, files_done, files_total)`` as files are done (the CLI's progress bar).
_PROGRESS_LISTENERS: list[Callable[[str, int, int], None]] = []

#: The mappers of this process by token: a batch running in this process (threads) reports
#: each file to the mapper that submitted it; in another process (Dask, Ray) it finds none,
#: and progress moves by finished batches.
_MAPPERS: dict[str, "BatchMapper"] = {}


@contextmanager
def progress_listener(listener: Callable[[str, int, int], None]):
    """Call ``listener(phase, done, total)`` as files are done while the block runs: after each
    file of a batch running in this process, after each finished batch otherwise."""
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
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    _phase: tuple[str, int] = ("", 0)
    _within: list[int] = field(default_factory=list)  # files done per batch of the phase
    _told: int = -1  # the highest count the listeners were told in this phase
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, step: BatchStep, calls: list[BatchCall]) -> list[Any]:
        phase = step.phase
        start, end = PHASES.get(phase, (0.0, 1.0))
        batch_task = task(unwrapping(step.fn), name=f"{phase}-batch", **TASK_OPTIONS)
        sizes = [len(call.paths) for call in calls]
        total, began = sum(sizes), time.perf_counter()
        self._phase, self._within, self._told = (phase, total), [0] * len(calls), -1
        _MAPPERS[self.token] = self
        self._progress(start, end, 0)
        try:
            futures = [batch_task.submit(*map(Opaque, call.args), progress=Opaque(BatchProgress(self.token, i)))
                       for i, call in enumerate(calls)]
            index = {id(f): i for i, f in enumerate(futures)}
            results: dict[int, Any] = {}
            for future in as_completed(futures):
                i = index[id(future)]
                try:
                    results[i] = future.result()
                except Exception as exc:  # noqa: BLE001 - reported with the batch's files below
                    files = list(calls[i].paths)
                    self.failures.append(BatchFailure(phase, files, f"{type(exc).__name__}: {exc}"))
                    self.logger.error("%s batch of %d file(s) failed (%s): %s", phase, len(files),
                                      getattr(future.state, "name", "?"), exc)
                done = self.batch_progress(i, sizes[i], notify=False)
                rate = done / max(time.perf_counter() - began, 1e-9)
                self.logger.info("%s: %d/%d files (%.0f files/s)", phase, done, total, rate)
                self._progress(start, end, done)
        finally:
            _MAPPERS.pop(self.token, None)
        return [results[i] for i in range(len(calls)) if i in results]

    def batch_progress(self, index: int, done: int, notify: bool = True) -> int:
        """Note that batch ``index`` has ``done`` files done; returns the phase's files done."""
        with self._lock:
            self._within[index] = max(self._within[index], done)  # a retry starts again from 0
            phase_done = sum(self._within)
        if notify:
            self._tell(phase_done)
        return phase_done

    def _progress(self, start: float, end: float, done: int) -> None:
        total = self._phase[1]
        share = start + (end - start) * (done / total if total else 1.0)
        now = time.monotonic()
        if self.artifact_id is not None and (done == total or now - self.artifact_updated >= PROGRESS_ARTIFACT_EVERY_S):
            update_progress_artifact(self.artifact_id, progress=round(100 * share, 1))
            self.artifact_updated = now
        self._tell(done)

    def _tell(self, done: int) -> None:
        """Tell the listeners, never a count below one already told (batch threads race)."""
        with self._lock:
            if done < self._told:
                return
            self._told = done
            phase, total = self._phase
            for listener in list(_PROGRESS_LISTENERS):
                listener(phase, done, total)


class BatchProgress:
    """A batch's ``progress`` callback, passed to its task: forwards each finished file to the
    mapper that submitted the batch when the task runs in the same process."""

    __slots__ = ("token", "index")

    def __init__(self, token: str, index: int):
        self.token, self.index = token, index

    def __call__(self, done: int) -> None:
        mapper = _MAPPERS.get(self.token)
        if mapper is not None:
            mapper.batch_progress(self.index, done)


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
    def step(*args: Opaque, **kwargs: Opaque) -> Any:
        return fn(*(arg.value for arg in args), **{name: arg.value for name, arg in kwargs.items()})
    return step


@flow(name="ingest")
def ingest(raw: str | None = None, out: str | None = None, config: str | None = None,
           reprocess: bool | None = None, prune: bool | None = None,
           batch_files: PositiveInt | None = None, batch_bytes: PositiveInt | None = None,
           outlets_dirs: list[str] | None = None, rules_config: str | None = None,
           include: list[str] | None = None, exclude: list[str] | None = None,
           partition_by: PartitionBy | None = None,
           runner: Runner = "threads", dask_address: str | None = None,
           max_file_mb: PositiveFloat | None = None, max_decompressed_mb: PositiveFloat | None = None,
           max_document_mb: PositiveFloat | None = None, max_line_chars: PositiveInt | None = None,
           doc_timeout: PositiveFloat | None = None) -> dict:
    """Ingest new and changed raw files into the Parquet dataset under ``out``.

    The parameters are typed, so Prefect refuses a bad value (``runner=spark``,
    ``batch_files=0``) when a run is created, and its run form shows the text below. A
    parameter left empty takes its value from the settings file ``config``, else from
    decruft's packaged defaults (in brackets).

    Args:
        raw: Folder or URI of the raw files (s3://bucket/raw, file:///abs/path) [raw].
        out: Folder or URI of the output dataset [processed].
        config: Settings file (TOML) over the packaged defaults (docs/operations.md, "Settings").
        reprocess: Redo every file and rebuild the learnt table from scratch [false].
        prune: Remove the rows of raw files that are gone (by default they stay) [false].
        batch_files: Files per cleaning task, at least 1 (a scan task takes five times as many) [500].
        batch_bytes: Bytes of raw files per cleaning task, at least 1 [64 MB].
        outlets_dirs: Folders of extra outlet profiles (TOML) adding to or overriding the built-in ones.
        rules_config: Rules file (TOML) turning concepts off or adding patterns (docs/rules.md).
        include: Glob patterns; only matching raw paths are ingested (without a / a pattern matches names).
        exclude: Glob patterns; matching raw paths are left out.
        partition_by: Article partition folders: outlet,year_month, year_month, outlet or none [outlet,year_month].
        runner: Task runner for the batches: threads, dask or ray (a subflow when the run started on another).
        dask_address: Join this Dask or Ray cluster (tcp://scheduler:8786, ray://head:10001) instead of
            starting a local one.
        max_file_mb: A larger single-page raw file is a too_large reject (containers are streamed) [50].
        max_decompressed_mb: Past this many inflated bytes, the rest of a container is a decompression_limit reject [8192].
        max_document_mb: A larger page (file, JSON line or WARC record) is a too_large reject [20].
        max_line_chars: Longer lines of a plain-text page are cut before cleaning [100000].
        doc_timeout: Seconds a page may take to clean before it is stopped as a timeout reject [30].
    """
    logger = get_run_logger()
    params = dict(raw=raw, out=out, config=config, reprocess=reprocess, prune=prune, batch_files=batch_files,
                  batch_bytes=batch_bytes, outlets_dirs=outlets_dirs, rules_config=rules_config,
                  include=include, exclude=exclude, partition_by=partition_by, max_file_mb=max_file_mb,
                  max_decompressed_mb=max_decompressed_mb, max_document_mb=max_document_mb,
                  max_line_chars=max_line_chars, doc_timeout=doc_timeout)
    settings = load_settings(config, **settings_options(params))  # a bad value fails before any work
    params |= dict(runner=runner, dask_address=dask_address)
    context = FlowRunContext.get()
    if context is not None and not runner_matches(context.task_runner, runner, dask_address):
        logger.info("running the batches on the %s task runner (a subflow)", runner)
        return _on_subflow(with_runner(runner, dask_address), params, settings)

    if runner == "threads":
        start_worker_server()  # the batches' page workers are this process's children
    mapper = BatchMapper(logger)
    mapper.artifact_id = create_progress_artifact(progress=0.0, key="ingest-progress",
                                                  description=f"decruft ingest {settings.raw} -> {settings.out}")
    workers = parallelism(context.task_runner) if context is not None else 1
    report = run(settings, map_batches=mapper, log=logger.info, parallelism=workers)
    for line in report.lines():
        logger.info(line)
    summary = report.as_dict() | {"failed_files": [f for b in mapper.failures for f in b.files],
                                  "failed_batches": [asdict(b) for b in mapper.failures]}
    _summary_artifact(summary, settings.raw, settings.out)
    if mapper.failures:
        raise BatchesFailedError(failure_message(mapper.failures), summary)
    return summary


def _on_subflow(subflow: Callable[..., dict], params: dict, settings: Settings) -> dict:
    """Run the subflow, then give this flow run the same artifacts (a deployment's run page
    shows its own run's artifacts, not its subflow's)."""
    progress = create_progress_artifact(progress=0.0, key="ingest-progress",
                                        description=f"decruft ingest {settings.raw} -> {settings.out}")
    try:
        summary = subflow(**params)
    except BatchesFailedError as exc:
        _summary_artifact(exc.summary, settings.raw, settings.out)
        raise
    finally:
        update_progress_artifact(progress, progress=100.0)
    _summary_artifact(summary, settings.raw, settings.out)
    return summary


#: The flow's parameters named otherwise than the settings they give (and their units).
_RENAMED = {"outlets_dirs": "outlets", "rules_config": "rules", "batch_bytes": "batch_mb"}


def settings_options(params: dict[str, Any]) -> dict[str, Any]:
    """The flow's settings parameters that were given, as ``load_settings`` options."""
    options = {_RENAMED.get(name, name): value for name, value in params.items()
               if value is not None and name != "config"}
    if "batch_mb" in options:
        options["batch_mb"] = options["batch_mb"] / MB
    return options


def flow_parameters(config: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """The flow's parameters for a settings file and ``load_settings`` options (the CLI's)."""
    named = {setting: name for name, setting in _RENAMED.items()}
    params = {named.get(key, key): value for key, value in options.items()}
    if "batch_bytes" in params:
        params["batch_bytes"] = round(params["batch_bytes"] * MB)
    return params | {"config": config}


def _summary_artifact(summary: dict, raw: str, out: str) -> None:
    create_markdown_artifact(key="ingest-summary", markdown=summary_markdown(summary, raw, out),
                             description="decruft ingest run summary")


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


#: Counts the summary artifact shows per kind.
ARTIFACT_TABLE_ITEMS = 50


def summary_markdown(summary: dict, raw: str, out: str) -> str:
    """The run-summary artifact: the summary's figures and counts (``summary_rows`` and
    ``summary_tables``, as the CLI prints them) as markdown tables, then the failed batches."""
    failures = summary.get("failed_batches", [])
    status = "failed batches: see below" if failures else "completed"
    md = [f"# decruft ingest: {status}", "",
          f"Raw files: `{raw}`  ", f"Output: `{out}`", "",
          "| what | value |", "|---|---|"]
    md += [f"| {row.label} | {row.value} |" for row in summary_rows(summary)]
    md.append("")
    for table in summary_tables(summary):
        items = list(table.counts.items())
        md += [f"## {table.title.capitalize()}", ""]
        if items:
            md += [f"| | {table.unit} |", "|---|---|"]
            md += [f"| {name} | {value} |" for name, value in items[:ARTIFACT_TABLE_ITEMS]]
            if len(items) > ARTIFACT_TABLE_ITEMS:
                md.append(f"| ({len(items) - ARTIFACT_TABLE_ITEMS} more) | |")
        else:
            md.append("none")
        md.append("")
    if failures:
        md += ["## Failed batches", "", "These files were not recorded; the next run retries them.", "",
               "| file | phase | error |", "|---|---|---|"]
        md += [f"| `{name}` | {b['phase']} | {b['error'].replace('|', '/')[:300]} |"
               for b in failures for name in b["files"][:200]]
    return "\n".join(md) + "\n"


if __name__ == "__main__":
    import json

    print(json.dumps(ingest(), indent=2))
