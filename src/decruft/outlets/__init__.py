"""The outlet registry: who published a page, from metadata, folder, URL or text.

Outlets are data: one TOML file per outlet under ``profiles/<country>/``. Loading
validates every file and fails loudly (``RegistryError`` naming the file) on a
duplicate id, domain or alias, an unknown time zone, a bad regex or a missing key,
so a typo in a profile never silently degrades resolution.
"""
from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from decruft.config import ConfigError, check_keys, read_toml, string_list
from decruft.models import CruftPattern, OutletProfile
from decruft.reasons import LineReason
from decruft.regex import Leftmost, Pattern, UnsupportedPattern

__all__ = [
    "OutletResolution",
    "Registry",
    "RegistryError",
    "PROFILES_DIR",
    "load_registry",
    "registered_domain",
    "given_outlet_id",
]

PROFILES_DIR = Path(__file__).parent / "profiles"

REQUIRED_KEYS = ("id", "name", "domains", "country", "languages", "timezone")
OPTIONAL_KEYS = (
    "aliases",
    "fingerprints",
    "cruft",
    "credit_patterns",
    "byline_patterns",
    "date_formats",
    "day_first",
)

# Public suffixes with two labels under which names are registered (a small list,
# enough for news sites; not the full Public Suffix List).
SECOND_LEVEL_SUFFIXES = frozenset(
    f"{second}.{top}"
    for top, seconds in {
        "uk": ("co", "org", "ac", "gov", "ltd", "me", "net", "plc"),
        "au": ("com", "net", "org", "edu", "gov", "id"),
        "nz": ("co", "net", "org", "govt", "ac"),
        "jp": ("co", "ne", "or", "ac", "go"),
        "kr": ("co", "or", "ne", "go", "ac"),
        "in": ("co", "net", "org", "gov", "ac", "nic"),
        "za": ("co", "org", "gov", "ac", "net"),
        "br": ("com", "net", "org", "gov", "jor"),
        "ar": ("com", "net", "org", "gob"),
        "mx": ("com", "net", "org", "gob"),
        "cn": ("com", "net", "org", "gov"),
        "hk": ("com", "net", "org", "gov", "edu"),
        "sg": ("com", "net", "org", "gov", "edu"),
        "tw": ("com", "net", "org", "gov"),
        "tr": ("com", "net", "org", "gov"),
        "il": ("co", "org", "net", "gov", "ac"),
        "ua": ("com", "net", "org", "gov"),
        "pk": ("com", "net", "org", "gov"),
        "ng": ("com", "net", "org", "gov"),
        "eg": ("com", "net", "org", "gov"),
        "my": ("com", "net", "org", "gov"),
        "ph": ("com", "net", "org", "gov"),
        "id": ("co", "or", "go", "ac", "web"),
        "th": ("co", "or", "go", "ac", "in"),
        "ke": ("co", "or", "go", "ac"),
        "co": ("com", "net", "org", "gov"),
        "pe": ("com", "net", "org", "gob"),
        "ve": ("com", "net", "org", "gob"),
    }.items()
    for second in seconds
)

# How many characters of each end of a text the fingerprints look at: outlet
# chrome (skip links, sign-up boxes, footers) lives there, and bounding the scan
# keeps text resolution fast on long pages.
FINGERPRINT_WINDOW = 4000


class RegistryError(ConfigError):
    """A profile file is invalid or conflicts with another one."""


@dataclass(frozen=True)
class OutletResolution:
    """Which outlet a page belongs to and what evidence decided it."""

    profile: OutletProfile | None
    outlet_id: str | None
    source: str  # 'metadata' | 'folder' | 'url' | 'text' | 'unknown'
    name: str | None = None  # the outlet's name as given, when no profile has it


