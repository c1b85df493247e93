"""A bad archive is one line naming the file and what is wrong, exit 2, before any fetch."""
from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from storage.archive import Archive
from storage.records import VersionContent
from tests.conftest import make_setup


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def a_real_archive(path) -> None:
    """An archive with a few hundred KB in it, checkpointed (the WAL folded into the file)."""
    with Archive(path) as archive, archive.transaction():
        for n in range(200):
            page = archive.ensure_page("demo", f"http://www.demo.gov.cn/{n}.html", "2024-05-01T00:00:00+00:00")
            archive.add_version(page.id, VersionContent(fingerprint=str(n), text="通知正文。" * 200, title="通知"),
                                created_at="2024-05-01T00:00:00+00:00", capture_id=None)


def assert_one_line_error(result, path, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert str(path) in lines[0] and "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def checked(portal, tmp_path):
    """A setup whose `check` must stop before fetching: returns (setup, run check)."""
    setup = make_setup(portal, tmp_path)

    def check():
        portal.reset_requests()
        result = run("check", "--config", str(setup.config_path), "--workers", "0")
        assert sum(portal.requests().values()) == 0, "nothing may be fetched"
        return result

    return setup, check


@pytest.fixture
def restore_modes():
    changed: list[tuple[str, int]] = []

    def chmod(path, mode: int) -> None:
        changed.append((path, stat.S_IMODE(os.stat(path).st_mode)))
        os.chmod(path, mode)

    yield chmod
    for path, mode in reversed(changed):
        os.chmod(path, mode)


def test_a_file_that_is_not_sqlite(checked):
    setup, check = checked
    setup.archive_path.write_text("site,url\nhunan,http://www.hunan.gov.cn/\n" * 20, encoding="utf-8")
    assert_one_line_error(check(), setup.archive_path, "not an SQLite database")
    assert_one_line_error(run("changes", "--archive", str(setup.archive_path)), setup.archive_path, "not an SQLite")


def test_a_truncated_archive(checked):
    setup, check = checked
    a_real_archive(setup.archive_path)
    size = setup.archive_path.stat().st_size
    with open(setup.archive_path, "r+b") as handle:
        handle.truncate(size // 3)
    assert_one_line_error(check(), setup.archive_path, "truncated")
    assert_one_line_error(run("pages", "--archive", str(setup.archive_path)), setup.archive_path, "truncated")


def test_a_read_only_archive_file(checked, restore_modes):
    setup, check = checked
    a_real_archive(setup.archive_path)
    restore_modes(setup.archive_path, 0o444)
    assert_one_line_error(check(), setup.archive_path, "read-only")
    assert "demo" in run("pages", "--archive", str(setup.archive_path)).output  # reading still works


def test_an_archive_in_a_read_only_folder(checked, restore_modes, tmp_path):
    setup, check = checked
    a_real_archive(setup.archive_path)
    restore_modes(tmp_path, 0o555)
    assert_one_line_error(check(), setup.archive_path, "read-only", "-wal")


def test_a_wal_archive_in_a_read_only_folder(checked, restore_modes, tmp_path):
    setup, check = checked
    a_real_archive(setup.archive_path)
    for suffix in ("-wal", "-shm"):
        assert not os.path.exists(f"{setup.archive_path}{suffix}")
    assert setup.archive_path.read_bytes()[18] == 2  # WAL mode, as every archive
    restore_modes(tmp_path, 0o555)
    assert_one_line_error(run("changes", "--archive", str(setup.archive_path)), setup.archive_path,
                          "WAL", "read-only folder")
    assert_one_line_error(check(), setup.archive_path, "read-only")


def test_demo_refuses_to_replace_an_archive_that_is_not_a_demo(tmp_path):
    path = tmp_path / "mine.db"
    a_real_archive(path)
    before = path.read_bytes()
    result = run("demo", "--archive", str(path))
    assert_one_line_error(result, path, "--force")
    assert path.read_bytes() == before
    text = tmp_path / "notes.db"
    text.write_text("not an archive", encoding="utf-8")
    assert_one_line_error(run("demo", "--archive", str(text)), text, "--force")
    assert text.read_text(encoding="utf-8") == "not an archive"


def test_demo_replaces_its_own_archive_and_any_with_force(tmp_path):
    path = tmp_path / "mine.db"
    a_real_archive(path)
    result = run("demo", "--archive", str(path), "--articles", "3", "--force")
    assert result.exit_code == 0, result.output
    again = run("demo", "--archive", str(path), "--articles", "3")  # a demo archive: replaced freely
    assert again.exit_code == 0, again.output
    with Archive(path, readonly=True) as archive:
        assert "demo" not in archive.site_names()
