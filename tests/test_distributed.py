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
from storage.archive import Archive
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


class RedisServer:
    """A private redis-server on a random port of 127.0.0.1 (``appendonly``: persistence on,
    in ``directory``), which a test may restart on the same port and data."""

    def __init__(self, directory: Path, *, appendonly: bool = False) -> None:
        self.directory = directory
        self.appendonly = appendonly
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "yes" if self.appendonly else "no",
                                      "--dir", str(self.directory)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:  # includes "loading the dataset"
                time.sleep(0.05)
        self.proc.kill()
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: a clean shutdown, the append-only file flushed
            self.proc.wait(20)


@pytest.fixture
def redis_url(tmp_path):
    """A private redis-server, without persistence; stopped after the test."""
    server = RedisServer(tmp_path)
    server.start()
    yield server.url
    server.stop()


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


@pytest.fixture
def workers_factory():
    """Workers of a Redis the test starts itself; stopped at the end of the test."""
    pools: list[Workers] = []

    def make(url: str) -> Workers:
        pools.append(Workers(url))
        return pools[-1]

    yield make
    for pool in pools:
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
    single = make_setup(portal, tmp_path / "single", attachments=False)  # workers fetch no attachments yet
    spread = make_setup(portal, tmp_path / "spread", attachments=False)
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


def coordinator_process(setup, redis_url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "check", "--redis", redis_url, "--json", "--config", str(setup.config_path), *args],
                            stdout=subprocess.PIPE, text=True)


def wait_for_progress(redis_url: str, fetched: int, timeout: float = 90) -> None:
    """Until the round in progress has stored ``fetched`` notices (the test fails after ``timeout``)."""
    from monitor.distributed.coordinator import status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = status(redis_url)
        if info["round"] and info["round"]["fetched"] >= fetched:
            return
        time.sleep(0.05)
    pytest.fail(f"the round did not store {fetched} notices within {timeout:g} s")


def assert_each_listed_notice_stored_once(portal, stored: dict) -> None:
    for site in portal.sites:
        assert set(portal.article_urls(site, listed_only=True)) <= set(stored["pages"]), site
    assert set(stored["captures"].values()) == {1}  # every notice fetched and stored exactly once
    assert len(stored["versions"]) == len(stored["pages"])
    assert sorted(kind for _, kind, _ in stored["changes"]) == ["new"] * len(stored["pages"])


def test_killed_coordinator_round_is_resumed_not_planned_again(tmp_path, redis_url, workers):
    """kill -9 of the coordinator mid-round: the round stays in Redis; the next `check --redis`
    resumes it (no notice queued or stored twice) and ends it as a single-machine round would."""
    import redis

    with SamplePortal(articles_per_site=60) as portal:
        (tmp_path / "single").mkdir()
        (tmp_path / "spread").mkdir()
        single = make_setup(portal, tmp_path / "single", attachments=False)  # workers fetch no attachments yet
        spread = make_setup(portal, tmp_path / "spread", attachments=False)
        workers.start("--concurrency", "2")
        workers.start("--concurrency", "2")
        first = coordinator_process(spread, redis_url)
        wait_for_progress(redis_url, 25)
        first.kill()
        first.communicate(timeout=30)
        client = redis.Redis.from_url(redis_url)
        round_id = client.hget("portalwatch:round", "id")
        assert round_id is not None  # left for the next coordinator
        assert client.llen(f"portalwatch:tally:{round_id.decode()}") >= 25

        report = distributed_check(spread, redis_url)
        assert report["error"] is None and not report["interrupted"]
        single.invoke("check", "--workers", "0")
        stored = snapshot(spread.archive_path)
        assert stored == snapshot(single.archive_path)
        assert_each_listed_notice_stored_once(portal, stored)
        # The resumed round's report covers the whole round, the part stored before the kill too.
        assert report["fetched"] == sum(stored["captures"].values())
        assert report["changes"] == {"new": len(stored["pages"])}
        assert client.hget("portalwatch:round", "id") is None


def test_redis_restarted_mid_round_round_completes_and_stores_nothing_twice(tmp_path, workers_factory):
    """Redis (append-only file on) stopped and started again mid-round: workers and the
    coordinator wait for it; the round completes, or fails with a clear error and the next
    `check --redis` finishes it. Every notice is stored exactly once."""
    server = RedisServer(tmp_path, appendonly=True)
    server.start()
    try:
        with SamplePortal(articles_per_site=60) as portal:
            setup = make_setup(portal, tmp_path)
            pool = workers_factory(server.url)
            pool.start("--concurrency", "2")
            pool.start("--concurrency", "2")
            coordinator = coordinator_process(setup, server.url)
            wait_for_progress(server.url, 25)
            server.stop()
            time.sleep(1.0)
            server.start()
            out, _ = coordinator.communicate(timeout=240)
            report = json.loads(out.strip().splitlines()[-1])
            if coordinator.returncode != 0 or report["error"]:
                assert "run the same command again to resume it" in report["error"]
                report = distributed_check(setup, server.url)
            assert report["error"] is None and not report["interrupted"]
            assert_each_listed_notice_stored_once(portal, snapshot(setup.archive_path))
            pool.stop()
    finally:
        server.stop()


@pytest.fixture
def lost_replies(monkeypatch):
    """``lose()``: the reply to the next command Redis runs never arrives (the connection
    drops after Redis ran it), as when Redis stops mid-command; the client retries it."""
    import redis
    from redis.connection import Connection

    armed = []
    read_response = Connection.read_response

    def read(self, *args, **kwargs):
        response = read_response(self, *args, **kwargs)
        if armed:
            armed.clear()
            raise redis.exceptions.ConnectionError("reply lost")
        return response

    monkeypatch.setattr(Connection, "read_response", read)
    return lambda: armed.append(True)