def name_key(name: str) -> str:
    """Fold a name for matching: case, accents, punctuation and spaces do not count."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def host_of(url: str) -> str | None:
    """The lower-case host name of a URL or bare domain, without port or 'www.'."""
    text = url.strip()
    if not text:
        return None
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


def registered_domain(url: str) -> str | None:
    """The name a registrant owns (``news.example.co.uk`` -> ``example.co.uk``)."""
    host = host_of(url)
    if host is None:
        return None
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return host
    labels = host.split(".")
    keep = 3 if ".".join(labels[-2:]) in SECOND_LEVEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def given_outlet_id(name: str) -> str | None:
    """The id of an outlet named by metadata but not registered: a host name as given
    (``blogs.example.com``, not folded into ``example.com``), else the name as a slug."""
    text = name.strip()
    if "." in text and " " not in text:
        host = host_of(text)
        if host is not None:
            return host
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", folded).strip("-")
    return slug or None


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class Registry:
    """Outlet profiles with indexes for lookup by name, domain and text."""

    def __init__(self, profiles: Iterable[OutletProfile]) -> None:
        self._by_id: dict[str, OutletProfile] = {}
        for profile in profiles:
            self._by_id[profile.id] = profile
        self._by_domain = _index_domains(self._by_id.values())
        self._by_key = _index_names(self._by_id.values())
        self._fingerprinted = [p for p in self._by_id.values() if p.fingerprints]
        self._fingerprints = (Leftmost([[f.pattern for f in p.fingerprints] for p in self._fingerprinted])
                              if self._fingerprinted else None)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[OutletProfile]:
        return iter(self._by_id.values())

    def __contains__(self, outlet_id: object) -> bool:
        return outlet_id in self._by_id

    def get(self, outlet_id: str) -> OutletProfile | None:
        """The profile with exactly this id."""
        return self._by_id.get(outlet_id)

    def lookup(self, name: str) -> OutletProfile | None:
        """Any id, alias, name or domain, ignoring case, accents and punctuation."""
        key = name_key(name)
        if not key:
            return None
        profile = self._by_key.get(key) or self._by_key.get(key.removeprefix("the"))
        if profile is None and "." in name and " " not in name.strip():
            profile = self.from_url(name)
        return profile

    def from_url(self, url: str) -> OutletProfile | None:
        """The outlet owning the URL's host or one of its parent domains."""
        host = host_of(url)
        if host is None:
            return None
        labels = host.split(".")
        for start in range(len(labels) - 1):
            profile = self._by_domain.get(".".join(labels[start:]))
            if profile is not None:
                return profile
        return None

    def from_text(self, text: str) -> OutletProfile | None:
        """The outlet whose fingerprint appears near the start or end of the text."""
        if self._fingerprints is None or not text:
            return None
        if len(text) <= 2 * FINGERPRINT_WINDOW:
            windows = (text,)
        else:
            windows = (text[:FINGERPRINT_WINDOW], text[-FINGERPRINT_WINDOW:])
        for window in windows:
            owner = self._fingerprints.group(window)
            if owner is not None:
                return self._fingerprinted[owner]
        return None

    def resolve(
        self,
        *,
        metadata: str | None = None,
        folder: str | None = None,
        url: str | None = None,
        text: str | None = None,
        sitename: str | None = None,
    ) -> OutletResolution:
        """Decide the outlet from the most reliable evidence available.

        Preference: a registered outlet named by metadata (given with the page) or by the
        page's own ``sitename``, the storage folder, the URL; then an unregistered outlet
        the metadata names, kept as given (a syndicated copy names its publisher, whatever
        the text says; a subdomain stays a subdomain); then text fingerprints. An unknown
        outlet with a URL is named by its registered domain so records still group by site.
        """
        for source, value, finder in (
            ("metadata", metadata, self.lookup),
            ("metadata", sitename, self.lookup),
            ("folder", folder, self.lookup),
            ("url", url, self.from_url),
        ):
            profile = finder(value) if value else None
            if profile is not None:
                return OutletResolution(profile, profile.id, source)
        given = given_outlet_id(metadata) if metadata else None
        if given is not None:
            return OutletResolution(None, given, "metadata", " ".join(metadata.split()))
        profile = self.from_text(text) if text else None
        if profile is not None:
            return OutletResolution(profile, profile.id, "text")
        domain = registered_domain(url) if url else None
        if domain is not None:
            return OutletResolution(None, domain, "url")
        return OutletResolution(None, None, "unknown")


def _index_domains(profiles: Iterable[OutletProfile]) -> dict[str, OutletProfile]:
    return {domain: profile for profile in profiles for domain in profile.domains}


def _index_names(profiles: Iterable[OutletProfile]) -> dict[str, OutletProfile]:
    """Name keys to profiles: ids, names and aliases, and domains where no name claims the key."""
    index: dict[str, OutletProfile] = {}
    for profile in profiles:
        for domain in profile.domains:
            index.setdefault(name_key(domain), profile)
    for profile in profiles:
        for name in (profile.id, profile.name, *profile.aliases):
            index[name_key(name)] = profile
    return index


# --- loading -----------------------------------------------------------------


def _fail(path: Path, message: str) -> RegistryError:
    return RegistryError(f"{path}: {message}")


def _compile_all(path: Path, key: str, patterns: Any) -> tuple[Pattern, ...]:
    """Patterns matched by RE2 in linear time; one RE2 cannot run is refused, naming the file."""
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise _fail(path, f"'{key}' must be a list of strings")
    compiled = []
    for pattern in patterns:
        try:
            regex = Pattern(pattern)
        except re.error as exc:
            raise _fail(path, f"bad regex in '{key}': {pattern!r} ({exc})") from exc
        except UnsupportedPattern as exc:
            raise _fail(path, f"regex in '{key}' uses {exc}, which linear-time matching does not "
                              f"support: {pattern!r}") from exc
        compiled.append(regex)
    return tuple(compiled)


