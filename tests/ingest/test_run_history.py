"""Same raw files, same dataset: run history, re-runs, edits, moves, near-copies and kills at any
moment never change or lose an article."""
from __future__ import annotations

import multiprocessing
import os
import random
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support import RAW, SEED_NAMES
from decruft import cli
from decruft.store.dataset import Dataset, DatasetLockedError
from decruft.ingest import Settings, run
from decruft.page import doc_id_for

FIELDS = ("doc_id", "title", "body", "published_date", "published_at", "authors", "duplicate_of")
FORK = multiprocessing.get_context("fork")
DW_SEED = "000_904ced13eeab3ba9.txt"


def ingest(raw: Path, out: Path, **options) -> None:
    run(Settings(raw=str(raw), out=str(out), batch_files=3, **options))


def rows(out: Path) -> dict[str, tuple]:
    """Articles by source path, with the fields a run must reproduce; no doc_id twice."""
    table = Dataset(out).articles()
    records = table.to_pylist() if table is not None else []
    ids = [r["doc_id"] for r in records]
    assert len(ids) == len(set(ids)), "a doc_id is visible twice"
    return {r["source_path"]: tuple(r[f] for f in FIELDS) for r in records}


def rejects(out: Path) -> dict[str, str]:
    table = Dataset(out).rejects()
    return {r["source_path"]: r["reason"] for r in (table.to_pylist() if table is not None else [])}


def fresh(raw: Path, tmp: Path) -> tuple[dict, dict]:
    """The rows of one run over raw into a new output."""
    out = tmp / f"fresh-{time.monotonic_ns()}"
    ingest(raw, out)
    return rows(out), rejects(out)


def dw_page(n: int, day: int) -> str:
    """A DW-style page: the seed's menus and footer around an article of its own."""
    rng = random.Random(n)
    words = re.findall(r"[a-z]{4,}", (RAW / DW_SEED).read_text().lower())
    body = [" ".join(rng.choice(words) for _ in range(40)).capitalize() + "." for _ in range(4)]
    return "\n".join(["1. Skip to content", "  2. Skip to main menu", "  3. Skip to more DW sites", "Conflicts", "",
                      f"Story {n}: {' '.join(rng.choice(words) for _ in range(6))}", "",
                      f"November {day}, 2016", "", *body, "", "mkg/rc (Reuters, AFP, dpa, AP)", "",
                      "Date 12.11.2016", "Keywords Syria", "Share", "Send Facebook Twitter", "Print"])


def test_rows_are_the_same_after_ten_runs_and_two_reprocesses(seed_raw, tmp_path):
    out = tmp_path / "out"
    ingest(seed_raw, out)
    first = rows(out)
    assert len(first) == len(SEED_NAMES)
    for _ in range(9):
        ingest(seed_raw, out)
    for _ in range(2):
        ingest(seed_raw, out, reprocess=True)
    assert rows(out) == first


def test_six_distinct_articles_of_one_month_keep_their_dates(tmp_path):
    raw = tmp_path / "raw" / "dw"
    raw.mkdir(parents=True)
    for n, day in enumerate((3, 4, 7, 9, 12, 15)):
        (raw / f"story{n}.txt").write_text(dw_page(n, day))
    out = tmp_path / "out"
    for _ in range(3):
        ingest(raw.parent, out)
    dates = {path: row[FIELDS.index("published_date")] for path, row in rows(out).items()}
    assert sorted(d.day for d in dates.values()) == [3, 4, 7, 9, 12, 15]
    table = Dataset(out).articles().to_pylist()
    assert all("Skip to main menu" not in r["body"] for r in table)  # the outlet's menu was learnt
    assert all(r["title"].startswith("Story ") for r in table)


