"""`incidentd rules test` on fixture payloads and mails, and `rules backtest` on stored intake:
a changed rule shows its differences, unchanged rules show none, and nothing is written."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from daemon.cli import main
from daemon.config import load_config
from daemon.store.models import Incident, Intake, Timeline
from tests.conftest import FIXTURES
from tests.daemon.lifecycle.support import Store
from tests.support import FakeClock, migrate

AM = FIXTURES / "webhooks" / "alertmanager" / "alertmonitor-grouped-firing-3-alerts.json"
MAIL = FIXTURES / "email" / "flanker" / "forward-as-rfc822-attachment.eml"
AUTOREPLY = FIXTURES / "email" / "sisimai" / "autoreply-exchange-automatic-reply.eml"

CONFIG = """
[database]
url = "sqlite+aiosqlite:///{db}"
[lists]
oncall = ["oncall@example.org"]
network = ["noc@example.org"]
[integrations.alertmanager]
type = "alertmanager"
[integrations.generic]
type = "generic"
[plans.major]
team = ["oncall"]
[triage]
default_lists = ["oncall"]
rules_file = "rules.toml"
[triage.time_windows.office]
days = "mon-fri"
from = "08:00"
to = "18:00"
timezone = "Europe/Berlin"
[[maintenance]]
name = "core-switch-swap"
match = {{ labels = {{ instance = "172.29.254.66" }} }}
starts_at = 2026-03-03T20:00:00Z
ends_at = 2026-03-03T22:00:00Z
"""

RULES = """
[[rules]]
name = "network"
description = "ping failures belong to the network team"
match.labels = { job = "blackbox-icmp" }
set = { category = "service disruption", lists = ["network"] }

  [[rules.routes]]
  name = "core-routers"
  match.labels_regex = { instance = "172\\\\.29\\\\.254\\\\.(30|50)" }
  set = { priority = 1, plan = "major" }

  [[rules.routes]]
  name = "network-after-hours"
  match.not = { during = "office" }
  set = { urgency = "low" }

[[rules]]
name = "partners"
match.sender = "@example.net"
set = { severity = "low", category = "other" }

[[rules]]
name = "disk"
match.title = "disk"
set = { priority = 2 }

