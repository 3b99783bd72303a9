"""The package's layout is its data flow: each stage imports only the stages before it and the
shared modules; the library never imports Prefect or the flows (the CLI composes them); the
flows use only what the library exports."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import PROJECT

SOURCE = PROJECT / "src" / "decruft"
#: The stages in data-flow order; a module may import its own stage and earlier ones.
#: (The records' schema is the contract between the page and the store: any stage may read it.)
STAGES = ("read", "outlets", "extract", "enrich", "page", "store", "ingest", "cli")
CONTRACTS = {"decruft.store.schema"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    if module in CONTRACTS:
        return None
    return parts[1] if len(parts) > 1 and parts[0] == "decruft" and parts[1] in STAGES else None


LIBRARY = sorted(p for p in SOURCE.rglob("*.py") if p.name != "cli.py")


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.relative_to(SOURCE).as_posix())
def test_the_library_never_imports_prefect_or_the_flows(path):
    bad = {m for m in imports(path) if m.split(".")[0] in ("prefect", "prefect_dask", "prefect_ray", "decruft_flows")}
    assert not bad, f"{path.relative_to(PROJECT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", sorted(set(SOURCE.rglob("*.py")) - {SOURCE / "__init__.py"}),
                         ids=lambda p: p.relative_to(SOURCE).as_posix())
def test_a_stage_imports_only_the_stages_before_it(path):
    """(The package's ``__init__`` is its public face: ``decruft.clean`` is the page stage's.)"""
    module = "decruft." + ".".join(path.relative_to(SOURCE).with_suffix("").parts)
    own = stage_of(module)
    if own is None:  # a shared module: it may use no stage at all
        later = {m for m in imports(path) if stage_of(m) is not None}
    else:
        later = {m for m in imports(path) if stage_of(m) and STAGES.index(stage_of(m)) > STAGES.index(own)}
    assert not later, f"{module} ({own or 'shared'}) imports {sorted(later)}"


def test_the_flows_use_only_what_the_library_exports():
    import decruft.ingest

    allowed = {"decruft.ingest": set(decruft.ingest.__all__), "decruft.models": {"MB"}}
    for path in sorted((PROJECT / "flows").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("decruft."):
                names = {alias.name for alias in node.names}
                assert names <= allowed.get(node.module, set()), f"{path.name} imports {node.module}: {sorted(names)}"
