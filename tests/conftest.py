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
