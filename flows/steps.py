"""Deployment pull steps for prefect.yaml.

A ``process`` worker starts each flow run in a fresh temporary directory, so a deployment needs
a pull step that says where the project is. ``use_project_directory`` picks, in order:

1. ``DECRUFT_PROJECT_DIR``, when set in the worker's environment;
2. the directory the worker was started in (``$PWD``), when it holds this project;
3. the project this worker's ``decruft_flows`` package (the flows/ folder) was installed from (an editable install).

So ``prefect worker start --pool decruft`` from the root of any clone runs the flows of that
clone, and relative paths such as ``raw`` and ``processed`` are relative to that root.
"""
from __future__ import annotations

import os
from pathlib import Path

MARKER = Path("flows", "ingest.py")


def use_project_directory() -> dict[str, str]:
    """Change into the project directory; returns it as ``{"directory": ...}`` for later steps."""
    candidates = [os.environ.get("DECRUFT_PROJECT_DIR"), os.environ.get("PWD"),
                  str(Path(__file__).resolve().parents[1])]
    for candidate in filter(None, candidates):
        path = Path(candidate).expanduser().resolve()
        if (path / MARKER).is_file():
            os.chdir(path)
            return {"directory": str(path)}
    raise FileNotFoundError(
        "cannot find the decruft project for this flow run: start the worker from the project's "
        f"root or set DECRUFT_PROJECT_DIR (tried {', '.join(filter(None, candidates))})")
