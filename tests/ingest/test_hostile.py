"""Hostile input: files made to crash, stall or fail a run. Each is a reject with its reason (or
an article), ``decruft.clean`` returns for every one, and a run over all of them plus good pages
ingests the good pages and goes on. The files are made here, the large ones generated."""
from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import RAW, SEED_NAMES, SHARED_EVAL, response, warc_record
from decruft import clean
from decruft.store.dataset import Dataset
from tests.ingest.test_bad_input import ARTICLE, outcomes
SEED = (RAW / SEED_NAMES[0]).read_text(encoding="utf-8")
HTML_PAGE = (RAW / "polygraph_fact_check_al_tanf.html").read_text(encoding="utf-8")
PARAGRAPH = ("The council met on Tuesday evening to discuss the budget, and members agreed that the "
             "library would stay open for another year while the new building is planned.")
NON_TEXT_CODECS = ("zlib", "base64", "hex", "rot13", "bz2", "uu", "quopri", "punycode")


_WORDS = ("council budget library river bridge school mayor voters harbour festival museum rail "
          "tunnel hospital farmers market election teachers storm coast village engineers").split()


def seed_page(tag: str) -> str:
    """An article of its own: pages sharing lines would teach the scan those lines as boilerplate."""
    rng = random.Random(tag)
    title = " ".join(rng.choice(_WORDS).title() for _ in range(6))
    paragraphs = [" ".join(rng.choice(_WORDS) for _ in range(30)).capitalize() + "." for _ in range(6)]
    return "\n\n".join([title, *paragraphs])


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def ascii_page(head: str) -> bytes:
    return (head + "<html><body>" + f"<p>{PARAGRAPH}</p>" * 5 + "</body></html>").encode("ascii")


def jsonl(*values: dict | str) -> bytes:
    return b"".join((v if isinstance(v, str) else json.dumps(v)).encode() + b"\n" for v in values)


def many_empty_gzip_members(count: int) -> bytes:
    return gzip.compress(b"", mtime=0) * count


def warc_only_requests() -> bytes:
    request = b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n"
    return (warc_record("request", "https://example.test/", request, "application/http; msgtype=request")
            + warc_record("metadata", "https://example.test/", b"fetchTimeMs: 12\r\n", "application/warc-fields"))


def warc_negative_chunk() -> bytes:
    return response("https://example.test/a", b"-5\r\nabcde\r\n0\r\n\r\n", extra="Transfer-Encoding: chunked\r\n")


def warc_gzip_bomb() -> bytes:
    bomb = gzip.compress(b"<html>" + b" " * (25 * 1024 * 1024), compresslevel=9)
    return response("https://example.test/b", bomb, extra="Content-Encoding: gzip\r\n")


def separator_page() -> bytes:
    """A 2012 blog page: a separator line of many dashes kept as a body line."""
    separator = "—" * 3000 + "–"
    return "\n\n".join(["My holiday in Wales", separator, *[PARAGRAPH] * 6, separator, "Posted by Ann"]).encode()


def deep_jsonld_page() -> bytes:
    script = '<script type="application/ld+json">{"@graph": ' + nested_json(5000) + "}</script>"
    return HTML_PAGE.replace("<head>", "<head>" + script, 1).encode()


def long_domain_url() -> str:
    return "https://" + ".".join(["a" * 60] * 4) + ".com/story"


# file name -> (content, expected outcomes of the file in a run)
CASES: dict[str, tuple[Callable[[], bytes], set[str]]] = {
    **{f"xml_{codec}.html": (lambda c=codec: ascii_page(f'<?xml version="1.0" encoding="{c}"?>'), {"decode_error"})
       for codec in NON_TEXT_CODECS},
    "meta_base64.html": (lambda: ascii_page('<meta charset="base64">'), {"decode_error"}),
    "charset_number.jsonl": (lambda: jsonl({"charset": 8, "text": seed_page("number")}), {ARTICLE}),
    "charset_list.jsonl": (lambda: jsonl({"charset": ["utf-8"], "text": seed_page("list")}), {ARTICLE}),
    "deep.jsonl": (lambda: jsonl('{"a": ' + nested_json(100_000) + "}", {"text": seed_page("deep")}), {"parse_error", ARTICLE}),
    "long_domain.jsonl": (lambda: jsonl({"url": long_domain_url(), "text": seed_page("domain")}), {ARTICLE}),
    "one_field_lines.jsonl": (lambda: b'{"a": 1}\n' * 300_000, {"empty", "too_many_rejects"}),
    "negative_chunk.warc": (warc_negative_chunk, {"parse_error"}),
    "gzip_bomb_body.warc": (warc_gzip_bomb, {"decompression_limit"}),
    "only_requests.warc": (warc_only_requests, {"no_content"}),
    "empty_members.txt.gz": (lambda: many_empty_gzip_members(50_000), {"empty"}),
    "control_after_block.html": (lambda: b"<html><body><div>Hello</div>\x01 there<p>x</p></body></html>",
                                 {"no_content"}),
    "deep_jsonld.html": (deep_jsonld_page, {ARTICLE}),
    "separator_lines.txt": (separator_page, {ARTICLE}),
    "n" * 251 + ".txt": (lambda: seed_page("long name").encode(), {ARTICLE}),  # 255 bytes: its sidecar names are too long
}
# pages with a sidecar: file name -> (sidecar, expected outcome)
SIDECARS = {
    "sidecar_charset_number.txt": ('{"charset": 5, "url": "https://example.test/x"}', ARTICLE),
    "sidecar_charset_list.txt": ('{"charset": ["utf-8", 1]}', ARTICLE),
    "sidecar_deep.txt": ('{"title": ' + nested_json(100_000) + "}", ARTICLE),
}
BAD_NAME = b"bad_\xff\xfe.txt"


