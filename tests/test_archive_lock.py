"""One writer per site: a second crawl/check on one archive waits or refuses, naming the PID."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

from click.testing import CliRunner

from monitor.cli import cli
from sampleportal import SamplePortal
from storage.archive import Archive
from storage.holders import Holder
from tests.conftest import make_setup


def portalwatch(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from monitor.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def locks(path) -> list:
    try:
        with Archive(path, readonly=True) as archive:
            return archive.site_locks()
    except (sqlite3.Error, OSError):
        return []


def no_doubles(path) -> None:
    """No page has two versions with one fingerprint in a row, and no change is stored twice."""
    conn = sqlite3.connect(path)
    doubled = conn.execute(
        "SELECT COUNT(*) FROM versions a JOIN versions b ON a.page_id = b.page_id AND b.number = a.number + 1"
        " WHERE a.fingerprint = b.fingerprint").fetchone()[0]
    twice = conn.execute(
        "SELECT COUNT(*) FROM (SELECT page_id, kind, COALESCE(to_version_id, 0), COALESCE(from_version_id, 0)"
        " FROM changes GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1)").fetchone()[0]
    conn.close()
    assert (doubled, twice) == (0, 0)


def test_two_concurrent_checks_never_double_a_version_and_the_second_names_the_first(tmp_path):
    with SamplePortal(articles_per_site=40) as portal:
        setup = make_setup(portal, tmp_path)
        setup.invoke("check", "--recheck", "all", "--workers", "0", "--site", "hunan")
        edited = sorted(portal.article_url("hunan", i) for i in (1, 5, 9))
        for index in (1, 5, 9):
            portal.edit_notice("hunan", index)
        setup.config_path.write_text(f'archive = "{setup.archive_path.name}"\n'
                                     + portal.sites_toml(download_delay=0.1, concurrency_per_domain=1),
                                     encoding="utf-8")
        args = ("check", "--config", str(setup.config_path), "--recheck", "all", "--workers", "0", "--site", "hunan")
        first = portalwatch(*args)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not locks(setup.archive_path):
            time.sleep(0.05)
        [lock] = locks(setup.archive_path)
        assert (lock.site, lock.pid, lock.command) == ("hunan", first.pid, "portalwatch check")

        second = portalwatch(*args)
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 1
        [line] = err.strip().splitlines()
        assert f"site hunan is being crawled by PID {first.pid}" in line and str(setup.archive_path) in line

        waiting = portalwatch(*args, "--wait", "120")  # waits for the first, then runs its own round
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
        assert "no changes" in out

    with Archive(setup.archive_path, readonly=True) as archive:
        edits = archive.changes(kinds=["edited"])
        assert sorted(c.url for c in edits) == edited
        assert archive.site_locks() == []
    no_doubles(setup.archive_path)


def test_a_lock_left_by_a_dead_process_is_taken_over(portal, tmp_path):
    setup = make_setup(portal, tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Archive(setup.archive_path) as archive:
        busy, _ = archive.acquire_site_locks(["govcn"], Holder(dead.pid, None, "gone"), command="portalwatch check",
                                             at="2026-01-01T00:00:00+00:00")
        assert busy == [] and archive.site_locks()[0].pid == dead.pid

    result = CliRunner().invoke(cli, ["crawl", "--config", str(setup.config_path), "--site", "govcn",
                                      "--workers", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert locks(setup.archive_path) == []
    with Archive(setup.archive_path, readonly=True) as archive:
        assert archive.rounds_done("govcn") == 1


def test_a_live_lock_of_another_site_does_not_stop_a_round(portal, tmp_path):
    setup = make_setup(portal, tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with Archive(setup.archive_path) as archive:
            archive.acquire_site_locks(["hunan"], Holder(sleeper.pid, None, "other"), command="portalwatch watch",
                                       at="2026-01-01T00:00:00+00:00")
        ok = setup.invoke("crawl", "--site", "govcn", "--workers", "0")
        assert "govcn:" in ok.output
        refused = setup.invoke("crawl", "--site", "hunan", "--workers", "0", ok=False)
        assert refused.exit_code == 1
        assert f"site hunan is being crawled by PID {sleeper.pid} (portalwatch watch" in refused.output
    finally:
        sleeper.kill()
        sleeper.wait()
