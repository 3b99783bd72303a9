"""Task runners for the flows: threads (default), a Dask cluster, or a Ray cluster.

``threads`` needs nothing extra: each batch already cleans its pages in a child process, so a
few concurrent batches use several cores. ``dask`` starts a local cluster of worker processes
(one per core) or connects to ``dask_address`` (``tcp://scheduler:8786``); ``ray`` starts a
local Ray instance (one CPU per core) or connects to the address given (``ray://head:10001``).
Local workers report to the flow's Prefect API. Dask and Ray are optional extras:
``pip install -e ".[dask]"`` / ``".[ray]"``.
"""
from __future__ import annotations

import os
from typing import Any, Literal, get_args

from prefect.task_runners import ThreadPoolTaskRunner

Runner = Literal["threads", "dask", "ray"]
RUNNERS: tuple[str, ...] = get_args(Runner)


class RunnerUnavailableError(RuntimeError):
    """The requested task runner's optional extra is not installed."""


def task_runner(runner: str = "threads", address: str | None = None, workers: int | None = None) -> Any:
    """A Prefect task runner by name; ``address`` joins an existing Dask or Ray cluster."""
    if runner == "threads":
        if address:
            raise ValueError("an address only makes sense with runner 'dask' or 'ray'")
        return ThreadPoolTaskRunner(max_workers=workers or max(2, os.cpu_count() or 1))
    if runner == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise RunnerUnavailableError(
                "runner 'dask' needs the dask extra: pip install -e \".[dask]\" "
                "(prefect-dask and dask[distributed])") from exc
        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers or os.cpu_count() or 1,
                                              "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": ":0", "env": prefect_api_env()})
    if runner == "ray":
        try:
            from prefect_ray import RayTaskRunner
        except ImportError as exc:
            raise RunnerUnavailableError(
                "runner 'ray' needs the ray extra: pip install -e \".[ray]\" (prefect-ray)") from exc
        if address:
            return RayTaskRunner(address=address)
        return RayTaskRunner(init_kwargs={"num_cpus": workers or os.cpu_count() or 1,
                                          "runtime_env": {"env_vars": prefect_api_env()}})
    raise ValueError(f"unknown runner {runner!r}: choose one of {', '.join(RUNNERS)}")


def prefect_api_env() -> dict[str, str]:
    """Environment for local worker processes so they report to this process's Prefect API.

    Without it each worker of a local Dask cluster or Ray instance would start a temporary server
    of its own (seconds each, and its task runs recorded elsewhere). With no API configured, this starts the
    temporary server the flow would start anyway and hands its address to the workers.
    """
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()
        server.start()
        url = server.api_url
    return {"PREFECT_API_URL": url}


def parallelism(runner: Any) -> int:
    """How many batches a started task runner works on at once (1 when it cannot tell).

    Threads: the pool's size, at most one per core (each batch cleans in a child process).
    Dask: the cluster's worker threads. Ray: the cluster's CPUs.
    """
    name = type(runner).__name__
    cores = os.cpu_count() or 1
    if name == "ThreadPoolTaskRunner":
        return min(getattr(runner, "_max_workers", 1), cores)
    if name == "DaskTaskRunner":
        return sum(runner.client.nthreads().values()) or 1
    if name == "RayTaskRunner":
        import ray

        return int(ray.cluster_resources().get("CPU", 1))
    return 1


def runner_matches(current: Any, runner: str, address: str | None) -> bool:
    """Whether a flow run's task runner is the one asked for (so no subflow is needed)."""
    name = type(current).__name__
    if runner == "threads":
        return name == "ThreadPoolTaskRunner"
    if runner == "dask":
        return name == "DaskTaskRunner" and (getattr(current, "address", None) or None) == (address or None)
    if runner == "ray":
        return name == "RayTaskRunner" and (getattr(current, "address", None) or None) == (address or None)
    return False
