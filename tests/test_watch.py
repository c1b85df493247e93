"""The long-running watcher and alerting, end to end through the real CLI and processes."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import feedparser
import pytest

from sampleportal import SamplePortal
from storage.archive import Archive
from tests.conftest import make_setup
from tests.test_monitor import check


def portalwatch(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from monitor.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def archive_is_consistent(path) -> None:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # every stored version belongs to a capture that points back at it, or is a re-extraction
    orphans = conn.execute(
        "SELECT COUNT(*) FROM versions v WHERE v.reextracted = 0 AND NOT EXISTS"
        " (SELECT 1 FROM captures c WHERE c.id = v.capture_id AND c.version_id = v.id)").fetchone()[0]
    assert orphans == 0
    dangling = conn.execute(
        "SELECT COUNT(*) FROM pages p WHERE p.current_version_id IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM versions v WHERE v.id = p.current_version_id)").fetchone()[0]
    assert dangling == 0
    missing_blobs = conn.execute(
        "SELECT COUNT(*) FROM captures c WHERE c.body_sha256 IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM blobs b WHERE b.sha256 = c.body_sha256)").fetchone()[0]
    assert missing_blobs == 0
    conn.close()


def test_three_rounds_in_one_watch_process(portal, tmp_path):
    setup = make_setup(portal, tmp_path)
    setup.config_path.write_text(
        f'archive = "{setup.archive_path.name}"\n' + portal.sites_toml(sites=["hunan"]) + 'schedule = { every = "1s" }\n',
        encoding="utf-8")
    proc = portalwatch("watch", "--config", str(setup.config_path), "--max-rounds", "3", "--workers", "0")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "stopped after 3 round(s)" in out
    with Archive(setup.archive_path, readonly=True) as archive:
        assert archive.rounds_done("hunan") == 3
        listed = len(portal.article_urls("hunan", listed_only=True))
        assert archive.counts()["captures"] >= listed + 1  # first round stored all; later rounds re-checked
    archive_is_consistent(setup.archive_path)


def test_sigterm_mid_round_exits_143_and_leaves_a_consistent_archive(tmp_path):
    with SamplePortal(articles_per_site=400) as portal:
        setup = make_setup(portal, tmp_path, max_list_pages=40)
        setup.config_path.write_text(f'archive = "{setup.archive_path.name}"\n'
                                     + portal.sites_toml(sites=["hunan", "govcn"], max_list_pages=40),
                                     encoding="utf-8")
        proc = portalwatch("watch", "--config", str(setup.config_path), "--workers", "0")
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored < 30:
            time.sleep(0.3)
            if setup.archive_path.exists():
                try:
                    with Archive(setup.archive_path, readonly=True) as archive:
                        stored = archive.counts()["captures"]
                except (sqlite3.Error, OSError, RuntimeError):  # the file is still being created
                    stored = 0
        assert stored >= 30, "the round never got going"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err  # 128 + SIGTERM, as the shell reports a stopped command
        assert "interrupted" in out
        with Archive(setup.archive_path, readonly=True) as archive:
            total = archive.counts()["pages"]
        assert total < 800, "the round should have been cut short"
        archive_is_consistent(setup.archive_path)


class Receiver:
    """A real local HTTP endpoint that records what Apprise posts to it."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                received.append(self.rfile.read(length).decode("utf-8"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_edit_is_alerted_to_a_webhook_with_the_diff_and_listed_in_the_feed(portal, tmp_path, receiver):
    setup = make_setup(portal, tmp_path)
    setup.config_path.write_text(
        f'archive = "{setup.archive_path.name}"\nalerts = ["{receiver.url}"]\nfeed = "changes.atom"\n'
        + portal.sites_toml(), encoding="utf-8")
    check(setup)
    assert receiver.received == [], "the first crawl is a baseline, not 36 alerts"
    edit = portal.edit_notice("hunan", 1)
    portal.churn_boilerplate()
    check(setup)
    assert len(receiver.received) == 1
    message = json.loads(receiver.received[0])
    body = message.get("message", "") + message.get("title", "")
    notice = portal.notice("hunan", 1)
    assert notice.title in body and notice.url in body
    assert "修改" in body or "edited" in body
    changed_figure = edit.changes[0][1]
    assert any(ch.isdigit() for ch in changed_figure)
    assert "[+" in body and "[-" in body
    feed = feedparser.parse((tmp_path / "changes.atom").read_text(encoding="utf-8"))
    assert feed.bozo == 0
    assert any(notice.url == entry.link for entry in feed.entries)
    log_lines = (tmp_path / "archive.changes.jsonl").read_text(encoding="utf-8").splitlines()
    assert any(json.loads(line)["kind"] == "edited" for line in log_lines)


def test_unreachable_alert_target_never_loses_the_change(portal, tmp_path):
    setup = make_setup(portal, tmp_path)
    setup.config_path.write_text(
        f'archive = "{setup.archive_path.name}"\nalerts = ["json://127.0.0.1:9/hook"]\n' + portal.sites_toml(),
        encoding="utf-8")
    check(setup)
    portal.remove_notice("govcn", 1, how="404")
    report = check(setup)
    assert report["changes"] == {"removed": 1}
    with Archive(setup.archive_path, readonly=True) as archive:
        rows = archive.conn.execute("SELECT ok, target FROM deliveries").fetchall()
        assert rows and all(ok == 0 for ok, _ in rows)
        assert len(archive.changes(kinds=["removed"])) == 1
    assert os.path.exists(tmp_path / "archive.atom")


def test_watch_is_quiet_by_default_and_logs_with_verbose(tmp_path):
    import subprocess
    import sys

    from sampleportal import SamplePortal
    from tests.conftest import make_setup

    with SamplePortal(articles_per_site=3) as portal:
        setup = make_setup(portal, tmp_path, sites=["hunan"])
        outputs = []
        for extra in ([], ["-v"]):
            proc = subprocess.run([sys.executable, "-c", "from monitor.cli import main; main()", "watch",
                                   "--config", str(setup.config_path), "--max-rounds", "1", "--workers", "0",
                                   *extra], check=False, capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            outputs.append(proc.stdout + proc.stderr)
    quiet, verbose = outputs
    assert "hunan" in quiet and " INFO " not in quiet
    assert " INFO " in verbose
