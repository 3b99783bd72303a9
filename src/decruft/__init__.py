"""decruft: clean raw scraped news pages into documented Parquet datasets."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("decruft")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["clean", "__version__"]


def __getattr__(name: str):
    """``decruft.clean`` without importing the whole pipeline for users of single modules."""
    if name == "clean":
        from decruft.page import clean

        return clean
    raise AttributeError(f"module 'decruft' has no attribute {name!r}")
