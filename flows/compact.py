"""The ``compact`` flow: merge small parts and keep the newest row per doc_id (``decruft compact``)."""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402

from decruft.dataset import Dataset  # noqa: E402


@task(name="compact-dataset", retries=2, retry_delay_seconds=[2, 10])
def compact_dataset(out: str) -> dict:
    dataset = Dataset(out)
    with dataset.lock(wait_s=60):
        dataset.remove_leftovers()
        report = dataset.compact()
    return vars(report)


@flow(name="compact")
def compact(out: str = "processed") -> dict:
    """Rewrite the dataset under ``out`` as one part per partition, current rows only."""
    report = compact_dataset(out)
    get_run_logger().info("compacted %(rows_before)d rows in %(files_before)d parts into "
                          "%(rows_after)d rows in %(files_after)d parts", report)
    return report


if __name__ == "__main__":
    print(compact())
