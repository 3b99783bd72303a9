"""decruft: clean raw scraped news pages into documented Parquet datasets."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("decruft")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
