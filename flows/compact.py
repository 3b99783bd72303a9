"""The ``compact`` flow: merge small parts into one per partition, keep the newest row per source.

A thin wrapper over ``Dataset.compact`` (the same as ``decruft compact``), under the run lock.
"""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402

from pydantic import NonNegativeFloat  # noqa: E402

from decruft.ingest import compact as compact_dataset  # noqa: E402


@flow(name="compact", retries=1, retry_delay_seconds=30)
def compact(out: str = "processed", wait_for_lock_s: NonNegativeFloat = 600.0) -> dict:
    """Compact the dataset under ``out``; waits for a running ingest's lock.

    Args:
        out: Folder or URI of the dataset; there must be one (compacting creates none).
        wait_for_lock_s: Seconds to wait for a running ingest to finish before giving up.
    """
    logger = get_run_logger()
    report = compact_dataset(out, log=logger.info, wait_s=wait_for_lock_s)
    summary = {"files_before": report.files_before, "files_after": report.files_after,
               "rows_before": report.rows_before, "rows_after": report.rows_after}
    logger.info("compacted %(rows_before)d rows in %(files_before)d parts into "
                "%(rows_after)d rows in %(files_after)d parts", summary)
    create_markdown_artifact(
        key="compact-summary", description="decruft compact summary",
        markdown=(f"# decruft compact\n\nOutput: `{out}`\n\n| | before | after |\n|---|---|---|\n"
                  f"| parts | {report.files_before} | {report.files_after} |\n"
                  f"| rows | {report.rows_before} | {report.rows_after} |\n"))
    return summary


if __name__ == "__main__":
    import json

    print(json.dumps(compact(), indent=2))
