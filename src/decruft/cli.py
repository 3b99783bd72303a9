"""The ``decruft`` command: ingest, clean, explain, compact, stats.

``ingest`` runs the Prefect flow; the other commands use the library only and
never start Prefect.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .dataset import Dataset, DatasetLockedError
from .decode import DecodeError, decode_text
from .ingest import Settings
from .models import Limits
from .pipeline import clean, make_context
from .sources import read_sidecar
from .supervise import is_worker, supervise

REMOVED_COLOUR, KEPT_COLOUR, DIM, RESET = "\033[31m", "\033[32m", "\033[2m", "\033[0m"

#: ``decruft ingest``'s limit options: the unit shown, and what the limit does.
LIMIT_OPTIONS = {
    "max_file_mb": ("MB", "a larger raw file is rejected as too_large"),
    "max_decompressed_mb": ("MB", "a gzip inflating past this is rejected as decompression_limit"),
    "max_document_mb": ("MB", "a larger page (file, JSON line or WARC record) is rejected as too_large"),
    "max_line_chars": ("CHARS", "longer lines of a plain-text page are cut before cleaning"),
    "doc_timeout": ("SECONDS", "a page taking longer to clean is stopped and rejected as timeout"),
}


def main(argv: list[str] | None = None) -> int:
    """The command line (``argv`` None: ``sys.argv``). There, ``ingest`` runs in a process
    group of its own that an interrupt ends as a whole (``decruft.supervise``)."""
    args = _parser().parse_args(argv)
    if argv is None and args.command == "ingest" and not is_worker():
        return supervise(sys.argv[1:])
    try:
        return args.handler(args)
    except (FileNotFoundError, DatasetLockedError, ValueError) as exc:
        print(f"decruft: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="decruft", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="run the ingest flow: raw files -> Parquet")
    ingest.add_argument("--raw", default="raw",
                        help="folder or URI of raw files, e.g. s3://bucket/raw (default: raw)")
    ingest.add_argument("--out", default="processed", help="output folder or URI (default: processed)")
    ingest.add_argument("--reprocess", action="store_true", help="ignore the manifest, redo every file")
    ingest.add_argument("--batch-files", type=_positive(int), default=Settings.batch_files,
                        help=f"files per task (default: {Settings.batch_files})")
    ingest.add_argument("--batch-mb", type=_positive(int), default=Settings.batch_bytes // 2**20,
                        help=f"megabytes per task (default: {Settings.batch_bytes // 2**20})")
    ingest.add_argument("--runner", choices=("threads", "dask", "ray"), default="threads",
                        help="task runner: threads (default), dask or ray (optional extras)")
    ingest.add_argument("--dask-address", metavar="ADDRESS",
                        help="join this Dask (or Ray) cluster, e.g. tcp://scheduler:8786, instead of "
                             "starting a local one")
    ingest.add_argument("--workers", type=_positive(int),
                        help="worker processes of a local Dask cluster or Ray instance (default: cores)")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    _add_config_options(ingest)
    _add_limit_options(ingest)
    ingest.set_defaults(handler=_ingest)

    for name, handler, text in (("clean", _clean, "print one cleaned record"),
                                ("explain", _explain, "show every input line, kept or removed and why")):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("file", type=Path)
        cmd.add_argument("--url", help="the page's URL, if known")
        _add_config_options(cmd)
        if name == "clean":
            cmd.add_argument("--json", action="store_true", help="all fields as JSON, not just the body")
        else:
            cmd.add_argument("--color", choices=("auto", "always", "never"), default="auto")
        cmd.set_defaults(handler=handler)

    compact = commands.add_parser("compact", help="merge small parts, keep the newest row per doc_id")
    compact.add_argument("--out", default="processed", help="dataset folder or URI (default: processed)")
    compact.set_defaults(handler=_compact)

    stats = commands.add_parser("stats", help="counts by outlet, language, month and reject reason")
    stats.add_argument("--out", default="processed", help="dataset folder or URI (default: processed)")
    stats.set_defaults(handler=_stats)
    return parser


def _add_config_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--outlets", action="append", default=[], metavar="DIR",
                     help="extra outlet profiles (TOML), adding to or overriding the built-in ones")
    cmd.add_argument("--rules", metavar="FILE", help="rule config (TOML): disable concepts, add patterns")


def _add_limit_options(cmd: argparse.ArgumentParser) -> None:
    limits = cmd.add_argument_group("limits", "safety limits for untrusted input (positive numbers)")
    for name, value in Limits().options().items():
        kind = float if isinstance(value, float) else int
        unit, text = LIMIT_OPTIONS[name]
        limits.add_argument("--" + name.replace("_", "-"), type=_positive(kind), default=value,
                            metavar=unit, help=f"{text} (default: {value:g})")


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type: a finite number of ``kind`` above zero, or a clear usage error."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if not 0 < value < math.inf:
            raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
        return value
    return parse


def _ingest(args: argparse.Namespace) -> int:
    limits = {name: getattr(args, name) for name in LIMIT_OPTIONS}
    Limits.from_options(**limits)  # a size that rounds to 0 bytes fails here, before Prefect starts
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from contextlib import nullcontext

    # Prefect is imported only for this command
    from flows.ingest import BatchesFailedError, progress_listener, with_runner
    from flows.progress import TerminalProgress
    from flows.runners import RunnerUnavailableError

    try:
        flow = with_runner(args.runner, args.dask_address, args.workers)
    except RunnerUnavailableError as exc:
        print(f"decruft: {exc}", file=sys.stderr)
        return 2
    bar = None if args.no_progress else TerminalProgress()
    status = 0
    with progress_listener(bar) if bar else nullcontext():
        try:
            summary = flow(raw=args.raw, out=args.out, reprocess=args.reprocess,
                           batch_files=args.batch_files, batch_bytes=args.batch_mb * 1024 * 1024,
                           outlets_dirs=args.outlets, rules_config=args.rules,
                           runner=args.runner, dask_address=args.dask_address,
                           **limits)
        except BatchesFailedError as exc:
            summary, status = exc.summary, 1
            print(f"decruft: {exc}", file=sys.stderr)
        finally:
            if bar:
                bar.close()
    rejects = ", ".join(f"{k}={v}" for k, v in sorted(summary["rejects"].items())) or "none"
    print(f"files seen: {summary['seen']} (new {summary['new']}, already ingested {summary['skipped']})")
    print(f"articles written: {summary['articles']}")
    print(f"rejects: {rejects}")
    if summary.get("failed_files"):
        print(f"failed (retried next run): {len(summary['failed_files'])} file(s)")
    print(f"time: {summary['seconds']:.1f} s  output: {args.out}")
    return status


def _record_for(args: argparse.Namespace) -> dict[str, Any]:
    data = args.file.read_bytes()
    context = make_context(outlets_dirs=tuple(Path(d) for d in args.outlets),
                           rules_config=Path(args.rules) if args.rules else None)
    return clean(data, name=args.file.name, url=args.url, metadata=read_sidecar(args.file),
                 context=context, metadata_origin="sidecar")


def _clean(args: argparse.Namespace) -> int:
    record = _record_for(args)
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    elif record.get("reject"):
        print(f"decruft: no article: {record['reject']['reason']}: {record['reject']['detail']}",
              file=sys.stderr)
        return 1
    else:
        print(record["body"])
    return 0


def _explain(args: argparse.Namespace) -> int:
    record = _record_for(args)
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    removed = {r["line"]: r["reason"] for r in record["removed"]}
    if record["extractor"] == "text":
        try:
            lines = list(enumerate(decode_text(args.file.read_bytes())[0].split("\n"), 1))
        except DecodeError as exc:
            print(f"decruft: {exc}", file=sys.stderr)
            return 1
    else:  # HTML: the line rules ran on the extractor's text, not on the markup
        print(f"# body extracted by {record['extractor']}: its removed lines, then the kept paragraphs")
        lines = [(r["line"], r["text"]) for r in record["removed"]]
        lines += [(0, paragraph) for paragraph in record["body"].split("\n\n")]
    width = max((len(reason) for reason in removed.values()), default=4)
    for number, line in lines:
        print(_explain_line(number, line, removed.get(number), width, colour))
    print(f"# title: {record['title']!r}  outlet: {record['outlet_id']}  date: {record['published_date']}")
    return 0


def _explain_line(number: int, line: str, reason: str | None, width: int, colour: bool) -> str:
    if not line.strip():
        return f"{number:4d}   {'':{width}}  " if not colour else f"{DIM}{number:4d}{RESET}"
    verdict = f"- {reason:{width}}" if reason else f"+ {'kept':{width}}"
    text = f"{number or '':>4} {verdict}  {line}"
    if colour:
        return f"{REMOVED_COLOUR if reason else KEPT_COLOUR}{text}{RESET}"
    return text


def _compact(args: argparse.Namespace) -> int:
    dataset = Dataset(args.out)
    with dataset.lock():
        dataset.remove_leftovers()
        report = dataset.compact()
    print(f"compacted {report.rows_before} rows in {report.files_before} parts "
          f"into {report.rows_after} rows in {report.files_after} parts")
    return 0


def _stats(args: argparse.Namespace) -> int:
    dataset = Dataset(args.out)
    articles, rejects = dataset.articles(), dataset.rejects()
    if articles is None and rejects is None:
        print(f"decruft: no dataset under {args.out}", file=sys.stderr)
        return 1
    if articles is not None:
        rows = articles.select(["outlet_id", "language", "published_date"]).to_pylist()
        print(f"articles: {len(rows)}")
        _print_counts("outlet", Counter(r["outlet_id"] for r in rows))
        _print_counts("language", Counter(r["language"] for r in rows))
        _print_counts("month", Counter(r["published_date"].strftime("%Y-%m") if r["published_date"]
                                       else "unknown" for r in rows))
    if rejects is not None:
        print(f"rejects: {rejects.num_rows}")
        _print_counts("reason", Counter(rejects.column("reason").to_pylist()))
    return 0


def _print_counts(label: str, counts: Counter) -> None:
    print(f"  by {label}:")
    for key, count in counts.most_common():
        print(f"    {key:<24} {count}")


if __name__ == "__main__":
    sys.exit(main())
