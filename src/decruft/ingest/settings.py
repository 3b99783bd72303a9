"""What a run needs to know, small enough to ship to any worker, and the errors of settings
that cannot work."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from decruft import __version__
from decruft.extract.boilerplate import LearntTable
from decruft.models import Limits
from decruft.page import Context, make_context
from decruft.store.dataset import PARTITION_COLUMNS, Dataset, Layout


class ConfigError(ValueError):
    """A setting that cannot work: a missing raw folder, outlet folder or rules file."""


class StorageError(OSError):
    """The raw or output location cannot be reached or written (a read-only folder, a missing
    bucket, an unreachable endpoint)."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, small enough to ship to any worker."""

    raw: str = "raw"
    out: str = "processed"
    outlets_dirs: tuple[str, ...] = ()
    rules_config: str | None = None
    limits: Limits = field(default_factory=Limits)
    reprocess: bool = False
    prune: bool = False  # retire the rows of raw files that are gone
    batch_files: int = 500  # Prefect's cost is per task: about 0.13 s of CPU on Dask
    batch_bytes: int = 64 * 1024 * 1024
    partition_by: tuple[str, ...] = PARTITION_COLUMNS  # see Layout: () for one folder
    include: tuple[str, ...] = ()  # glob patterns: only matching raw files are considered
    exclude: tuple[str, ...] = ()  # glob patterns: matching raw files are left out

    def dataset(self) -> Dataset:
        """The output, laid out as these settings say."""
        return Dataset(self.out, Layout(partition_by=tuple(self.partition_by)))

    def context(self, learnt: LearntTable | None = None) -> Context:
        return make_context(outlets_dirs=tuple(Path(d) for d in self.outlets_dirs),
                            rules_config=Path(self.rules_config) if self.rules_config else None,
                            learnt=learnt, limits=self.limits)

    def config_digest(self) -> str:
        """A digest of everything besides the raw files that shapes a row: the version, the
        built-in and the user's rules and outlet profiles. A change redoes every file."""
        digest = hashlib.sha256(__version__.encode())
        package = resources.files("decruft")
        builtin = [package / "extract" / "rules", package / "outlets" / "profiles"]
        user = [Path(d) for d in self.outlets_dirs] + ([Path(self.rules_config)] if self.rules_config else [])
        for base in builtin + user:
            for path in sorted(_toml_files(Path(str(base)))):
                digest.update(f"{path.name}\0".encode() + path.read_bytes())
        return digest.hexdigest()[:24]


def _toml_files(base: Path) -> Iterator[Path]:
    if base.is_file():
        yield base
    elif base.is_dir():
        yield from base.rglob("*.toml")

