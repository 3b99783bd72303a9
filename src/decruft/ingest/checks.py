"""Checks before a run touches anything: the raw location, the output, the config paths."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyarrow.fs as pafs

from decruft import filesystem
from decruft.config import ConfigError
from decruft.ingest.settings import Settings, StorageError


def check_config(outlets_dirs: Iterable[str] = (), rules_config: str | None = None) -> None:
    """Raise ConfigError for an outlet folder or rules file that is not there."""
    for directory in outlets_dirs:
        if not Path(directory).is_dir():
            raise ConfigError(f"outlet profiles folder not found: {directory}")
    if rules_config and not Path(rules_config).is_file():
        raise ConfigError(f"rules file not found: {rules_config}")


def preflight(settings: Settings, write: bool = True) -> None:
    """Check what can fail before a run touches anything: the raw location is a folder (or a
    reachable prefix), the output can be written there (``write``), the config paths exist.

    Raises ConfigError or StorageError with a one-line message; nothing is created.
    """
    check_config(settings.outlets_dirs, settings.rules_config)
    if filesystem.is_remote(settings.raw):
        if remote_info(settings.raw, "raw location").type == pafs.FileType.NotFound:
            raise ConfigError(f"raw location not found or empty: {settings.raw}")
    else:
        raw = Path(filesystem.local_root(settings.raw))
        if not raw.exists():
            raise ConfigError(f"raw folder not found: {raw}")
        if not raw.is_dir():
            raise ConfigError(f"raw folder is not a folder: {raw}")
    if filesystem.is_remote(settings.out):
        remote_info(settings.out, "output")
    else:
        _check_local_output(Path(filesystem.local_root(settings.out)), write)




def remote_info(uri: str, what: str) -> pafs.FileInfo:
    """The URI's file info, after checking that its bucket exists and answers."""
    try:
        fs, root = filesystem.filesystem(uri)
    except ValueError as exc:
        raise ConfigError(f"{what} {uri}: {_first_line(exc)}") from exc
    bucket = root.split("/", 1)[0]
    try:
        if fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise StorageError(f"{what} {uri}: bucket {bucket!r} not found")
        return fs.get_file_info(root)
    except StorageError:
        raise
    except OSError as exc:
        raise StorageError(f"{what} {uri}: {_first_line(exc)}") from exc


def _check_local_output(out: Path, write: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output is not a folder: {out}")
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"output is not under a folder: {existing} is a file")
    if write:
        try:  # a real write: permission bits do not tell read-only mounts, nor hold for root
            handle, probe = tempfile.mkstemp(prefix=".decruft-probe-", dir=existing)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            raise StorageError(f"output folder is not writable: {existing} ({exc.strerror or exc})") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