def test_one_time_redis_operations_survive_a_retry_after_a_lost_reply(redis_url, lost_replies):
    """A claim, a duplicate-filter check, a pop or a host slot whose reply was lost is run
    again by the client's retry; the retry answers as the first run did (issue 12)."""
    from scrapy import Request

    from monitor.distributed import connect
    from monitor.distributed.host_slots import HostGate, slots_key
    from spiders.redis_queue import PLAN_META, Keys, ReliableQueue, RoundDupeFilter
    from spiders.redis_spider import SharedClaims

    server = connect(redis_url, grace=5)
    keys = Keys()
    claims, other = SharedClaims(server, keys.requested("r:s")), SharedClaims(server, keys.requested("r:s"))
    assert claims.claim("https://gov.example/warmup") and not other.claim("https://gov.example/warmup")
    lost_replies()
    assert claims.claim("https://gov.example/a")  # the retry finds its own claim
    assert not other.claim("https://gov.example/a")  # and another claimer still loses

    dupefilter = RoundDupeFilter(server, "portalwatch")
    assert not dupefilter.request_seen(Request("https://gov.example/warmup", meta={PLAN_META: "r:s"}))
    lost_replies()
    assert not dupefilter.request_seen(Request("https://gov.example/list_2", meta={PLAN_META: "r:s"}))
    assert dupefilter.request_seen(Request("https://gov.example/list_2", meta={PLAN_META: "r:s"}))

    queue = ReliableQueue(server, None, "portalwatch", worker_id="w1", spider_for=lambda _: None)
    for n in range(3):
        queue.push(Request(f"https://gov.example/{n}", meta={PLAN_META: "r:s"}))
    assert queue.pop() is None  # (its round is over: acknowledged, not fetched)
    lost_replies()
    assert queue.pop() is None
    assert server.zcard(keys.inflight) == 0 and server.zcard(keys.pending) == 1  # one entry taken, not two

    gate = HostGate(server, keys)
    slot = [slots_key(keys, "gov.example")]
    assert gate._acquire(keys=slot, args=[1, "warmup", 60]) == 1
    server.delete(slot[0])
    lost_replies()
    assert gate._acquire(keys=slot, args=[1, "a", 60]) == 1  # its own slot, not a full host


def test_download_delay_holds_for_two_workers_on_the_wire(tmp_path, redis_url, workers):
    """download_delay = 1 and two workers: the portal sees at most one request a second (a
    handful of requests, so the test lasts ~10 s)."""
    with SamplePortal(articles_per_site=3) as portal:
        arrivals: list[tuple[float, str]] = []
        log_request = portal.state.log_request

        def timed(site: str, path: str) -> int:
            arrivals.append((time.monotonic(), path))
            return log_request(site, path)

        portal.state.log_request = timed
        setup = make_setup(portal, tmp_path)
        setup.config_path.write_text(f'archive = "{setup.archive_path.name}"\n'
                                     + portal.sites_toml(sites=["hunan"], download_delay=1), encoding="utf-8")
        workers.start("--concurrency", "2")
        workers.start("--concurrency", "2")
        report = distributed_check(setup, redis_url)
        assert report["error"] is None and report["fetched"] >= 3
        times = sorted(t for t, _ in arrivals)
        assert len(times) >= 6, arrivals
        gaps = [after - before for before, after in itertools.pairwise(times)]
        assert min(gaps) >= 0.9, [(round(t - times[0], 2), p) for t, p in arrivals]


def test_concurrency_per_domain_holds_for_all_workers_together(redis_url):
    """Two workers' gates share a host's concurrency_per_domain slots; a slot whose holder
    never gives it back (a worker killed mid-fetch) is free again once its lease runs out."""
    import redis

    from monitor.distributed.host_slots import HostGate, slots_key
    from spiders.redis_queue import Keys

    first, second = (HostGate(redis.Redis.from_url(redis_url), Keys()) for _ in range(2))
    key = [slots_key(first.keys, "gov.example")]
    assert first._acquire(keys=key, args=[2, "a", 60]) == 1
    assert second._acquire(keys=key, args=[2, "b", 60]) == 1
    assert second._acquire(keys=key, args=[2, "c", 60]) == 0  # both slots held, by two workers
    first.server.zrem(key[0], "a")
    assert second._acquire(keys=key, args=[2, "c", 0.3]) == 1
    assert first._acquire(keys=key, args=[2, "d", 60]) == 0
    time.sleep(0.4)  # "c" never released: its lease runs out
    assert first._acquire(keys=key, args=[2, "d", 60]) == 1


def test_watch_with_redis_runs_scheduled_rounds_through_workers(portal, tmp_path, redis_url, workers):
    setup = make_setup(portal, tmp_path)
    setup.config_path.write_text(
        f'archive = "{setup.archive_path.name}"\n' + portal.sites_toml(sites=["hunan"]) + 'schedule = { every = "1s" }\n',
        encoding="utf-8")
    workers.start()
    proc = subprocess.Popen([*CLI, "watch", "--redis", redis_url, "--config", str(setup.config_path),
                             "--max-rounds", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert "stopped after 2 round(s)" in out
    assert "through redis://" in out
    stored = snapshot(setup.archive_path)
    assert set(portal.article_urls("hunan", listed_only=True)) <= set(stored["pages"])
    with Archive(setup.archive_path, readonly=True) as archive:
        assert archive.rounds_done("hunan") == 2


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