def test_twelve_rescrapes_stay_articles_marked_as_near_copies_of_the_first(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    seed = (RAW / DW_SEED).read_text()
    for n in range(12):
        (raw / f"rescrape_{n:02d}.txt").write_text(seed + f"\nViews {1000 + n}\n")
    out = tmp_path / "out"
    ingest(raw, out)
    found = rows(out)
    assert len(found) == 12 and not rejects(out)
    first = doc_id_for("rescrape_00.txt")
    assert found["rescrape_00.txt"][FIELDS.index("duplicate_of")] is None
    assert all(row[FIELDS.index("duplicate_of")] == first for path, row in found.items() if path != "rescrape_00.txt")
    lone = rows_of_one(seed, tmp_path)
    assert {row[FIELDS.index("body")] for row in found.values()} == {lone}


def rows_of_one(text: str, tmp: Path) -> str:
    raw = tmp / "lone"
    raw.mkdir()
    (raw / "page.txt").write_text(text)
    ingest(raw, tmp / "lone-out")
    return rows(tmp / "lone-out")["page.txt"][FIELDS.index("body")]


def test_a_renamed_file_is_a_move_and_a_deleted_one_stays_until_pruned(seed_raw, tmp_path):
    out = tmp_path / "out"
    ingest(seed_raw, out)
    old, gone = SEED_NAMES[0], SEED_NAMES[1]
    (seed_raw / old).rename(seed_raw / "renamed.txt")
    (seed_raw / gone).unlink()
    ingest(seed_raw, out)
    found = rows(out)
    assert "renamed.txt" in found and old not in found and gone in found
    assert "renamed.txt" not in rejects(out)
    ingest(seed_raw, out, prune=True)
    assert set(rows(out)) == set(fresh(seed_raw, tmp_path)[0]) and gone not in rows(out)


def test_exact_copies_are_duplicates_of_the_first_path_whatever_the_order_they_came_in(seed_raw, tmp_path):
    out = tmp_path / "out"
    ingest(seed_raw, out)
    shutil.copy(seed_raw / SEED_NAMES[2], seed_raw / "000_copy.txt")  # sorts before the original
    ingest(seed_raw, out)
    assert rejects(out)[SEED_NAMES[2]] == "duplicate"
    assert (rows(out), rejects(out)) == fresh(seed_raw, tmp_path)


def test_clean_and_explain_with_out_show_what_ingest_stored(tmp_path, capsys):
    raw = tmp_path / "raw" / "dw"
    raw.mkdir(parents=True)
    for n in range(6):
        (raw / f"story{n}.txt").write_text(dw_page(n, n + 1))
    out = tmp_path / "out"
    ingest(raw.parent, out)
    stored = {r["source_path"]: r for r in Dataset(out).articles().to_pylist()}["dw/story2.txt"]
    assert any(r["reason"] == "boilerplate" for r in stored["removed"])
    assert cli.main(["explain", str(raw / "story2.txt"), "--out", str(out), "--color", "never"]) == 0
    shown = re.findall(r"^\s*(\d+) - (\S+)", capsys.readouterr().out, flags=re.M)
    assert [(int(n), reason) for n, reason in shown] == [(r["line"], r["reason"]) for r in stored["removed"]]
    assert cli.main(["clean", str(raw / "story2.txt"), "--out", str(out)]) == 0
    assert capsys.readouterr().out.rstrip("\n") == stored["body"]
    assert cli.main(["explain", str(raw / "story2.txt"), "--out", str(tmp_path / "none")]) == 2


# ------------------------------------------------------------------------- the run lock

def _hold_lock(out: str, start, results) -> None:
    start.wait()
    try:
        with Dataset(out).lock():
            results.put("held")
            time.sleep(1.5)
    except DatasetLockedError as exc:
        results.put(str(exc))


def test_of_many_runs_starting_at_once_exactly_one_holds_the_lock(tmp_path):
    start, results = FORK.Event(), FORK.Queue()
    procs = [FORK.Process(target=_hold_lock, args=(str(tmp_path), start, results)) for _ in range(8)]
    for proc in procs:
        proc.start()
    start.set()
    outcomes = [results.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(10)
    assert outcomes.count("held") == 1
    assert all("another decruft run is writing" in o for o in outcomes if o != "held")


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    proc = FORK.Process(target=_hold_lock, args=(str(tmp_path), FORK.Event(), FORK.Queue()))
    proc.start()
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    with Dataset(tmp_path).lock():
        pass


# ------------------------------------------------------------------------- kills

def _ingest_dying_at_write(raw: str, out: str, write: int, reprocess: bool) -> None:
    """Ingest, dying (as kill -9 would) just before the given Parquet write."""
    original, count = Dataset._write_table, [0]

    def dying(self, rel, table):
        count[0] += 1
        if count[0] == write:
            os._exit(9)
        return original(self, rel, table)

    Dataset._write_table = dying
    ingest(Path(raw), Path(out), reprocess=reprocess)
    os._exit(0)


def _in_child(target, *args) -> int:
    proc = FORK.Process(target=target, args=args, daemon=True)  # daemonic: pages cleaned inline
    proc.start()
    proc.join(120)
    return proc.exitcode


@pytest.mark.parametrize("reprocess", [False, True], ids=["first-run", "reprocess-with-compaction"])
def test_a_run_killed_at_any_write_is_repaired_by_the_next(seed_raw, tmp_path, reprocess):
    """Kill before each Parquet write in turn (mid-batch, after the batches, inside compaction);
    the next run leaves exactly the rows of a fresh run."""
    expected = fresh(seed_raw, tmp_path)
    (seed_raw / "other.txt").write_text(dw_page(1, 2))
    expected_later = fresh(seed_raw, tmp_path)
    write = 1
    while True:
        out = tmp_path / f"out{write}"
        (seed_raw / "other.txt").unlink(missing_ok=True)
        if reprocess:
            ingest(seed_raw, out)
            assert (rows(out), rejects(out)) == expected
            (seed_raw / "other.txt").write_text(dw_page(1, 2))
            (seed_raw / SEED_NAMES[0]).write_text((RAW / SEED_NAMES[0]).read_text())
        else:
            (seed_raw / "other.txt").write_text(dw_page(1, 2))
        code = _in_child(_ingest_dying_at_write, str(seed_raw), str(out), write, reprocess)
        ingest(seed_raw, out)
        assert (rows(out), rejects(out)) == expected_later, f"after a kill at write {write}"
        if code == 0:  # the run had fewer writes: every point was tried
            break
        write += 1
    assert write > 4


# ------------------------------------------------------------------------- random histories

PAGES = [(RAW / name).read_text() for name in SEED_NAMES] + [dw_page(n, n + 3) for n in range(3)]
NAMES = ["a.txt", "b.txt", "c.txt", "dw/d.txt", "dw/e.txt", "f.txt"]

operations = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), st.integers(0, len(PAGES) - 1), st.booleans()),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("delete"), st.sampled_from(NAMES)),
    st.tuples(st.just("ingest"), st.booleans(), st.none() | st.floats(0.0, 0.4)),
)