def write_corpus(raw: Path) -> dict[str, set[str]]:
    """The hostile files and the seed pages under raw; the expected outcomes by file."""
    raw.mkdir(parents=True, exist_ok=True)
    for name in SEED_NAMES:
        shutil.copy(RAW / name, raw / name)
    sidecar = RAW / f"{SEED_NAMES[2]}.meta.json"
    if sidecar.exists():
        shutil.copy(sidecar, raw / sidecar.name)
    expected = {name: {ARTICLE} for name in SEED_NAMES}
    for name, (make, outcome) in CASES.items():
        (raw / name).write_bytes(make())
        expected[name] = outcome
    for name, (meta, outcome) in SIDECARS.items():
        (raw / name).write_text(seed_page(name), encoding="utf-8")
        (raw / f"{name}.meta.json").write_text(meta, encoding="utf-8")
        expected[name] = {outcome}
    with open(os.path.join(os.fsencode(raw), BAD_NAME), "wb") as handle:
        handle.write(seed_page("bad name").encode())
    expected[BAD_NAME.decode("utf-8", "backslashreplace")] = {"bad_file_name"}
    return expected


def outcome_of(record: dict) -> str:
    return record["reject"]["reason"] if record.get("reject") else ARTICLE


@pytest.mark.parametrize("name", [n for n in CASES if n != "one_field_lines.jsonl"])
def test_clean_returns_the_expected_outcome_for_every_hostile_file(name):
    make, outcome = CASES[name]
    started = time.perf_counter()
    record = clean(make(), name=name)
    assert time.perf_counter() - started < 20  # a bound on a hang, not a speed goal
    first = {"deep.jsonl": "parse_error", "one_field_lines.jsonl": "empty"}.get(name)
    assert outcome_of(record) == (first or next(iter(outcome)))


@pytest.mark.parametrize("charset", [5, 1.5, ["utf-8"], {"name": "utf-8"}, None, "base64"])
def test_clean_takes_any_charset_in_metadata(charset):
    record = clean(SEED.encode(), name="page.txt", metadata={"charset": charset})
    assert outcome_of(record) == ARTICLE


@pytest.mark.parametrize("text", [SEED.replace("\n\n", "\n\n\ud800 lone\n\n", 1), "\udfff" * 50, "a\udc80b"])
def test_clean_takes_str_with_lone_surrogates(text):
    record = clean(text, name="page.txt")
    assert isinstance(record["body"], str)


def test_lone_surrogates_in_json_metadata_become_question_marks():
    record = clean(jsonl({"title": "Bad \\ud800 title", "text": SEED}).replace(b"\\\\", b"\\"), name="s.jsonl")
    assert record["title"] == "Bad ? title"


@pytest.mark.skipif(not (SHARED_EVAL / "dragnet-dev.text.jsonl.gz").exists(), reason="needs ../shared/eval")
def test_the_dev_page_that_hung_is_cleaned():
    from decruft.evaluation import read_corpus
    from decruft.extract.text import clean_text

    page = next(r for r in read_corpus(SHARED_EVAL / "dragnet-dev.text.jsonl.gz") if r["id"].endswith("T59"))
    started = time.perf_counter()
    assert clean_text(page["text"]).body
    assert time.perf_counter() - started < 20  # it ran for ever before


def test_a_script_without_a_main_guard_fails_at_once_with_the_reason(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW / SEED_NAMES[0], raw)
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        from decruft.ingest import Settings, run
        run(Settings(raw={str(raw)!r}, out={str(tmp_path / "out")!r}))
    """))
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=100)
    assert time.perf_counter() - started < 60
    assert result.returncode != 0
    assert 'if __name__ == "__main__":' in result.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, prefect_server):
    """``decruft ingest`` over the corpus, its output inside the raw folder, run twice."""
    from decruft.cli import main

    raw = tmp_path_factory.mktemp("hostile") / "raw"
    expected = write_corpus(raw)
    out = raw / "processed"
    argv = ["ingest", "--raw", str(raw), "--out", str(out), "--no-progress", "--batch-files", "10"]
    statuses = [main(argv), main(argv)]
    return expected, out, statuses


def test_ingest_exits_0_and_every_file_has_its_expected_outcome(hostile_run):
    expected, out, statuses = hostile_run
    assert statuses == [0, 0]
    assert outcomes(out) == expected  # nothing of the output folder was read as raw input, no timeouts


def test_the_second_run_adds_no_row(hostile_run):
    _, out, _ = hostile_run
    dataset = Dataset(out)
    articles = dataset.articles().column("doc_id").to_pylist()
    assert len(articles) == len(set(articles))
    rejects = [(r["source_path"], r["reason"]) for r in dataset.rejects().to_pylist()]
    assert len(rejects) == len(set(rejects))
