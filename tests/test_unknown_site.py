"""An unknown --site is a usage error listing the sites, in every command that reads the archive."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from storage.archive import Archive


@pytest.mark.parametrize("command", [["pages"], ["changes"], ["export"], ["search", "通知"]])
def test_unknown_site_is_a_usage_error_naming_the_known_sites(tmp_path, command):
    path = tmp_path / "a.db"
    with Archive(path) as archive, archive.transaction():
        archive.ensure_page("hunan", "http://127.0.0.1/1.html", "2024-03-01T00:00:00+00:00")
    result = CliRunner().invoke(cli, [*command, "--site", "hunnan", "--archive", str(path)])
    assert result.exit_code == 2, result.output
    assert "'hunnan'" in result.output and "hunan" in result.output.replace("'hunnan'", "")
