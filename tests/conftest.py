"""Shared fixtures: the sample portal on 127.0.0.1 and a config + archive pointing at it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import Config, load_config
from sampleportal import SamplePortal


@dataclass
class Setup:
    """A running portal, its sites.toml, and the archive a crawl writes."""

    portal: SamplePortal
    config_path: Path
    archive_path: Path

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    def invoke(self, *args: str, ok: bool = True):
        """Run the real CLI (click's CliRunner) against this setup's config and archive."""
        result = CliRunner().invoke(cli, [*args, "--config", str(self.config_path)], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def json_lines(self, *args: str) -> list[dict]:
        return [json.loads(line) for line in self.invoke(*args, "--json").output.splitlines() if line.strip()]


def make_setup(portal: SamplePortal, tmp_path: Path, **overrides) -> Setup:
    archive_path = tmp_path / "archive.db"
    config_path = tmp_path / "sites.toml"
    config_path.write_text(f'archive = "{archive_path.name}"\n' + portal.sites_toml(**overrides), encoding="utf-8")
    return Setup(portal, config_path, archive_path)


@pytest.fixture
def portal():
    with SamplePortal() as portal:
        yield portal


@pytest.fixture
def setup(portal, tmp_path) -> Setup:
    return make_setup(portal, tmp_path)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One crawl of the default sample portal, shared by read-only tests of a module."""
    with SamplePortal() as portal:
        setup = make_setup(portal, tmp_path_factory.mktemp("crawled"))
        setup.invoke("crawl", "--workers", "0")
        yield setup


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.fixture(scope="session", autouse=True)
def no_command_outlives_the_suite():
    """A test that fails while a command it started is still running (a watcher, a worker) must
    not leave it running after the suite: every child still alive at the end is killed with its
    session. Fork servers and pools that exit with the suite are ended the same way."""
    import os
    import signal

    yield
    if not Path("/proc").is_dir():
        return
    own_group = os.getpgid(0)
    for pid in _children(os.getpid()):
        try:
            group = os.getpgid(pid)
            if group != own_group:
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
