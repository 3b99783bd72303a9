"""The one settings object of a run: packaged defaults (``defaults.toml``), a user's settings
file on top, explicit options on top of that; small enough to ship to any worker."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from decruft import __version__
from decruft.config import ConfigError, read_toml
from decruft.extract.boilerplate import LearntTable, Thresholds
from decruft.extract.fingerprint import FINGERPRINT_VERSION
from decruft.extract.html import HtmlTuning
from decruft.extract.text import Tuning
from decruft.models import MB, Limits
from decruft.page import Context, make_context
from decruft.store.dataset import Dataset, Layout

#: The packaged defaults: every key a settings file may set, by section.
DEFAULTS_FILE = Path(str(resources.files("decruft") / "defaults.toml"))


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
    batch_bytes: int = 64 * MB
    scan_batch_factor: int = 5  # scan batches are larger: fewer tasks (a scan costs about half a clean)
    chunk_rows: int = 2000  # a container of any size costs the memory of this many rows (at most)
    layout: Layout = field(default_factory=Layout)
    include: tuple[str, ...] = ()  # glob patterns: only matching raw files are considered
    exclude: tuple[str, ...] = ()  # glob patterns: matching raw files are left out
    text: Tuning = field(default_factory=Tuning)
    html: HtmlTuning = field(default_factory=HtmlTuning)
    learnt: Thresholds = field(default_factory=Thresholds)

    def __post_init__(self) -> None:
        for name in ("batch_files", "batch_bytes", "scan_batch_factor", "chunk_rows"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be a positive number, not {getattr(self, name)!r}")

    def dataset(self) -> Dataset:
        """The output, laid out as these settings say."""
        return Dataset(self.out, self.layout)

    def context(self, learnt: LearntTable | None = None) -> Context:
        return make_context(outlets_dirs=tuple(Path(d) for d in self.outlets_dirs),
                            rules_config=Path(self.rules_config) if self.rules_config else None,
                            learnt=learnt, limits=self.limits, tuning=self.text,
                            html_tuning=self.html)

    def options(self) -> dict[str, Any]:
        """These settings as a settings file writes them, by key (``load_settings`` reads them back)."""
        layout = self.layout
        return {"raw": self.raw, "out": self.out, "outlets": list(self.outlets_dirs), "rules": self.rules_config or "",
                "include": list(self.include), "exclude": list(self.exclude), "reprocess": self.reprocess,
                "prune": self.prune, "batch_files": self.batch_files, "batch_mb": self.batch_bytes / MB,
                "scan_batch_factor": self.scan_batch_factor, "chunk_rows": self.chunk_rows,
                **self.limits.options(),
                "partition_by": ",".join(layout.partition_by) or "none", "part_rows": layout.part_rows,
                "part_mb": layout.part_bytes / MB, "row_group_rows": layout.row_group_rows,
                **{name: sorted(v) if isinstance(v, frozenset) else v
                   for thresholds in self.thresholds() for name, v in asdict(thresholds).items()}}

    def thresholds(self) -> tuple[Tuning, HtmlTuning, Thresholds]:
        """The ``[text]``, ``[html]`` and ``[learnt]`` sections: each key a field of its class."""
        return self.text, self.html, self.learnt

    def config_digest(self) -> str:
        """A digest of everything besides the raw files that shapes a row: the version, the
        built-in and the user's rules and outlet profiles, the thresholds. A change redoes every
        file."""
        digest = hashlib.sha256(f"{__version__}\0{FINGERPRINT_VERSION}".encode())
        thresholds = [asdict(section) for section in self.thresholds()]
        digest.update(json.dumps(thresholds, sort_keys=True, default=sorted).encode())
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


def default_options() -> dict[str, dict[str, Any]]:
    """The packaged defaults, by section: every key a settings file may set."""
    return read_toml(DEFAULTS_FILE, "the packaged settings")


def load_settings(config: str | Path | None = None, **options: Any) -> Settings:
    """The packaged defaults, with the settings file ``config`` on top (any keys of the same
    sections) and then ``options`` (keys of any section, as the CLI's options and the flow's
    parameters are named; None means "not given"). A bad file, key or value is a ConfigError
    naming it."""
    defaults = default_options()
    section_of = {key: section for section, table in defaults.items() for key in table}
    values = {key: value for table in defaults.values() for key, value in table.items()}
    if config is not None:
        values.update(file_options(Path(config), defaults))
    for key, value in options.items():
        if key not in section_of:
            raise ConfigError(f"unknown setting {key!r}")
        if value is not None:
            values[key] = _checked(key, value, defaults[section_of[key]][key], f"setting {key!r}")
    try:
        return _settings(values)
    except ValueError as exc:
        raise ConfigError(f"{config}: {exc}" if config is not None else str(exc)) from exc


def file_options(path: Path, defaults: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The keys a settings file sets, checked against the defaults' sections, keys and types."""
    defaults = defaults or default_options()
    data = read_toml(path, "settings")
    values: dict[str, Any] = {}
    for section, table in data.items():
        if section not in defaults or not isinstance(table, dict):
            raise ConfigError(f"{path}: unknown section [{section}] (expected {', '.join(f'[{s}]' for s in defaults)})")
        for key, value in table.items():
            if key not in defaults[section]:
                raise ConfigError(f"{path}: [{section}] unknown key {key!r} "
                                  f"(expected one of {', '.join(defaults[section])})")
            values[key] = _checked(key, value, defaults[section][key], f"{path}: [{section}] {key}")
    return values


def _checked(key: str, value: Any, default: Any, where: str) -> Any:
    """The value, if it has the default's type (an integer also serves for a number)."""
    kind = type(default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, list):
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
    if not ok:
        raise ConfigError(f"{where} must be {_KIND_NAMES.get(kind, kind.__name__)}, not {value!r}")
    return list(value) if isinstance(default, list) else value


_KIND_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string",
               list: "a list of strings"}


def _settings(values: dict[str, Any]) -> Settings:
    return Settings(
        raw=values["raw"], out=values["out"], outlets_dirs=tuple(values["outlets"]),
        rules_config=values["rules"] or None, include=tuple(values["include"]), exclude=tuple(values["exclude"]),
        reprocess=values["reprocess"], prune=values["prune"], batch_files=values["batch_files"],
        batch_bytes=round(values["batch_mb"] * MB), scan_batch_factor=values["scan_batch_factor"],
        chunk_rows=values["chunk_rows"],
        limits=Limits.from_options(**{key: values[key] for key in Limits().options()}),
        layout=Layout(partition_by=Layout.parse_partitioning(values["partition_by"]), part_rows=values["part_rows"],
                      part_bytes=round(values["part_mb"] * MB), row_group_rows=values["row_group_rows"]),
        text=_thresholds(Tuning, values), html=_thresholds(HtmlTuning, values),
        learnt=_thresholds(Thresholds, values))


T = TypeVar("T")


def _thresholds(kind: type[T], values: dict[str, Any]) -> T:
    """One thresholds section's dataclass from its keys (a list where the field holds a set)."""
    defaults = kind()
    return kind(**{f.name: frozenset(values[f.name]) if isinstance(getattr(defaults, f.name), frozenset)
                   else values[f.name] for f in fields(kind)})
