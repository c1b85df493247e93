"""The README's promises: the demo reports exactly its three changes, the command list is the
CLI's, and the scheduler builds the triggers and job defaults the docs describe."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import parse_config
from monitor.watch import Watcher, trigger_for
from storage.archive import Archive

README = Path(__file__).resolve().parent.parent / "README.md"


def test_demo_reports_exactly_the_three_changes_it_makes(tmp_path):
    archive = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--archive", str(archive)])
    assert result.exit_code == 0, result.output
    with Archive(archive, readonly=True) as store:
        later = [c for c in store.changes() if not (c.kind == "new" and c.note)]
    assert sorted(c.kind for c in later) == ["edited", "new", "removed"], [(c.kind, c.note) for c in later]
    out = json.loads(CliRunner().invoke(cli, ["changes", "--archive", str(archive), "--kind", "edited",
                                                "--json"]).output)
    assert out["fields"] == ["text"]


def test_readme_command_list_is_the_clis():
    block = README.read_text(encoding="utf-8").split("## Using it", 1)[1].split("```", 2)[1]
    listed = {m.group(1) for m in re.finditer(r"^portalwatch ([a-z][a-z-]*)", block, re.MULTILINE)}
    registered = set(cli.commands)
    assert listed <= registered, listed - registered
    # Every user command is documented there (the demo is in the quick start above it).
    assert registered - listed <= {"demo", "status", "evidence"} | listed, registered - listed


def _site(schedule: str):
    raw = {"site": [{"name": "s", "start_urls": ["http://127.0.0.1/"], "schedule": json.loads(schedule)}]}
    return parse_config(raw).sites[0]


def test_interval_schedule_with_jitter_becomes_an_interval_trigger():
    trigger = trigger_for(_site('{"every": "2h", "jitter": "10m"}'))
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(hours=2) and trigger.jitter == 600
    now = datetime.now(UTC)
    fire = trigger.get_next_fire_time(None, now)
    assert now <= fire <= now + timedelta(hours=2, minutes=11)


def test_cron_schedule_with_jitter_becomes_a_cron_trigger():
    trigger = trigger_for(_site('{"cron": "0 */3 * * *", "jitter": "5m"}'))
    assert isinstance(trigger, CronTrigger) and trigger.jitter == 300
    fire = trigger.get_next_fire_time(None, datetime(2024, 3, 5, 1, 0, tzinfo=UTC))
    assert fire.hour == 3 and fire.minute < 6


def test_watcher_jobs_never_overlap_and_coalesce_missed_runs(tmp_path):
    config = parse_config({"archive": str(tmp_path / "a.db"),
                           "site": [{"name": "s", "start_urls": ["http://127.0.0.1/"]}]})
    watcher = Watcher(config, list(config.sites))
    defaults = watcher.scheduler._job_defaults
    assert defaults["max_instances"] == 1 and defaults["coalesce"] is True
    # At most two site rounds (each a process with an extraction worker) at once, by default.
    assert watcher.scheduler._executors["default"]._pool._max_workers == 2
    assert Watcher(config, list(config.sites), parallel=5).scheduler._executors["default"]._pool._max_workers == 5