def _ingest_child(raw: str, out: str, reprocess: bool) -> None:
    ingest(Path(raw), Path(out), reprocess=reprocess)


def apply(op: tuple, raw: Path, out: Path) -> None:
    kind = op[0]
    if kind == "write":
        _, name, page, edited = op
        (raw / name).parent.mkdir(exist_ok=True)
        (raw / name).write_text(PAGES[page] + ("\nAn edited closing paragraph, added later." if edited else ""))
    elif kind == "rename" and (raw / op[1]).exists():
        (raw / op[2]).parent.mkdir(exist_ok=True)
        (raw / op[1]).replace(raw / op[2])
    elif kind == "delete":
        (raw / op[1]).unlink(missing_ok=True)
    elif kind == "ingest":
        _, reprocess, kill_after = op
        proc = FORK.Process(target=_ingest_child, args=(str(raw), str(out), reprocess), daemon=True)
        proc.start()
        proc.join(kill_after)
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGKILL)
        proc.join()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operations, min_size=2, max_size=7))
def test_any_history_gives_the_rows_of_one_fresh_run(tmp_path, history):
    case = tmp_path / f"case-{time.monotonic_ns()}"
    raw, out = case / "raw", case / "out"
    raw.mkdir(parents=True)
    (raw / "a.txt").write_text(PAGES[0])
    for op in history:
        apply(op, raw, out)
    ingest(raw, out)
    expected_rows, expected_rejects = fresh(raw, case)
    present = {path for path in rows(out) if (raw / path.split("#")[0]).exists()}
    assert {p: r for p, r in rows(out).items() if p in present} == expected_rows
    ingest(raw, out, prune=True)
    assert (rows(out), rejects(out)) == (expected_rows, expected_rejects)
