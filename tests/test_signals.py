"""Ctrl-C and kill of the real CLI (a subprocess in its own session) during a crawl of the
sample portal: a summary marked "interrupted", exit 130/143, an archive that passes SQLite's
integrity check, and no process left behind (every process of the session is gone, /proc)."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sampleportal import SamplePortal
from storage.archive import Archive
from tests.conftest import make_setup

PORTALWATCH = str(Path(sys.executable).with_name("portalwatch"))
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def session_processes(session: int) -> list[int]:
    """PIDs of live processes in ``session`` (field 6 of /proc/PID/stat), zombies excluded."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def no_process_left(session: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not session_processes(session):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def slow_portal():
    with SamplePortal(articles_per_site=40) as portal:
        yield portal


def start(setup, *args: str) -> subprocess.Popen:
    return subprocess.Popen([PORTALWATCH, *args, "--config", str(setup.config_path)], cwd=setup.config_path.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_requests(portal: SamplePortal, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(len(portal.requests(site)) for site in portal.sites) < count:
        assert time.monotonic() < deadline, "the crawl never got going"
        time.sleep(0.05)


def archive_is_sound(path: Path) -> int:
    """Integrity check passes; returns how many versions the archive holds."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    with Archive(path, readonly=True) as archive:
        return archive.counts()["versions"]


def slow_setup(portal, tmp_path):
    # One request at a time, 0.3 s apart: the round takes far longer than the test waits.
    return make_setup(portal, tmp_path, download_delay=0.3, concurrency_per_domain=1)


def test_ctrl_c_of_check_finishes_in_hand_prints_interrupted_and_leaves_no_process(slow_portal, tmp_path):
    setup = slow_setup(slow_portal, tmp_path)
    process = start(setup, "check", "--workers", "1")
    wait_for_requests(slow_portal, 12)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    assert "interrupted" in out
    assert no_process_left(process.pid), session_processes(process.pid)
    assert archive_is_sound(setup.archive_path) > 0


def test_sigterm_of_crawl_exits_143_with_a_summary_and_no_orphans(slow_portal, tmp_path):
    setup = slow_setup(slow_portal, tmp_path)
    process = start(setup, "crawl", "--workers", "1")
    wait_for_requests(slow_portal, 12)
    os.kill(process.pid, signal.SIGTERM)  # kill, timeout, systemd: the command alone
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, (out, err)
    assert "interrupted" in out
    assert no_process_left(process.pid), session_processes(process.pid)
    assert archive_is_sound(setup.archive_path) > 0


def test_a_second_signal_stops_at_once_and_the_archive_stays_sound(slow_portal, tmp_path):
    setup = make_setup(slow_portal, tmp_path, download_delay=0.3, concurrency_per_domain=1,
                       timeout=30, retries=0)
    process = start(setup, "check", "--workers", "1")
    wait_for_requests(slow_portal, 8)
    os.kill(process.pid, signal.SIGTERM)
    time.sleep(0.05)
    os.kill(process.pid, signal.SIGTERM)
    started = time.monotonic()
    process.communicate(timeout=30)
    assert process.returncode == 143
    assert time.monotonic() - started < 5
    assert no_process_left(process.pid), session_processes(process.pid)
    archive_is_sound(setup.archive_path)


def test_kill_9_of_check_leaves_no_process_behind(slow_portal, tmp_path):
    setup = slow_setup(slow_portal, tmp_path)
    process = start(setup, "check", "--workers", "2")
    wait_for_requests(slow_portal, 12)
    os.kill(process.pid, signal.SIGKILL)
    # The pipes close when the last process holding them ends: the fork server exits with the
    # command and the round and its workers follow (death signal, then at most the orphan grace).
    # Generous bounds: on a loaded 2-core machine this took more than 30 s once.
    process.communicate(timeout=120)
    assert no_process_left(process.pid, within=30), session_processes(process.pid)
    archive_is_sound(setup.archive_path)


def test_sigterm_of_watch_exits_143_after_publishing_the_round(slow_portal, tmp_path):
    setup = slow_setup(slow_portal, tmp_path)
    process = start(setup, "watch", "--workers", "1")
    wait_for_requests(slow_portal, 12)
    os.kill(process.pid, signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, (out, err)
    assert "interrupted" in out
    assert no_process_left(process.pid), session_processes(process.pid)
    archive_is_sound(setup.archive_path)


def test_ctrl_c_of_serve_exits_130(slow_portal, tmp_path):
    setup = make_setup(slow_portal, tmp_path)
    setup.invoke("crawl", "--workers", "0", "--site", "hunan")
    process = start(setup, "serve", "--port", "0")
    line = process.stdout.readline()
    assert line.startswith("Serving"), line
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, (out, err)
    assert "interrupted" in out
    assert no_process_left(process.pid), session_processes(process.pid)


def test_ctrl_c_of_export_writes_whole_records_and_exits_130(tmp_path):
    with SamplePortal(articles_per_site=40) as portal:
        setup = make_setup(portal, tmp_path)
        setup.invoke("crawl", "--workers", "0")
    reader, writer = os.pipe()
    # stdout is a pipe nobody reads until the signal: the export blocks mid-way, as on a slow disk.
    process = subprocess.Popen([PORTALWATCH, "export", "--all-versions", "--config", str(setup.config_path)],
                               stdout=writer, stderr=subprocess.PIPE, text=True, start_new_session=True)
    os.close(writer)
    time.sleep(3)
    os.killpg(process.pid, signal.SIGINT)
    chunks = []
    while chunk := os.read(reader, 65536):
        chunks.append(chunk)
    os.close(reader)
    err = process.communicate(timeout=30)[1]
    assert process.returncode == 130, err
    assert "interrupted" in err
    import json

    lines = b"".join(chunks).decode().splitlines()
    assert lines and all(json.loads(line)["url"] for line in lines)  # every record whole
