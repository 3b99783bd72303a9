"""Batches of raw files for the run's steps, and the mapper contract an orchestrator fulfils."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from decruft.ingest.settings import Settings
from decruft.read.containers import RecordIndex, RecordRange
from decruft.read.sources import RawFile
from decruft.store.dataset import FileWork

T = TypeVar("T")


#: A batch step's progress callback: told how many of the batch's files are done so far.
Progress = Callable[[int], None]


@dataclass
class WorkItem:
    """A raw file with its content hash (empty when it could not be read) and the digest of
    what the learnt table decides for it; for a large container, where its records start
    (``records``, from the scan) or the one range of them this item is (``part``, of ``split``)."""

    file: RawFile
    sha256: str
    context: str = ""
    records: RecordIndex | None = None
    part: RecordRange | None = None
    split: str | None = None

    @property
    def size(self) -> int:
        """About how many raw bytes the item reads."""
        if self.part is None:
            return self.file.size
        end = self.part.end_at or self.file.size
        return max(1, end - self.part.start.at)

    @property
    def work(self) -> FileWork:
        """What the manifest records once the item is done."""
        if self.part is None:
            return FileWork(self.file.rel_path, self.sha256, self.context)
        return FileWork(self.file.rel_path, self.sha256, self.context, self.part.first, self.part.last, self.split)


def batches(files: list[T], max_files: int, max_bytes: int, parallelism: int = 1,
            size: Callable[[T], int] = lambda raw: raw.size) -> Iterator[list[T]]:
    """Consecutive groups of at most max_files files (or work items) and (unless one is
    bigger) max_bytes.

    Files are spread evenly over the groups, and their number suits the workers
    (``parallelism``, see ``even_sizes``) so that none idles in the last wave.
    """
    sizes = iter(even_sizes(len(files), max_files, parallelism))
    limit = next(sizes, max_files)
    batch: list[T] = []
    total = 0
    for item in files:
        if batch and (len(batch) >= limit or total + size(item) > max_bytes):
            yield batch
            batch, total, limit = [], 0, next(sizes, limit)
        batch.append(item)
        total += size(item)
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
    """Work items in batches, a record range of a large container weighing its own bytes."""
    yield from batches(items, settings.batch_files, settings.batch_bytes, parallelism, size=lambda i: i.size)

