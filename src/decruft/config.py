"""Configuration files: one error class and one reader for every TOML file decruft reads (the
settings, rule files, outlet profiles), so each refuses a bad file the same way, naming it."""
from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file or setting that cannot work; the message names the file and key."""


def read_toml(path: Path, what: str, error: type[ConfigError] = ConfigError) -> dict[str, Any]:
    """The parsed file, or ``error`` naming it (missing, unreadable, not UTF-8, invalid TOML)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what}: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML in {what} ({exc})") from exc


def check_keys(path: Path, data: dict[str, Any], allowed: Iterable[str], required: Iterable[str] = (),
               where: str = "", error: type[ConfigError] = ConfigError) -> None:
    """Refuse missing and unknown keys (a typo must not be silently ignored)."""
    allowed, required = set(allowed), list(required)
    prefix = f"{path}: {where}" if where else f"{path}: "
    missing = [key for key in required if key not in data]
    if missing:
        raise error(f"{prefix}missing keys: {', '.join(missing)}")
    unknown = sorted(set(data) - allowed - set(required))
    if unknown:
        raise error(f"{prefix}unknown keys: {', '.join(unknown)} (expected {', '.join(sorted(allowed | set(required)))})")


def string_list(path: Path, key: str, value: Any, error: type[ConfigError] = ConfigError) -> tuple[str, ...]:
    """A TOML list of non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise error(f"{path}: '{key}' must be a list of non-empty strings")
    return tuple(value)
