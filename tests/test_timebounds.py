"""--since / --until: one reading of dates, times and spans for every command."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.timebounds import parse_since, parse_until
from storage.archive import Archive

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "bound"), [
    ("2024-03-05", "2024-03-05"),
    ("2024-03-05T10:30", "2024-03-05T10:30:00"),
    ("2024-03-05T18:30+08:00", "2024-03-05T10:30:00"),
    ("7d", "2024-03-03T12:00:00"),
    ("12h", "2024-03-10T00:00:00"),
    ("30m", "2024-03-10T11:30:00"),
    ("2w", "2024-02-25T12:00:00"),
])
def test_since_reads_dates_times_and_spans(value, bound):
    assert parse_since(value, now=NOW) == bound


def test_until_a_day_includes_the_whole_day():
    assert parse_until("2024-03-05") == "2024-03-06"


@pytest.mark.parametrize("command", [["changes"], ["export"], ["search", "通知"]])
@pytest.mark.parametrize("value", ["yesterday", "2024-02-30", "7 days"])
def test_bad_since_is_a_usage_error_naming_the_option(tmp_path, command, value):
    path = tmp_path / "a.db"
    Archive(path).close()
    result = CliRunner().invoke(cli, [*command, "--since", value, "--archive", str(path)])
    assert result.exit_code == 2, result.output
    assert "--since" in result.output and "7d" in result.output


@pytest.mark.parametrize("command", [["changes"], ["export"], ["search", "通知"]])
def test_every_command_takes_a_span(tmp_path, command):
    path = tmp_path / "a.db"
    Archive(path).close()
    result = CliRunner().invoke(cli, [*command, "--since", "7d", "--archive", str(path)])
    assert result.exit_code == 0, result.output
