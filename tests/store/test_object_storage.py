"""Ingest from and to an S3 bucket on a real local S3-compatible server (moto's, on 127.0.0.1)."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support import RAW, SEED_NAMES

pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the local S3 server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, monkeypatch, request):
    for key, value in KEYS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    name = "decruft-" + request.node.name.replace("_", "-")[:40].lower()
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=name)
    for seed in SEED_NAMES:
        client.put_object(Bucket=name, Key=f"raw/{seed}", Body=(RAW / seed).read_bytes())
    client.put_object(Bucket=name, Key=f"raw/{SEED_NAMES[0]}.meta.json",
                      Body=json.dumps({"url": "https://www.dw.com/en/x/a-1", "title": "From the sidecar"}))
    client.put_object(Bucket=name, Key="raw/.hidden.txt", Body=b"not a page")
    return name, client


def s3fs(endpoint):
    import pyarrow.fs as pafs

    host = endpoint.split("://", 1)[1]
    return pafs.S3FileSystem(endpoint_override=host, scheme="http", access_key=KEYS["AWS_ACCESS_KEY_ID"],
                             secret_key=KEYS["AWS_SECRET_ACCESS_KEY"], region=KEYS["AWS_DEFAULT_REGION"])


def test_discover_and_read_raw_files_with_sidecars_from_a_bucket(bucket):
    from decruft.read.sources import discover, read_documents

    name, _ = bucket
    files = list(discover(f"s3://{name}/raw"))
    assert [f.rel_path for f in files] == SEED_NAMES
    docs = list(read_documents(files[0]))
    assert docs[0].data == (RAW / SEED_NAMES[0]).read_bytes()
    assert docs[0].metadata["title"] == "From the sidecar" and docs[0].metadata_origin == "sidecar"
    with pytest.raises(FileNotFoundError):
        list(discover(f"s3://{name}/nothing-here"))


@pytest.mark.usefixtures("prefect_server")
def test_flow_ingests_from_and_to_a_bucket_and_pyarrow_reads_it_back(bucket, s3_endpoint):
    import pyarrow.dataset as pads

    from decruft_flows.ingest import ingest

    name, client = bucket
    first = ingest(raw=f"s3://{name}/raw", out=f"s3://{name}/processed")
    assert first["articles"] == len(SEED_NAMES) and first["failed_files"] == []
    again = ingest(raw=f"s3://{name}/raw", out=f"s3://{name}/processed")
    assert again["skipped"] == len(SEED_NAMES) and again["articles"] == 0

    fs = s3fs(s3_endpoint)
    table = pads.dataset(f"{name}/processed/articles", filesystem=fs, format="parquet",
                         partitioning="hive").to_table()
    assert sorted(table.column("source_path").to_pylist()) == SEED_NAMES
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=name, Prefix="processed/")["Contents"]}
    assert not any(k.endswith((".tmp", "run.lock")) for k in keys)  # moved into place, lock released
    assert any(k.startswith("processed/_manifest/") for k in keys)


def test_endpoint_in_the_uri_query_instead_of_the_environment(bucket, s3_endpoint, monkeypatch, tmp_path):
    from decruft.ingest import Settings, run

    name, _ = bucket
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    host = s3_endpoint.split("://", 1)[1]
    query = f"?endpoint_override={host}&scheme=http"
    report = run(Settings(raw=f"s3://{name}/raw{query}", out=f"s3://{name}/lib{query}"))
    assert report.totals.articles == len(SEED_NAMES)
    from decruft.store.dataset import Dataset

    assert Dataset(f"s3://{name}/lib{query}").articles().num_rows == len(SEED_NAMES)


def test_the_readme_reads_output_back_from_a_bucket(bucket, s3_endpoint, monkeypatch, capsys):
    """The README's s3:// snippets, against this server instead of 127.0.0.1:9000. pandas needs
    s3fs (not a dependency) and DuckDB downloads httpfs, so those two run only where they can."""
    import re

    from tests.support import PROJECT
    from decruft.ingest import Settings, run

    snippets = re.findall(r"```python s3\n(.*?)```", (PROJECT / "README.md").read_text(), flags=re.S)
    assert len(snippets) == 3
    _, client = bucket
    client.create_bucket(Bucket="news")
    run(Settings(raw=str(RAW), out="s3://news/processed"))
    host = s3_endpoint.split("://", 1)[1]
    ran = 0
    for snippet in snippets:
        if "import pandas" in snippet and importlib.util.find_spec("s3fs") is None:
            continue
        exec(compile(snippet.replace("127.0.0.1:9000", host), "README.md", "exec"), {})
        assert capsys.readouterr().out.strip()
        ran += 1
    assert ran >= 2


def test_a_missing_bucket_is_a_storage_error_before_prefect_starts(bucket, tmp_path, monkeypatch, capsys):
    from decruft.cli import ExitCode, main

    monkeypatch.setitem(sys.modules, "decruft_flows.ingest", None)
    for argv in (["ingest", "--raw", "s3://no-such-bucket/raw", "--out", str(tmp_path / "out")],
                 ["ingest", "--raw", str(RAW), "--out", "s3://no-such-bucket/processed"],
                 ["stats", "--out", "s3://no-such-bucket/processed"]):
        assert main(argv) == ExitCode.STORAGE
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "bucket 'no-such-bucket' not found" in err, err
    name, _ = bucket
    assert main(["ingest", "--raw", f"s3://{name}/nothing-here", "--out", str(tmp_path / "out")]) == ExitCode.USAGE
    assert "raw location not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_crawl_file_over_the_file_limit_is_streamed_from_a_bucket(bucket, tmp_path):
    from decruft.ingest import Settings, run
    from decruft.models import Limits
    from tests.read.test_containers import assert_ingested_once, crawl

    name, client = bucket
    data, html = crawl(200)
    client.put_object(Bucket=name, Key="crawl/CC-NEWS-1.warc.gz", Body=data)
    settings = Settings(raw=f"s3://{name}/crawl", out=str(tmp_path / "out"),
                        limits=Limits(max_file_bytes=len(data) // 10))
    assert_ingested_once(run, settings, html)