[[rules]]
name = "test-alerts"
match.labels = { test = "true" }
set = { suppress = true }
"""


@pytest.fixture
def cli(tmp_path: Path) -> Any:
    db = tmp_path / "db.sqlite"
    path = tmp_path / "incidentd.toml"
    path.write_text(CONFIG.format(db=db))
    (tmp_path / "rules.toml").write_text(RULES)
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(main, [*args, "--config", str(path)], catch_exceptions=False)

    invoke.path = path  # type: ignore[attr-defined]
    return invoke


def test_rules_test_on_an_alertmanager_group(cli: Any) -> None:
    # Tuesday 2026-03-03 10:00 Berlin: office hours
    result = cli("rules", "test", str(AM), "--integration", "alertmanager",
                 "--at", "2026-03-03T09:00:00Z")
    assert result.exit_code == 0, result.output
    reports = result.output.split("report ")[1:]
    assert len(reports) == 3
    first = reports[0]
    assert first.startswith("1: No physical connection to 172.29.254.30\n")
    assert "  rules hit     network, core-routers\n" in first
    assert "  rules missed  -\n" in first  # the first child matched: its siblings wait
    assert "  decided by    core-routers\n" in first
    assert "  severity      high, impact high, urgency high -> P1\n" in first
    assert "  category      service disruption\n" in first
    assert "  plan          major\n" in first
    assert "  lists         oncall, network\n" in first
    third = reports[2]
    assert "  rules hit     network\n" in third  # .66 is no core router
    assert "  decided by    network\n" in third
    assert "  plan          -\n" in third
    assert "SUPPRESSED" not in result.output

    # at night, in the maintenance window of .66
    night = cli("rules", "test", str(AM), "--integration", "alertmanager",
                "--at", "2026-03-03T21:00:00Z", "--json")
    answers = json.loads(night.output)["reports"]
    assert [a["decided_by"] for a in answers] == [["core-routers"], ["core-routers"],
                                                  ["network-after-hours"]]
    assert [a["result"]["suppressed_by"] for a in answers] == [
        None, None, "maintenance core-switch-swap"]
    assert answers[2]["result"]["urgency"] == "low"
    assert answers[2]["result"]["priority"] == 3  # high impact, low urgency


def test_rules_test_on_mails(cli: Any) -> None:
    result = cli("rules", "test", str(MAIL))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("report 1: Wow\n")
    assert "  from          email, sender bob@example.net\n" in result.output
    assert "  decided by    partners\n" in result.output
    assert "  severity      low, impact low, urgency low -> P4\n" in result.output
    assert "  category      other\n" in result.output
    ignored = cli("rules", "test", str(AUTOREPLY))
    assert ignored.exit_code == 1
    assert "ignored: auto-reply" in ignored.output
    unknown = cli("rules", "test", str(AM), "--integration", "prometheus")
    assert unknown.exit_code == 1
    assert "no integration 'prometheus' is configured" in unknown.output


def test_rules_test_with_a_candidate_rules_file(cli: Any, tmp_path: Path) -> None:
    candidate = tmp_path / "candidate.toml"
    candidate.write_text("[[rules]]\nname = 'everything-p4'\nset.priority = 4\n")
    result = cli("rules", "test", str(MAIL), "--rules", str(candidate), "--json")
    (answer,) = json.loads(result.output)["reports"]
    assert (answer["decided_by"], answer["result"]["priority"]) == (["everything-p4"], 4)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rules]]\nname = 'x'\nset.plan = 'minor'\n")
    refused = cli("rules", "test", str(MAIL), "--rules", str(broken))
    assert refused.exit_code == 1
    assert "unknown plan 'minor'" in refused.output


CANDIDATE = RULES.replace('match.title = "disk"\nset = { priority = 2 }',
                          'match.title = "disk"\nset = { priority = 1, plan = "major" }')
CANDIDATE = CANDIDATE[:CANDIDATE.index('[[rules]]\nname = "test-alerts"')]


async def test_backtest_shows_what_a_changed_rule_would_change(cli: Any,
                                                               tmp_path: Path) -> None:
    config = load_config(cli.path)
    await migrate(config)
    store = Store(config, FakeClock(datetime.now(UTC) - timedelta(hours=2)))
    disk = await store.webhook({"title": "disk full on db-1", "dedup_key": "disk"})
    cpu = await store.webhook({"title": "cpu hot", "dedup_key": "cpu"})
    am = AM.read_bytes()
    store.advance(minutes=1)

    def suppressed(session: Any) -> None:
        from daemon.process import process_intake
        from daemon.work import Work

        for body, integration in (
                (json.dumps({"title": "synthetic check", "labels": {"test": "true"},
                             "dedup_key": "t"}).encode(), "generic"), (am, "alertmanager")):
            intake = Intake(received_at=store.clock.now(), source="webhook",
                            integration=integration, raw=body, sha256="0" * 64,
                            status="accepted", content_type="application/json")
            session.add(intake)
            session.flush()
            process_intake(Work(session=session, config=config, now=store.clock.now()),
                           store.renderer, intake)

    async with store.sessions.begin() as session:
        await session.run_sync(suppressed)

    async def counts() -> tuple[int, int]:
        async with store.sessions() as session:
            return (int(await session.scalar(select(func.count()).select_from(Incident)) or 0),
                    int(await session.scalar(select(func.count()).select_from(Timeline)) or 0))

    before = await counts()
    same = await asyncio.to_thread(cli, "rules", "backtest", "--since", "1d")
    assert same.exit_code == 0, same.output
    assert same.output == ("4 report(s) since "
                           f"{datetime.now(UTC) - timedelta(days=1):%Y-%m-%d %H:%M} UTC "
                           "replayed; 0 would be triaged differently\n")

    candidate = tmp_path / "candidate.toml"
    candidate.write_text(CANDIDATE)
    changed = await asyncio.to_thread(cli, "rules", "backtest", "--since", "1d", "--rules",
                                      str(candidate), "--json")
    assert changed.exit_code == 0, changed.output
    result = json.loads(changed.output)
    assert result["checked"] == 4
    by_title = {d["title"]: d for d in result["differences"]}
    assert set(by_title) == {"disk full on db-1", "synthetic check"}
    assert by_title["disk full on db-1"]["incident"] == f"INC-{disk}"
    assert by_title["disk full on db-1"]["changed"] == ["priority", "plan"]
    assert by_title["disk full on db-1"]["before"]["priority"] == 2
    assert by_title["disk full on db-1"]["after"]["priority"] == 1
    assert by_title["disk full on db-1"]["after"]["plan"] == "major"
    synthetic = by_title["synthetic check"]
    assert synthetic["incident"] is None
    assert synthetic["before"]["suppressed_by"] == "rule test-alerts"
    assert synthetic["after"]["suppressed_by"] is None
    assert "severity" in synthetic["changed"]

    table = await asyncio.to_thread(cli, "rules", "backtest", "--since", "1d", "--rules",
                                    str(candidate))
    lines = table.output.splitlines()
    assert lines[0].endswith("2 would be triaged differently")
    rows = [line.split() for line in lines[2:]]
    assert [row[0] for row in rows][:2] == [f"INC-{disk}", f"INC-{disk}"]
    assert [(row[4], row[5], row[6]) for row in rows[:2]] == [
        ("priority", "P2", "P1"), ("plan", "-", "major")]
    assert f"INC-{cpu}" not in table.output
    assert await counts() == before  # nothing written
    await store.close()
