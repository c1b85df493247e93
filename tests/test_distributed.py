"""Rounds spread over worker processes through a real Redis server (redis-server on 127.0.0.1).

The coordinator (`portalwatch check --redis URL`) and `portalwatch worker` processes crawl the
sample portal; the archive must end up as a single-machine round leaves it.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sampleportal import SamplePortal
from tests.conftest import make_setup

pytest.importorskip("redis", reason="distributed mode needs the [distributed] extra (redis, scrapy-redis)")
pytest.importorskip("scrapy_redis", reason="distributed mode needs the [distributed] extra (redis, scrapy-redis)")

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None,
                                reason="no redis-server binary (Debian: apt-get install redis-server; CI installs it)")

CLI = [sys.executable, "-c", "from monitor.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A private redis-server on a random port, without persistence; stopped after the test."""
    import redis

    port = free_port()
    server = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    else:
        server.kill()
        pytest.fail("redis-server did not start")
    yield url
    server.terminate()
    server.wait(10)


class Workers:
    """`portalwatch worker` processes, stopped (or killed) at the end of the test."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.procs: list[subprocess.Popen] = []

    def start(self, *extra: str) -> subprocess.Popen:
        proc = subprocess.Popen([*CLI, "worker", "--redis", self.redis_url, "--workers", "0", "--concurrency", "4",
                                 "--heartbeat-ttl", "2", *extra], stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(redis_url):
    pool = Workers(redis_url)
    yield pool
    pool.stop()


def snapshot(archive_path: Path) -> dict:
    """What a round decided, independent of ids and timing: each notice's status and
    versions (by content fingerprint), and every change by notice, kind and fields."""
    conn = sqlite3.connect(archive_path)
    pages = {url: status for url, status in conn.execute("SELECT url, status FROM pages")}
    versions = sorted(conn.execute("SELECT p.url, v.fingerprint FROM versions v JOIN pages p ON p.id = v.page_id"))
    changes = sorted(conn.execute("SELECT p.url, c.kind, COALESCE(c.fields, '') FROM changes c "
                                  "JOIN pages p ON p.id = c.page_id"))
    captures = dict(conn.execute("SELECT p.url, COUNT(*) FROM captures c JOIN pages p ON p.id = c.page_id "
                                 "GROUP BY p.url"))
    conn.close()
    return {"pages": pages, "versions": versions, "changes": changes, "captures": captures}


def distributed_check(setup, redis_url: str, *args: str) -> dict:
    result = setup.invoke("check", "--redis", redis_url, "--json", *args)
    return json.loads(result.output.strip().splitlines()[-1])


def test_two_workers_leave_the_archive_a_single_machine_round_leaves(portal, tmp_path, redis_url, workers):
    (tmp_path / "single").mkdir()
    (tmp_path / "spread").mkdir()
    single = make_setup(portal, tmp_path / "single")
    spread = make_setup(portal, tmp_path / "spread")
    blobs = tmp_path / "blobs"
    # One worker sends every result through the blob store, the other through Redis.
    workers.start("--blob-store", blobs.as_uri(), "--blob-threshold", "1")
    workers.start()
    single.invoke("check", "--workers", "0")
    first = distributed_check(spread, redis_url)
    assert first["fetched"] > 0 and not first["interrupted"]
    assert snapshot(spread.archive_path) == snapshot(single.archive_path)

    portal.edit_notice("hunan", 1)
    portal.remove_notice("zhejiang", 2, how="soft404")
    portal.add_notice("govcn")
    portal.churn_boilerplate()
    single.invoke("check", "--workers", "0", "--recheck", "all")
    second = distributed_check(spread, redis_url, "--recheck", "all")
    assert second["changes"] == {"edited": 1, "removed": 1, "new": 1}
    assert snapshot(spread.archive_path) == snapshot(single.archive_path)
    assert blobs.is_dir() and not list(blobs.iterdir())  # each blob deleted once stored


def test_killed_worker_round_completes_and_each_notice_is_stored_once(tmp_path, redis_url, workers):
    import redis

    from monitor.distributed.coordinator import status

    with SamplePortal(articles_per_site=60) as portal:
        setup = make_setup(portal, tmp_path)
        doomed = workers.start("--concurrency", "2")
        workers.start("--concurrency", "2")
        coordinator = subprocess.Popen([*CLI, "check", "--redis", redis_url, "--json", "--config",
                                        str(setup.config_path)], stdout=subprocess.PIPE, text=True)
        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            info = status(redis_url)
            owners = {v.decode() for v in client.hvals("portalwatch:owner")}
            if info["round"] and info["round"]["fetched"] >= 20 and len(owners) == 2:
                break
            time.sleep(0.05)
        os.kill(doomed.pid, signal.SIGKILL)  # mid-round, holding requests in flight
        doomed.wait()
        out, _ = coordinator.communicate(timeout=120)
        assert coordinator.returncode == 0
        report = json.loads(out.strip().splitlines()[-1])
        assert not report["interrupted"]
        stored = snapshot(setup.archive_path)
        for site in portal.sites:
            expected = set(portal.article_urls(site, listed_only=True))
            assert expected <= set(stored["pages"]), site
        assert set(stored["captures"].values()) == {1}  # every notice fetched and stored exactly once
        assert len(stored["versions"]) == len(stored["pages"])
        assert sorted(kind for _, kind, _ in stored["changes"]) == ["new"] * len(stored["pages"])


def test_download_delay_holds_for_all_workers_together(redis_url):
    """Two workers' politeness reservations for one host are spaced by the delay."""
    import redis

    from spiders.redis_queue import HostPoliteness, Keys

    first, second = (HostPoliteness(redis.Redis.from_url(redis_url), Keys()) for _ in range(2))
    waits = []
    for i in range(6):
        worker = first if i % 2 == 0 else second
        waits.append(float(worker._reserve(keys=[worker.keys.next_allowed("gov.example")], args=[1.0])))
    # Each reservation waits one more second than the previous one: one fetch a second for the pair.
    for before, after in itertools.pairwise(waits):
        assert after - before == pytest.approx(1.0, abs=0.05)


def test_status_shows_live_workers_and_queues(redis_url, workers):
    workers.start()
    deadline = time.monotonic() + 30
    info = {}
    while time.monotonic() < deadline:
        out = subprocess.run([*CLI, "status", "--redis", redis_url, "--json"], capture_output=True, text=True,
                             check=True).stdout
        info = json.loads(out)
        if info["workers"]:
            break
        time.sleep(0.2)
    assert len(info["workers"]) == 1
    assert info["queued"] == 0 and info["in_flight"] == 0 and info["round"] is None


def test_check_without_redis_needs_no_redis(setup):
    """Single-machine mode is untouched: --redis is only an option."""
    report = json.loads(setup.invoke("check", "--workers", "0", "--json").output.strip().splitlines()[-1])
    assert report["fetched"] > 0
