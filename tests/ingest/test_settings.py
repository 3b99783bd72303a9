"""One settings object: the packaged defaults, a settings file on top, explicit options on top
of that; through the library, the CLI and the flow, and kept with the dataset."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from decruft.cli import ExitCode, main
from decruft.config import ConfigError
from decruft.extract.text import Tuning
from decruft.ingest import Settings, load_settings, run
from decruft.ingest.settings import default_options
from decruft.ingest.state import run_settings
from decruft.models import MB
from tests.support import RAW, SEED_NAMES


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_packaged_defaults_are_the_code_defaults():
    assert load_settings() == Settings()
    assert set(default_options()) == {"ingest", "limits", "output", "text", "html", "learnt"}


def test_a_file_sets_keys_and_options_win_over_it(tmp_path):
    config = write(tmp_path / "decruft.toml", '[ingest]\nbatch_files = 7\nbatch_mb = 3\nexclude = ["*.gz"]\n'
                   '[limits]\ndoc_timeout = 5\n[output]\npartition_by = "none"\npart_mb = 16\n'
                   '[text]\nheader_window = 4\nhard_barriers = ["comments"]\n')
    settings = load_settings(config, batch_files=9)
    assert (settings.batch_files, settings.batch_bytes, settings.exclude) == (9, 3 * MB, ("*.gz",))
    assert settings.limits.document_timeout_s == 5.0 and settings.layout.partition_by == ()
    assert settings.layout.part_bytes == 16 * MB
    assert settings.text == Tuning(header_window=4, hard_barriers=frozenset({"comments"}))
    assert settings.raw == "raw"  # not in the file: the default


@pytest.mark.parametrize("text, message", [
    ("[ingest]\nbatch_files = 0\n", "batch_files must be a positive number"),
    ("[ingest]\nbatch_files = \"many\"\n", r"\[ingest\] batch_files must be an integer"),
    ("[ingest]\nbatch_file = 5\n", r"\[ingest\] unknown key 'batch_file'"),
    ("[inges]\nbatch_files = 5\n", r"unknown section \[inges\]"),
    ("[limits]\nmax_file_mb = -1\n", "max_file_bytes must be a positive number"),
    ("[output]\npartition_by = \"site\"\n", "partition columns must be"),
    ("[text]\nprose_min_words = true\n", "must be an integer"),
    ("[ingest\n", "invalid TOML"),
])
def test_a_bad_settings_file_is_refused_naming_file_and_key(tmp_path, text, message):
    config = write(tmp_path / "mine.toml", text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(config)
    assert "mine.toml" in str(info.value)


def test_a_missing_settings_file_is_a_usage_error(tmp_path, capsys):
    code = main(["ingest", "--config", str(tmp_path / "none.toml"), "--raw", str(RAW), "--out", str(tmp_path / "o")])
    assert code == ExitCode.USAGE and "none.toml: cannot read settings" in capsys.readouterr().err


@given(st.builds(dict, batch_files=st.integers(1, 10**6), chunk_rows=st.integers(1, 10**6),
                 partition_by=st.sampled_from(["none", "outlet", "year_month", "outlet,year_month"]),
                 doc_timeout=st.floats(0.5, 1e4), prose_min_words=st.integers(1, 50),
                 include=st.lists(st.text(min_size=1, max_size=8), max_size=3)))
@hypothesis_settings(max_examples=40, deadline=None)
def test_settings_round_trip_through_their_options(options):
    settings = load_settings(**options)
    assert load_settings(**settings.options()) == settings


def test_the_cli_ingests_with_a_settings_file_and_the_dataset_keeps_it(seed_raw, tmp_path, capsys):
    out = tmp_path / "out"
    config = write(tmp_path / "decruft.toml", f'[ingest]\nraw = "{seed_raw}"\nout = "{out}"\n'
                   '[output]\npartition_by = "year_month"\n[text]\nheader_window = 6\n')
    assert main(["ingest", "--config", str(config), "--no-progress", "-q"]) == ExitCode.DONE
    folders = {p.parent.relative_to(out / "articles").as_posix() for p in (out / "articles").rglob("*.parquet")}
    assert folders and all(f.startswith("year_month=") for f in folders)
    assert sum(pq.read_metadata(p).num_rows for p in (out / "articles").rglob("*.parquet")) == len(SEED_NAMES)
    recorded = json.loads((out / "_state" / "run.json").read_text())["settings"]
    assert recorded["header_window"] == 6 and recorded["partition_by"] == "year_month"
    assert run_settings(str(out)).text.header_window == 6  # what clean/explain --out clean with


def test_a_threshold_change_redoes_every_file(seed_raw, tmp_path):
    out = str(tmp_path / "out")
    run(Settings(raw=str(seed_raw), out=out))
    assert run(Settings(raw=str(seed_raw), out=out)).new == 0
    again = run(load_settings(raw=str(seed_raw), out=out, header_window=6))
    assert again.new == len(SEED_NAMES)


def test_the_text_thresholds_reach_the_cleaner(tmp_path):
    """Every prose line needing 500 words: the seed's article loses its paragraphs' weight."""
    import decruft

    page = (RAW / SEED_NAMES[0]).read_bytes()
    default = decruft.clean(page, name=SEED_NAMES[0], context=load_settings().context())
    config = write(tmp_path / "strict.toml", "[text]\nprose_min_words = 500\nlong_prose_min_words = 500\n")
    strict = decruft.clean(page, name=SEED_NAMES[0], context=load_settings(config).context())
    assert default["body"] and strict["body"] != default["body"]


def test_the_html_thresholds_reach_the_extractor():
    """With no header zone, the page's repeated headline is no longer taken out of the body."""
    import decruft

    prose = "The council met on Tuesday evening and approved the budget for the new library building. " * 3
    title = "Council approves the new library budget"
    html = (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            + f"<p>{prose}</p>" * 3 + "</article></body></html>")
    default = decruft.clean(html, name="p.html", context=load_settings().context())
    no_zone = decruft.clean(html, name="p.html", context=load_settings(header_zone_lines=0).context())
    assert not default["body"].startswith(title) and no_zone["body"].startswith(title)


def test_the_learnt_table_thresholds_reach_the_learning(tmp_path):
    """Four pages of one folder share a furniture line: learnt by default, not when a line must
    recur in a thousand documents."""
    raw = tmp_path / "raw" / "example"
    raw.mkdir(parents=True)
    topics = ["harbour", "library", "railway", "hospital"]
    for n, topic in enumerate(topics):
        prose = " ".join(f"The {topic} plan, day {d}: {topic} critics and {topic} backers met the {topic} board."
                         for d in range(8))  # every shingle names the topic: no two pages are near-copies
        (raw / f"{n}.txt").write_text(f"Our weekly local briefing\n{topic.title()} plan debated\n{prose}\n", encoding="utf-8")
    learnt = {}
    for min_docs in (2, 1000):
        out = tmp_path / f"out-{min_docs}"
        run(load_settings(raw=str(tmp_path / "raw"), out=str(out), min_docs=min_docs))
        learnt[min_docs] = json.loads((out / "_state" / "learnt.json").read_text())["boilerplate"]
    assert any(learnt[2].values()) and not any(learnt[1000].values())
