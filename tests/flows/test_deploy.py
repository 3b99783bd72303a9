"""The README's "Scheduled and manual runs" walkthrough against a real Prefect server.

Everything runs on 127.0.0.1 with a free port and a temporary PREFECT_HOME; the server and the
worker are started in their own process groups and stopped at the end.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from tests.support import PROJECT, SEED_NAMES

BIN = Path(sys.executable).parent
README = (PROJECT / "README.md").read_text()
SECTION = README.split("## Scheduled and manual runs", 1)[1].split("\n## ", 1)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def walkthrough() -> list[str]:
    """The commands of the README section's bash block, comments removed."""
    block = re.search(r"```bash\n(.*?)```", SECTION, flags=re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


class Processes:
    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs, self.started = env, logs, []

    def start(self, command: str, name: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen(self.argv(command), cwd=PROJECT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.started.append(proc)
        return proc

    def run(self, command: str, timeout: float = 60) -> str:
        done = subprocess.run(self.argv(command), cwd=PROJECT, env=self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def argv(self, command: str) -> list[str]:
        argv = shlex.split(command)
        return [str(BIN / argv[0]), *argv[1:]]

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_readme_walkthrough_deploys_and_runs_the_manual_deployment(tmp_path, seed_raw):
    commands = walkthrough()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="5",
               PREFECT_SERVER_API_PORT=str(port), PWD=str(PROJECT), PYTHONUNBUFFERED="1",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    procs = Processes(env, tmp_path)
    out = tmp_path / "processed"
    try:
        for command in commands:
            if command.startswith("prefect server start"):
                server = procs.start(f"{command} --host 127.0.0.1 --port {port}", "server")
                wait_for(lambda: server.poll() is None and get_json(f"{api}/health") is True, 60,
                         "the Prefect server")
            elif command.startswith("prefect config set PREFECT_API_URL="):
                procs.run(f"prefect config set PREFECT_API_URL={api}")
            elif command.startswith("prefect worker start"):
                worker = procs.start(command, "worker")
            elif command.startswith("prefect deployment run 'ingest/manual'"):
                if "--param" in command:
                    continue  # the README's second example: a reprocessing run, same path
                output = procs.run(f"{command} --param raw={seed_raw} --param out={out}")
                flow_run_id = re.search(r"UUID: ([0-9a-f-]{36})", output).group(1)
            else:
                procs.run(command, timeout=90)
        assert worker.poll() is None, procs.log("worker")

        def finished():
            state = get_json(f"{api}/flow_runs/{flow_run_id}")["state"]
            return state if state["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None

        state = wait_for(finished, 90, "the flow run", interval=1)
        assert state["type"] == "COMPLETED", f"{state}\n{procs.log('worker')}"
        articles = pads.dataset(out / "articles", format="parquet", partitioning="hive").to_table()
        assert sorted(articles.column("source_path").to_pylist()) == SEED_NAMES
        deployments = {d["name"]: d for d in json.loads(urllib.request.urlopen(urllib.request.Request(
            f"{api}/deployments/filter", data=b"{}", headers={"Content-Type": "application/json"},
            method="POST"), timeout=5).read())}
        assert {"nightly", "manual"} <= set(deployments)
        assert {d["global_concurrency_limit"]["limit"] for d in deployments.values()} == {1}
        pool = get_json(f"{api}/work_pools/decruft")
        assert pool["concurrency_limit"] == 1
    finally:
        procs.stop_all()


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.parametrize("parameters, named, reason", [
    ({"runner": "spark"}, "runner", "'spark' is not one of ['threads', 'dask', 'ray']"),
    ({"batch_files": 0}, "batch_files", "less than or equal to the minimum of 0"),
    ({"doc_timeout": -1}, "doc_timeout", "less than or equal to the minimum of 0"),
])
def test_a_deployment_run_with_a_bad_parameter_is_refused_when_created(parameters, named, reason):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.deployments import run_deployment
    from prefect.exceptions import PrefectHTTPStatusError

    from decruft_flows.ingest import ingest

    deployment_id = ingest.to_deployment(name=f"refuses-{named}").apply()
    with pytest.raises(PrefectHTTPStatusError) as refused:
        run_deployment(deployment_id, parameters=parameters, timeout=0)
    assert f"Validation failed for field '{named}'" in str(refused.value) and reason in str(refused.value)
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
        schema = client.read_deployment(deployment_id).parameter_openapi_schema
    assert runs == []  # refused before any flow run existed
    assert all(field.get("description") for field in schema["properties"].values())  # the run form's help


def test_prefect_yaml_limits_each_deployment_and_pins_no_prefect_version():
    import yaml

    config = yaml.safe_load((PROJECT / "prefect.yaml").read_text())
    assert "prefect-version" not in config
    assert {d["name"]: d["concurrency_limit"]["limit"] for d in config["deployments"]} == {
        "nightly": 1, "manual": 1, "weekly": 1}
    assert "prefect work-pool set-concurrency-limit decruft 1" in walkthrough()
