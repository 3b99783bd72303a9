"""The ``decruft`` command: ingest, clean, explain, compact, stats.

``ingest`` runs the Prefect flow; the other commands (and ``ingest --dry-run``) use the
library only and never start Prefect. A user error is one line on standard error
(``decruft: ...``) and an exit status from ``ExitCode``; ``-v`` adds the traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import math
import os
import re
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn

from decruft import __version__
from decruft import filesystem
from decruft.store.dataset import DatasetLockedError, Layout
from decruft.read.decode import DecodeError
from decruft.read.metadata import sidecar_names
from decruft.ingest import (Preview, StorageError, check_config, compact, dataset_context, dry_run,
                            latest_run_report, load_settings, preflight, require_dataset, start_worker_server,
                            summary_lines)
from decruft.models import Limits, RawDocument
from decruft.ingest.settings import default_options
from decruft.page import Context, clean_pages, page_text, removed_lines
from decruft.read.sources import is_sidecar, read_sidecar, sidecar_for
from decruft.supervise import is_worker, supervise

REMOVED_COLOUR, KEPT_COLOUR, DIM, RESET = "\033[31m", "\033[32m", "\033[2m", "\033[0m"


class ExitCode(IntEnum):
    """The exit statuses of every command (listed in the README); an interrupted ingest exits
    as a shell reports a signal: 130 for Ctrl-C, 143 for SIGTERM (``supervise.EXIT_STATUS``)."""

    DONE = 0
    INPUTS_FAILED = 1  # some pages gave no article, or some batches failed (retried next run)
    USAGE = 2  # a bad option or value, a missing file or folder, a broken profile or rules file
    STORAGE = 3  # the output or raw location cannot be reached or written, or another run holds it


class UsageError(Exception):
    """A command-line mistake, reported as one line with ``ExitCode.USAGE``."""


#: ``decruft ingest``'s limit options: the unit shown, and what the limit does.
LIMIT_OPTIONS = {
    "max_file_mb": ("MB", "a larger single-page raw file is rejected as too_large"),
    "max_decompressed_mb": ("MB", "past this many inflated bytes the rest of a gzip is a decompression_limit reject"),
    "max_document_mb": ("MB", "a larger page (file, JSON line or WARC record) is rejected as too_large"),
    "max_line_chars": ("CHARS", "longer lines of a plain-text page are cut before cleaning"),
    "doc_timeout": ("SECONDS", "a page taking longer to clean is stopped and rejected as timeout"),
}

#: The packaged default of every setting, by key (for the options' help).
DEFAULTS = {key: value for table in default_options().values() for key, value in table.items()}

#: ``FILE#N``: record N of a JSON Lines or WARC file, as ingest names it.
RECORD_SUFFIX = re.compile(r"^(?P<file>.+)#(?P<number>[0-9]+)$")
GLOB_CHARS = re.compile(r"[*?\[]")


def main(argv: list[str] | None = None) -> int:
    """The command line (``argv`` None: ``sys.argv``). There, ``ingest`` runs in a process
    group of its own that an interrupt ends as a whole (``decruft.supervise``)."""
    args = _parser().parse_args(argv)
    if argv is None and args.command == "ingest" and not is_worker():
        return supervise(sys.argv[1:])
    try:
        return args.handler(args)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return ExitCode.DONE
    except Exception as exc:
        code = exit_code_for(exc)
        if code is None:
            raise
        if args.verbose:
            traceback.print_exc()
        print(f"decruft: {_one_line(exc)}", file=sys.stderr)
        return code


def exit_code_for(exc: BaseException) -> ExitCode | None:
    """The status for an error a user can meet and fix (None for a bug: its traceback shows)."""
    if isinstance(exc, (StorageError, DatasetLockedError, OSError)):
        return ExitCode.STORAGE
    if isinstance(exc, (UsageError, ValueError)):  # ConfigError, RegistryError, RuleError, limits
        return ExitCode.USAGE
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 400 else text[:399] + "…"


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one ``decruft: ...`` line (and status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"decruft: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="decruft", description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"decruft {__version__}")
    _add_verbosity(parser, False)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ingest = _command(commands, "ingest", "run the ingest flow: raw files -> Parquet")
    ingest.add_argument("--raw", help=f"folder or URI of raw files, e.g. s3://bucket/raw (default: {DEFAULTS['raw']})")
    ingest.add_argument("--out", help=f"output folder or URI (default: {DEFAULTS['out']})")
    ingest.add_argument("--reprocess", action="store_true", default=None,
                        help="redo every file and rebuild the learnt table from scratch")
    ingest.add_argument("--prune", action="store_true", default=None,
                        help="remove the rows of raw files that are gone (by default they stay)")
    ingest.add_argument("--include", action="append", metavar="GLOB",
                        help="only raw paths matching this pattern (repeatable; a pattern without / "
                             "matches file names, e.g. '*.warc.gz')")
    ingest.add_argument("--exclude", action="append", metavar="GLOB",
                        help="leave out raw paths matching this pattern (repeatable)")
    ingest.add_argument("--dry-run", action="store_true",
                        help="print what would be cleaned, rejected as a copy, skipped and retired; "
                             "write nothing, start no Prefect")
    ingest.add_argument("--batch-files", type=_positive(int),
                        help=f"files per task (default: {DEFAULTS['batch_files']})")
    ingest.add_argument("--batch-mb", type=_positive(int),
                        help=f"megabytes per task (default: {DEFAULTS['batch_mb']:g})")
    ingest.add_argument("--partition-by", type=_partitioning, metavar="COLUMNS",
                        help="article partition folders: outlet,year_month (default), year_month, "
                             "outlet or none")
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

    for name, handler, text in (("clean", _clean, "print cleaned records"),
                                ("explain", _explain, "show every input line, kept or removed and why")):
        cmd = _command(commands, name, text)
        cmd.add_argument("files", nargs="+", metavar="FILE",
                         help="a page or container file, FILE#N for record N of a JSON Lines or WARC "
                              "file, a glob such as 'raw/*.txt', or - for standard input")
        cmd.add_argument("--url", help="the page's URL, if known")
        cmd.add_argument("--out", metavar="DIR",
                         help="clean as the ingest into this dataset did: with its learnt table, "
                              "outlet profiles and rules")
        _add_config_options(cmd)
        if name == "clean":
            cmd.add_argument("--json", action="store_true", help="all fields as JSON, not just the body")
        else:
            cmd.add_argument("--color", choices=("auto", "always", "never"), default="auto")
        cmd.set_defaults(handler=handler)

    compact = _command(commands, "compact", "merge small parts, keep the newest row per doc_id")
    compact.add_argument("--out", default="processed", help="dataset folder or URI (default: processed)")
    compact.set_defaults(handler=_compact)

    stats = _command(commands, "stats", "counts by outlet, language, month and reject reason")
    stats.add_argument("--out", default="processed", help="dataset folder or URI (default: processed)")
    stats.add_argument("--json", action="store_true", help="the counts as one JSON object")
    stats.set_defaults(handler=_stats)
    return parser


def _command(commands: Any, name: str, text: str) -> argparse.ArgumentParser:
    cmd = commands.add_parser(name, help=text, description=text, allow_abbrev=False)
    _add_verbosity(cmd, argparse.SUPPRESS)  # after the command as well as before it
    return cmd


def _add_verbosity(parser: argparse.ArgumentParser, default: Any) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help="print errors only (no progress, no summary)")
    group.add_argument("-v", "--verbose", action="store_true", default=default,
                       help="print the run's log lines and an error's traceback")


def _add_config_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--config", metavar="FILE",
                     help="settings file (TOML) over the packaged defaults; options given here win "
                          "(docs/operations.md, \"Settings\")")
    cmd.add_argument("--outlets", action="append", metavar="DIR",
                     help="extra outlet profiles (TOML), adding to or overriding the built-in ones "
                          "(docs/outlets.md)")
    cmd.add_argument("--rules", metavar="FILE",
                     help="rule config (TOML): disable concepts, add patterns (docs/rules.md)")


def _add_limit_options(cmd: argparse.ArgumentParser) -> None:
    limits = cmd.add_argument_group("limits", "safety limits for untrusted input (positive numbers)")
    for name, value in Limits().options().items():
        kind = float if isinstance(value, float) else int
        unit, text = LIMIT_OPTIONS[name]
        limits.add_argument("--" + name.replace("_", "-"), type=_positive(kind),
                            metavar=unit, help=f"{text} (default: {DEFAULTS[name]:g})")


def _partitioning(text: str) -> str:
    try:
        return ",".join(Layout.parse_partitioning(text)) or "none"
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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


# -- ingest ------------------------------------------------------------------------------------

def _ingest(args: argparse.Namespace) -> int:
    options = _given(args, "raw", "out", "reprocess", "prune", "include", "exclude", "batch_files", "batch_mb",
                     "partition_by", "outlets", "rules", *LIMIT_OPTIONS)
    settings = load_settings(args.config, **options)  # a bad file, or a size rounding to 0 bytes, fails here
    preflight(settings, write=not args.dry_run)  # before Prefect starts, and before anything is made
    if settings.outlets_dirs or settings.rules_config or args.config:
        settings.context()  # a broken profile, rules or settings file fails now, naming the file
    if args.dry_run:
        _print_preview(dry_run(settings))
        return ExitCode.DONE
    if args.runner == "threads":
        start_worker_server()  # warms up while Prefect starts
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from decruft_flows.progress import console_level, display  # Prefect is imported only for this command

    with ExitStack() as stack:
        stack.enter_context(console_level("INFO" if args.verbose else "CRITICAL"))
        from decruft_flows.ingest import BatchesFailedError, flow_parameters, progress_listener, with_runner
        from decruft_flows.runners import RunnerUnavailableError

        try:
            flow = with_runner(args.runner, args.dask_address, args.workers)
        except RunnerUnavailableError as exc:
            raise UsageError(str(exc)) from exc
        if not (args.quiet or args.no_progress):
            stack.enter_context(progress_listener(stack.enter_context(display())))
        status = ExitCode.DONE
        try:
            summary = flow(**flow_parameters(args.config, options), runner=args.runner,
                           dask_address=args.dask_address)
        except BatchesFailedError as exc:
            summary, status = exc.summary, ExitCode.INPUTS_FAILED
            failure = str(exc) if args.verbose else str(exc).splitlines()[0]
    if status:
        print(f"decruft: {failure}", file=sys.stderr)
    if not args.quiet:
        _print_summary(summary, settings.out)
    return status


def _given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The options given on the command line (the settings file and the defaults fill the rest)."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _print_summary(summary: dict, out: str) -> None:
    for line in summary_lines(summary):
        print(line)
    print(f"output: {out}")


def _print_preview(preview: Preview) -> None:
    todo = len(preview.new) + len(preview.changed)
    print(f"would clean {todo} file(s): {len(preview.new)} new, {len(preview.changed)} changed")
    for path in preview.new:
        print(f"  new      {path}")
    for path in preview.changed:
        print(f"  changed  {path}")
    print(f"would reject {len(preview.duplicates) + len(preview.rejects)} file(s) without cleaning")
    for path, owner in preview.duplicates:
        print(f"  duplicate  {path} (same bytes as {owner})")
    for reject in preview.rejects:
        print(f"  {reject.reason}  {reject.source_path}")
    print(f"would retire the rows of {len(preview.retired)} file(s)")
    for path in preview.retired:
        print(f"  retired  {path}")
    print(f"would skip {preview.skipped} file(s) already ingested")
    print("dry run: nothing was written")


# -- clean and explain -------------------------------------------------------------------------

@dataclass(frozen=True)
class Input:
    """One input of clean/explain: a file (or standard input), maybe one record of it."""

    label: str  # as given, for messages
    path: Path | None  # None: standard input
    record: int | None = None

    def read(self) -> bytes:
        return sys.stdin.buffer.read() if self.path is None else self.path.read_bytes()


def expand_inputs(specs: list[str]) -> list[Input]:
    """The inputs named on the command line, checked before any is cleaned: ``-``, files,
    ``FILE#N`` and globs (their sidecars and folders left out). A folder, a missing file or a
    glob matching nothing is a UsageError."""
    inputs: list[Input] = []
    for spec in specs:
        record = RECORD_SUFFIX.match(spec)
        if spec == "-":
            inputs.append(Input("-", None))
        elif Path(spec).is_file():
            inputs.append(Input(spec, Path(spec)))
        elif record and Path(record["file"]).is_file():
            inputs.append(Input(spec, Path(record["file"]), int(record["number"])))
        elif Path(spec).is_dir():
            raise UsageError(f"{spec} is a folder: name its files, or a glob such as '{spec}/*'")
        elif GLOB_CHARS.search(spec):
            matches = [Path(m) for m in sorted(glob.glob(spec, recursive=True))]
            matches = [m for m in matches if m.is_file() and not is_sidecar(m.name)]
            if not matches:
                raise UsageError(f"no file matches {spec}")
            inputs += [Input(str(m), m) for m in matches]
        else:
            raise UsageError(f"no such file: {spec}")
    return inputs


@dataclass
class Page:
    """One cleaned page of the inputs, and whether a header should name it."""

    document: RawDocument | None
    record: dict[str, Any]
    context: Context
    header: bool


def _pages(args: argparse.Namespace) -> Iterator[Page]:
    """Every page of every input, cleaned as the options say; a header names each when there
    may be several (several inputs, or a container's records)."""
    inputs = expand_inputs(args.files)
    options = _given(args, "outlets", "rules")
    if args.out:
        context, raw_root = dataset_context(args.out, args.config, **options)
    else:
        settings = load_settings(args.config, **options)
        check_config(settings.outlets_dirs, settings.rules_config)
        context, raw_root = settings.context(), None
    for item in inputs:
        name = "stdin" if item.path is None else _path_under(item.path, raw_root) or item.path.name
        metadata = _sidecar_of(item.path) if item.path else None
        found = False
        for doc, record in clean_pages(item.read(), name=name, url=args.url, metadata=metadata,
                                       context=context, metadata_origin="sidecar", record=item.record):
            found = True
            header = len(inputs) > 1 or (item.record is None and record["source_path"] != name)
            yield Page(doc, record, context, header)
        if not found:
            raise UsageError(f"{item.label}: no record #{item.record} (records are numbered from 1)")


def _sidecar_of(path: Path) -> dict | None:
    """The metadata of the sidecar next to a file given on the command line, if it has one
    (its possible names looked up, not the whole folder listed: a glob may name thousands)."""
    sidecar = sidecar_for(path.name, {name for name in sidecar_names(path.name) if (path.parent / name).is_file()})
    return read_sidecar(str(path.parent), sidecar) if sidecar else None


def _path_under(file: Path, root: str | None) -> str | None:
    """The file's path relative to a local raw root, as ingest named it (None when outside)."""
    if root is None or filesystem.is_remote(root):
        return None
    try:
        return file.resolve().relative_to(Path(filesystem.local_root(root)).resolve()).as_posix()
    except ValueError:
        return None


def _clean(args: argparse.Namespace) -> int:
    status, records = ExitCode.DONE, []
    for page in _pages(args):
        record = page.record
        if record.get("reject"):
            status = ExitCode.INPUTS_FAILED
        if args.json:
            records.append(record)
            continue
        if page.header:
            print(f"==> {record['source_path']} <==")
        if record.get("reject"):
            print(f"decruft: {record['source_path']}: no article: {record['reject']['reason']}: "
                  f"{record['reject']['detail']}", file=sys.stderr)
        else:
            print(record["body"])
    if args.json:
        value: Any = records[0] if len(records) == 1 else records
        print(json.dumps(value, ensure_ascii=False, indent=2, default=_json_value))
    return status


def _json_value(value: Any) -> Any:
    """JSON for what the records hold besides JSON types: ISO 8601 dates and instants."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _explain(args: argparse.Namespace) -> int:
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    status = ExitCode.DONE
    for page in _pages(args):
        record = page.record
        if page.header:
            print(f"==> {record['source_path']} <==")
        if page.document is not None:
            _explain_lines(page.document, record, page.context, colour)
        reject = record.get("reject")
        if reject:
            status = ExitCode.INPUTS_FAILED
            print(f"# no article: {reject['reason']}: {reject['detail']}")
        else:
            print(f"# title: {_shown(record['title'])}  outlet: {_shown(record['outlet_id'])}  "
                  f"date: {_shown(record['published_date'])}")
    return status


def _explain_lines(doc: RawDocument, record: dict[str, Any], context: Context, colour: bool) -> None:
    if record.get("reject"):  # no row was made, but its lines were still judged
        record = record | {"removed": removed_lines(doc, context)}
    removed = {r["line"]: r["reason"] for r in record["removed"]}
    if doc.source_format.endswith("html"):  # the line rules ran on the extractor's text, not the markup
        print(f"# body extracted by {record['extractor']}: its removed lines, then the kept paragraphs")
        lines = [(r["line"], r["text"]) for r in record["removed"]]
        lines += [(0, paragraph) for paragraph in record["body"].split("\n\n") if paragraph]
    else:
        try:
            lines = list(enumerate(page_text(doc, context.limits).split("\n"), 1))
        except DecodeError:
            return  # the record's reject says why
    width = max((len(reason) for reason in removed.values()), default=4)
    for number, line in lines:
        print(_explain_line(number, line, removed.get(number), width, colour))


def _shown(value: Any) -> str:
    return "(none)" if value is None or value == "" else str(value)


def _explain_line(number: int, line: str, reason: str | None, width: int, colour: bool) -> str:
    if not line.strip():
        return f"{number:4d}   {'':{width}}  " if not colour else f"{DIM}{number:4d}{RESET}"
    verdict = f"- {reason:{width}}" if reason else f"+ {'kept':{width}}"
    text = f"{number or '':>4} {verdict}  {line}"
    if colour:
        return f"{REMOVED_COLOUR if reason else KEPT_COLOUR}{text}{RESET}"
    return text


# -- compact and stats -------------------------------------------------------------------------

def _compact(args: argparse.Namespace) -> int:
    report = compact(args.out)  # refuses a folder that holds no dataset: it would create one
    if not args.quiet:
        print(f"compacted {report.rows_before} rows in {report.files_before} parts "
              f"into {report.rows_after} rows in {report.files_after} parts")
    return ExitCode.DONE


def dataset_stats(out: str) -> dict[str, Any]:
    """Counts of a dataset: articles by outlet and language (most first) and by publication
    month (in date order, ``unknown`` last), rejects by reason; and the summary of the latest
    run (its step counters), None when no run saved one."""
    dataset = require_dataset(out)
    articles, rejects = dataset.articles(), dataset.rejects()
    rows = articles.select(["outlet_id", "language", "published_date"]).to_pylist() if articles else []
    months = Counter(r["published_date"].strftime("%Y-%m") if r["published_date"] else "unknown" for r in rows)
    reasons = Counter(rejects.column("reason").to_pylist()) if rejects else Counter()
    return {"articles": len(rows),
            "by_outlet": dict(_most_first(Counter(r["outlet_id"] for r in rows))),
            "by_language": dict(_most_first(Counter(r["language"] for r in rows))),
            "by_month": dict(sorted(months.items(), key=lambda kv: (kv[0] == "unknown", kv[0]))),
            "rejects": sum(reasons.values()),
            "by_reason": dict(_most_first(reasons)),
            "latest_run": latest_run_report(dataset)}


def _most_first(counts: Counter) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))


def _stats(args: argparse.Namespace) -> int:
    stats = dataset_stats(args.out)
    if args.json:
        print(json.dumps(stats, indent=2))
        return ExitCode.DONE
    for total, label, key in (("articles", "outlet", "by_outlet"), ("articles", "language", "by_language"),
                              ("articles", "month", "by_month"), ("rejects", "reason", "by_reason")):
        if label in ("outlet", "reason"):
            print(f"{total}: {stats[total]}")
        print(f"  by {label}:")
        for name, count in stats[key].items():
            print(f"    {name:<24} {count}")
    if stats["latest_run"]:
        print(f"latest run: {stats['latest_run']['started_at']}")
        for line in summary_lines(stats["latest_run"]):
            print(f"  {line}")
    return ExitCode.DONE


if __name__ == "__main__":
    sys.exit(main())
