"""The outbox: every stored change announced to each target once, whatever stopped a run.

Real CLI (CliRunner and subprocesses), real SQLite files, the sample portal on 127.0.0.1 and
a webhook receiver on 127.0.0.1 that records every POST with the status it answered.
"""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sampleportal import SamplePortal
from storage.archive import Archive
from tests.conftest import make_setup


class Webhook:
    """Records (path, status answered, JSON body) of each POST; ``failing`` paths answer 500."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, int, dict]] = []
        self.down = False
        self.failing: set[str] = set()
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 500 if hook.down or self.path in hook.failing else 200
                with hook.lock:
                    hook.posts.append((self.path, status, json.loads(body or b"{}")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def accepted(self, path: str = "/hook") -> list[dict]:
        return [body for p, status, body in self.posts if p == path and status == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


def write_config(setup, portal, *, alerts: list[str], sites=None, **overrides) -> None:
    quoted = ", ".join(f'"{url}"' for url in alerts)
    setup.config_path.write_text(f'archive = "{setup.archive_path.name}"\nalerts = [{quoted}]\n'
                                 + portal.sites_toml(sites=sites, **overrides), encoding="utf-8")


def portalwatch(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from monitor.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Wait for a command; one that overruns is killed with its whole session (rounds, workers),
    so a slow machine fails the test instead of leaving a watcher running after the suite."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise


def stored_changes(setup, **filters):
    with Archive(setup.archive_path, readonly=True) as archive:
        return archive.changes(**filters)


def changelog_ids(setup) -> Counter:
    path = setup.archive_path.with_name(f"{setup.archive_path.stem}.changes.jsonl")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return Counter(line["id"] for line in lines)


def alerted_urls(webhook: Webhook, path: str = "/hook") -> Counter:
    """How often each notice URL was told in an accepted alert (the URL is in the body)."""
    counts: Counter = Counter()
    for body in webhook.accepted(path):
        match = re.search(r"网址: (\S+)", body.get("message", ""))
        counts[match.group(1) if match else body.get("title")] += 1
    return counts


def test_kill_9_of_check_after_edits_were_stored_then_check_announces_each_once(webhook, tmp_path):
    with SamplePortal(articles_per_site=60) as portal:
        setup = make_setup(portal, tmp_path)
        write_config(setup, portal, alerts=[webhook.url()], sites=["hunan"])
        setup.invoke("check", "--recheck", "all", "--workers", "0")  # the baseline: nothing alerted
        assert webhook.posts == []
        edited = [portal.article_url("hunan", i) for i in range(0, 60, 6)]  # 10 of 60: not a mass change
        for index in range(0, 60, 6):
            portal.edit_notice("hunan", index)
        write_config(setup, portal, alerts=[webhook.url()], sites=["hunan"], download_delay=0.15,
                     concurrency_per_domain=1)
        proc = portalwatch("check", "--config", str(setup.config_path), "--recheck", "all", "--workers", "0")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(stored_changes(setup, kinds=["edited"])) < 2:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        stored_before = len(stored_changes(setup, kinds=["edited"]))
        assert 2 <= stored_before < 10, f"the kill should land mid-round ({stored_before} edits stored)"
        assert webhook.posts == [], "killed before publishing"

        setup.invoke("check", "--recheck", "all", "--workers", "0")  # takes over the dead PID's lock
        setup.invoke("check", "--recheck", "all", "--workers", "0")  # nothing left to tell

    edits = stored_changes(setup, kinds=["edited"])
    assert sorted(c.url for c in edits) == sorted(edited)  # each edit stored once, none lost
    with Archive(setup.archive_path, readonly=True) as archive:
        states = [(a.change_id, a.target, a.state, a.error) for a in archive.announcements()
                  if a.change_id in {c.id for c in edits}]
    assert alerted_urls(webhook) == Counter({url: 1 for url in edited}), (states, webhook.posts)
    logged = changelog_ids(setup)
    every_change = [c.id for c in stored_changes(setup)]
    assert logged == Counter({change_id: 1 for change_id in every_change})
    with Archive(setup.archive_path, readonly=True) as archive:
        assert archive.announcements(states=("pending", "sending", "failed")) == []
        assert archive.site_locks() == []


def test_webhook_down_then_up_across_rounds_delivers_each_alert_once(portal, tmp_path, webhook):
    setup = make_setup(portal, tmp_path)
    write_config(setup, portal, alerts=[webhook.url()])
    setup.invoke("check", "--recheck", "all", "--workers", "0")
    first = portal.article_url("hunan", 1)
    portal.edit_notice("hunan", 1)
    portal.remove_notice("govcn", 2, how="404")
    webhook.down = True
    setup.invoke("check", "--recheck", "all", "--workers", "0")
    assert webhook.posts and webhook.accepted() == []

    waiting = setup.json_lines("deliveries")
    assert {(row["state"], row["target"]) for row in waiting} == {("failed", f"json://127.0.0.1:{webhook.port}/***")}
    assert len(waiting) == 2 and all("500" in row["error"] or "not tried" in row["error"] for row in waiting)
    listed = setup.invoke("changes", "--kind", "edited").output
    assert "not announced yet: json://127.0.0.1:" in listed and "failed" in listed

    webhook.down = False
    added = portal.add_notice("zhejiang")
    setup.invoke("check", "--recheck", "all", "--workers", "0")
    setup.invoke("check", "--recheck", "all", "--workers", "0")

    assert alerted_urls(webhook) == Counter({first: 1, portal.article_url("govcn", 2): 1, added: 1})
    assert "nothing waiting" in setup.invoke("deliveries").output
    edited = setup.json_lines("changes", "--kind", "edited")
    assert edited[0]["announced"] == {f"json://127.0.0.1:{webhook.port}/***": "sent", "changelog": "sent",
                                      "feed": "sent"}


def test_watch_over_three_sites_with_a_failing_target_posts_nothing_twice(portal, tmp_path, webhook):
    setup = make_setup(portal, tmp_path)
    alerts = [webhook.url("/ok"), webhook.url("/broken")]
    write_config(setup, portal, alerts=alerts)
    setup.invoke("check", "--recheck", "all", "--workers", "0")
    urls = [portal.article_url(site, 1) for site in ("hunan", "zhejiang", "govcn")]
    for site in ("hunan", "zhejiang", "govcn"):
        portal.edit_notice(site, 1)
    webhook.down = True  # both targets down for this round: every alert pending
    setup.invoke("check", "--recheck", "all", "--workers", "0")
    webhook.down = False
    webhook.failing = {"/broken"}  # /ok is back, /broken stays down
    write_config(setup, portal, alerts=alerts, schedule={"every": "1s"})

    proc = portalwatch("watch", "--config", str(setup.config_path), "--max-rounds", "6", "--workers", "0")
    _out, err = finish(proc, timeout=300)
    assert proc.returncode == 0, err

    assert alerted_urls(webhook, "/ok") == Counter({url: 1 for url in urls})
    assert webhook.accepted("/broken") == []
    with Archive(setup.archive_path, readonly=True) as archive:
        broken = archive.announcements(target=f"json://127.0.0.1:{webhook.port}/*** #2")
        assert len([a for a in broken if a.state == "failed"]) == 3
        rows = archive.conn.execute("SELECT error FROM deliveries WHERE ok = 0 AND attempts > 0").fetchall()
    for (error,) in rows:  # one failure's text per row, never another thread's
        assert error.count("Failed to send") <= 1, error


def test_publish_command_sends_what_a_crawl_stored_and_backoff_waits(portal, tmp_path, webhook):
    setup = make_setup(portal, tmp_path)
    write_config(setup, portal, alerts=[webhook.url()])
    setup.invoke("crawl", "--workers", "0")
    portal.edit_notice("zhejiang", 3)
    setup.invoke("crawl", "--recheck", "all", "--workers", "0")  # a crawl stores, does not announce
    assert webhook.posts == []

    webhook.down = True
    for _ in range(2):  # two failed runs: the next try waits a minute
        assert setup.invoke("publish", ok=False).exit_code == 1
    tries = len(webhook.posts)
    assert setup.invoke("publish", ok=False).exit_code == 0  # nothing due yet
    assert len(webhook.posts) == tries
    [row] = setup.json_lines("deliveries")
    assert row["state"] == "failed" and row["next_attempt_at"]

    webhook.down = False
    result = setup.invoke("publish", "--retry-now")
    assert "1 alert(s) sent" in result.output
    assert alerted_urls(webhook) == Counter({portal.article_url("zhejiang", 3): 1})
    assert setup.invoke("publish").output.startswith("0 alert(s) sent")


def test_a_change_is_claimed_by_one_holder_only(tmp_path):
    from storage.holders import Holder

    archive = Archive(tmp_path / "claims.db")
    with archive.transaction():
        page = archive.ensure_page("demo", "http://www.demo.gov.cn/a.html", "2024-05-01T00:00:00+00:00")
        ids = [archive.add_change(page.id, "removed", detected_at="2024-05-01T00:00:00+00:00") for _ in range(50)]
    archive.register_targets(["feed"], at="x")
    archive.conn.execute("UPDATE announce_targets SET through_change_id = 0")
    archive.enqueue_announcements(["feed"])
    claims: list[list[int]] = []

    def claim() -> None:
        mine = Archive(tmp_path / "claims.db")
        claims.append([a.change_id for a in mine.claim_announcements(Holder.current(), ["feed"], now="9")])
        mine.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(change_id for claim in claims for change_id in claim) == ids


def test_claims_of_a_dead_process_are_sent_again(tmp_path):
    from storage.holders import Holder

    archive = Archive(tmp_path / "claims.db")
    with archive.transaction():
        page = archive.ensure_page("demo", "http://www.demo.gov.cn/a.html", "2024-05-01T00:00:00+00:00")
        archive.add_change(page.id, "removed", detected_at="2024-05-01T00:00:00+00:00")
    archive.enqueue_subjects(["feed"], change_ids=[1])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    archive.claim_announcements(Holder(dead.pid, None, "gone"), ["feed"], now="9")
    assert archive.claim_announcements(Holder.current(), ["feed"], now="9") == []  # claimed, not free
    [recovered] = archive.recover_claims()
    assert recovered.state == "sending"
    [again] = archive.claim_announcements(Holder.current(), ["feed"], now="9")
    assert again.change_id == 1 and "died" in again.error


def test_existing_failed_deliveries_become_failed_announcements_on_upgrade(tmp_path):
    from storage.schema import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for number, sql in enumerate(MIGRATIONS[:4]):
        conn.executescript(sql)
        conn.execute(f"PRAGMA user_version = {number + 1}")
    conn.execute("INSERT INTO sites (name) VALUES ('demo')")
    conn.execute("INSERT INTO pages (site_id, url, first_seen) VALUES (1, 'http://a.gov.cn/1.html', 'x')")
    conn.execute("INSERT INTO changes (page_id, kind, detected_at) VALUES (1, 'removed', 'x')")
    conn.execute("INSERT INTO deliveries (change_id, target, attempted_at, attempts, ok, error)"
                 " VALUES (1, 'json://h.cn/***', 'x', 3, 0, 'HTTP 500')")
    conn.close()
    with Archive(path) as archive:
        [row] = archive.announcements()
    assert (row.change_id, row.target, row.state, row.error) == (1, "json://h.cn/***", "failed", "HTTP 500")
