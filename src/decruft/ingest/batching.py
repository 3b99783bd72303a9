"""Batches of raw files for the run's steps, and the mapper contract an orchestrator fulfils."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from decruft.ingest.settings import Settings
from decruft.read.sources import RawFile


#: A batch step's progress callback: told how many of the batch's files are done so far.
Progress = Callable[[int], None]


@dataclass
class WorkItem:
    """A raw file with its content hash (empty when it could not be read) and the digest of
    what the learnt table decides for it."""

    file: RawFile
    sha256: str
    context: str = ""


def batches(files: list[RawFile], max_files: int, max_bytes: int,
            parallelism: int = 1) -> Iterator[list[RawFile]]:
    """Consecutive groups of at most max_files files and (unless one file is bigger) max_bytes.

    Files are spread evenly over the groups, and their number suits the workers
    (``parallelism``, see ``even_sizes``) so that none idles in the last wave.
    """
    sizes = iter(even_sizes(len(files), max_files, parallelism))
    limit = next(sizes, max_files)
    batch: list[RawFile] = []
    size = 0
    for raw in files:
        if batch and (len(batch) >= limit or size + raw.size > max_bytes):
            yield batch
            batch, size, limit = [], 0, next(sizes, limit)
        batch.append(raw)
        size += raw.size
    if batch:
        yield batch


def even_sizes(count: int, max_files: int, parallelism: int = 1) -> list[int]:
    """Sizes of at most max_files that add up to count and differ by at most one.

    With several workers there are more groups than workers in a multiple of their number, or,
    when fewer groups would do, one per worker as far as groups of half of max_files go.
    """
    if count <= 0:
        return []
    groups = -(-count // max_files)
    if groups > parallelism > 1:
        groups = -(-groups // parallelism) * parallelism
    elif parallelism > 1:
        groups = max(groups, min(parallelism, -(-count // max(1, max_files // 2))))
    groups = min(groups, count)
    return [count // groups + (i < count % groups) for i in range(groups)]


@dataclass(frozen=True)
class BatchStep:
    """A step a run applies batch by batch: ``phase`` names it (``scan``, ``clean``); ``fn`` takes
    a call's arguments and an optional ``progress`` keyword (a ``Progress``)."""

    phase: str
    fn: Callable[..., Any]


@dataclass(frozen=True)
class BatchCall:
    """One batch of a step: the step function's arguments and the raw paths the batch covers
    (for progress and failure reports)."""

    args: tuple
    paths: tuple[str, ...]


#: What runs a step over its batches and returns their results in order (leaving out batches
#: that failed, whose files then stay unrecorded): sequential in the library, tasks in a flow.
Mapper = Callable[[BatchStep, list[BatchCall]], list[Any]]


def sequential_map(step: BatchStep, calls: list[BatchCall]) -> list[Any]:
    """Run each call in turn, in this process: the mapper for library use."""
    return [step.fn(*call.args) for call in calls]


def batches_of_items(items: list[WorkItem], settings: Settings, parallelism: int = 1) -> Iterator[list[WorkItem]]:
    by_file = {item.file.rel_path: item for item in items}
    for batch in batches([i.file for i in items], settings.batch_files, settings.batch_bytes, parallelism):
        yield [by_file[raw.rel_path] for raw in batch]

