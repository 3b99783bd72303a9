"""The README's first two commands and its Python snippets stay true."""
from __future__ import annotations

import re

import pytest

from tests.support import PROJECT
from decruft.ingest import Settings, run

README = (PROJECT / "README.md").read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1).strip().splitlines()
    assert README.index("```bash") < README.index("## ")
    assert first_block[0].endswith("decruft ingest") and "pip install -e ." in first_block[0]
    assert first_block[1].endswith("python -m pytest") and '".[dev]"' in first_block[1]
    ci = (PROJECT / ".ci" / "run").read_text()
    assert "-e \".[dev]\"" in ci and "-m pytest" in ci


@pytest.fixture(scope="module")
def ingested_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "raw").symlink_to(PROJECT / "raw")
    run(Settings(raw=str(root / "raw"), out=str(root / "processed")))
    return root


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.splitlines()[0] for s in SNIPPETS])
def test_python_snippets_run(snippet, ingested_project, monkeypatch, capsys):
    monkeypatch.chdir(ingested_project)
    exec(compile(snippet, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip()
