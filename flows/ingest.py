"""The ``ingest`` flow: raw files -> batch tasks (scan, then clean and write) -> summary artifact.

Run it with ``decruft ingest`` or ``python -m flows.ingest`` (Prefect's embedded server, nothing
to start), or deploy it with ``prefect deploy`` (see prefect.yaml and the README). All the work
is in the library (``decruft.ingest``); this module only turns its batch steps into tasks.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NONE  # noqa: E402

from decruft.ingest import RunReport, Settings, run  # noqa: E402

#: Batch steps touch storage, so they retry with backoff; their inputs are never cached.
TASK_OPTIONS = dict(retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE)


def _as_task(fn: Callable[..., Any]):
    return task(fn, name=fn.__name__.replace("_", "-"), **TASK_OPTIONS)


def prefect_map(fn: Callable[..., Any], calls: list[tuple]) -> list[Any]:
    """Submit one task per batch to the flow's task runner and wait for all of them."""
    batch_task = _as_task(fn)
    futures = [batch_task.submit(*args) for args in calls]
    return [future.result() for future in futures]


@flow(name="ingest")
def ingest(raw: str = "raw", out: str = "processed", reprocess: bool = False,
           batch_files: int = 200, batch_bytes: int = 64 * 1024 * 1024,
           outlets_dirs: list[str] | None = None, rules_config: str | None = None) -> dict:
    """Ingest new and changed raw files into the Parquet dataset under ``out``."""
    logger = get_run_logger()
    settings = Settings(raw=raw, out=out, reprocess=reprocess, batch_files=batch_files,
                        batch_bytes=batch_bytes, outlets_dirs=tuple(outlets_dirs or ()),
                        rules_config=rules_config)
    report = run(settings, map_batches=prefect_map, log=logger.info)
    for line in report.lines():
        logger.info(line)
    create_markdown_artifact(key="ingest-summary", markdown=summary_markdown(report, out),
                             description="decruft ingest run summary")
    return report.as_dict()


def summary_markdown(report: RunReport, out: str) -> str:
    rows = "\n".join("| {} | {} |".format(*line.split(": ", 1)) for line in report.lines())
    return f"# decruft ingest\n\nOutput: `{out}`\n\n| what | value |\n|---|---|\n{rows}\n"


if __name__ == "__main__":
    print(ingest())