_LINE_REASONS = frozenset(reason.value for reason in LineReason)


def _cruft(path: Path, tables: Any) -> tuple[CruftPattern, ...]:
    if not isinstance(tables, list):
        raise _fail(path, "'cruft' must be an array of tables ([[cruft]])")
    patterns = []
    for table in tables:
        if not isinstance(table, dict) or not isinstance(table.get("reason"), str):
            raise _fail(path, "each [[cruft]] table needs a 'reason' string and 'patterns'")
        if table["reason"] not in _LINE_REASONS:
            raise _fail(path, f"unknown cruft reason {table['reason']!r}: use one of {', '.join(sorted(_LINE_REASONS))}")
        for regex in _compile_all(path, "cruft.patterns", table.get("patterns")):
            patterns.append(CruftPattern(LineReason(table["reason"]), regex))
    return tuple(patterns)


def _check_timezone(path: Path, name: Any) -> str:
    if not isinstance(name, str):
        raise _fail(path, "'timezone' must be a string")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise _fail(path, f"unknown time zone {name!r}") from exc
    return name


def profile_from_mapping(data: Mapping[str, Any], path: Path) -> OutletProfile:
    """Validate one parsed TOML document and build its profile."""
    check_keys(path, dict(data), OPTIONAL_KEYS, required=REQUIRED_KEYS, error=RegistryError)
    for key in ("id", "name", "country"):
        if not isinstance(data[key], str) or not data[key]:
            raise _fail(path, f"'{key}' must be a non-empty string")
    if not re.fullmatch(r"[A-Z]{2}", data["country"]):
        raise _fail(path, f"'country' must be an ISO 3166 alpha-2 code, got {data['country']!r}")
    day_first = data.get("day_first", True)
    if not isinstance(day_first, bool):
        raise _fail(path, "'day_first' must be true or false")
    return OutletProfile(
        id=data["id"],
        name=data["name"],
        domains=tuple(d.lower() for d in string_list(path, "domains", data["domains"], RegistryError)),
        aliases=string_list(path, "aliases", data.get("aliases", []), RegistryError),
        country=data["country"],
        languages=string_list(path, "languages", data["languages"], RegistryError),
        timezone=_check_timezone(path, data["timezone"]),
        fingerprints=_compile_all(path, "fingerprints", data.get("fingerprints", [])),
        cruft=_cruft(path, data.get("cruft", [])),
        credit_patterns=_compile_all(path, "credit_patterns", data.get("credit_patterns", [])),
        byline_patterns=_compile_all(path, "byline_patterns", data.get("byline_patterns", [])),
        date_formats=string_list(path, "date_formats", data.get("date_formats", []), RegistryError),
        day_first=day_first,
        source_file=str(path),
    )


def load_profile(path: Path) -> OutletProfile:
    """Read and validate one profile file."""
    return profile_from_mapping(read_toml(path, "outlet profile", RegistryError), path)


def _load_dir(directory: Path) -> list[OutletProfile]:
    """All profiles under one directory, with no duplicate id, domain or alias."""
    profiles = [load_profile(path) for path in sorted(directory.rglob("*.toml"))]
    _check_unique(profiles)
    return profiles


def _check_unique(profiles: Sequence[OutletProfile]) -> None:
    seen: dict[str, OutletProfile] = {}
    for profile in profiles:
        keys = {("id", profile.id)}
        keys |= {("domain", d) for d in profile.domains}
        keys |= {("name", name_key(n)) for n in (profile.name, *profile.aliases)}
        for kind, value in sorted(keys):
            other = seen.get(f"{kind}:{value}")
            if other is not None and other is not profile:
                raise RegistryError(
                    f"{profile.source_file}: duplicate {kind} {value!r} "
                    f"(also in {other.source_file})"
                )
            seen[f"{kind}:{value}"] = profile


def load_registry(extra_dirs: Sequence[Path] = ()) -> Registry:
    """The built-in outlets, plus or overridden (by id) by profiles in ``extra_dirs``."""
    if not extra_dirs:
        return _default_registry()
    merged = {profile.id: profile for profile in _load_dir(PROFILES_DIR)}
    for directory in extra_dirs:
        merged.update((profile.id, profile) for profile in _load_dir(Path(directory)))
    _check_unique(list(merged.values()))
    return Registry(merged.values())


@lru_cache(maxsize=1)
def _default_registry() -> Registry:
    return Registry(_load_dir(PROFILES_DIR))
