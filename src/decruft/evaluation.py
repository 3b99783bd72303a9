"""Read an evaluation corpus and its scorer (the format of the shared extraction benchmark).

Corpora are JSON lines (optionally gzipped) with ``id``, ``url``, ``text`` or ``html`` and
``gold_text``; the scorer is a ``score.py`` script beside the data, imported by path.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from types import ModuleType

#: Where the development split sits relative to a project checkout.
DEFAULT_EVAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "eval"


def load_scorer(path: Path) -> ModuleType:
    """Import score.py by path: it is a script beside the data, not an installed module."""
    spec = importlib.util.spec_from_file_location("eval_score", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"cannot import the scorer at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_corpus(path: Path) -> list[dict]:
    """Every page of a JSON-lines corpus, gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
