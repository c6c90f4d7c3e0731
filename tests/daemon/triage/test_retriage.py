"""Re-triage: the rules in force now, on the incident's first report, applied through the
lifecycle with the history on the timeline; on demand over the API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from daemon.config import Config
from daemon.store import repo
from daemon.triage.retriage import retriage
from tests.daemon.lifecycle.support import ALICE, Store, get
from tests.support import FakeClock, make_config, migrate

LISTS = {"oncall": ["oncall@example.org"], "web": ["web@example.org"]}
PLANS = {"web-outage": {"team": ["web"], "tasks": ["Roll back the last deploy"]}}
RULES = [{"name": "checkout", "description": "the shop is the business",
          "match": {"title": "checkout"},
          "set": {"impact": "high", "urgency": "high", "category": "service disruption",
                  "plan": "web-outage", "lists": ["web"], "assignee": "web-lead",
                  "title_prefix": "[shop]"}}]


def configs(tmp_path: Path, db_url: str) -> tuple[Config, Config]:
    common = {"lists": LISTS, "plans": PLANS}
    before = make_config(tmp_path / "data", db_url, **common)
    after = make_config(tmp_path / "data", db_url, **common, **{"triage.rules": RULES})
    return before, after


@pytest.fixture
async def stores(tmp_path: Path, db_url: str, clock: FakeClock) -> Any:
    before, after = configs(tmp_path, db_url)
    await migrate(before)
    old, new = Store(before, clock), Store(after, clock)
    yield old, new
    await old.close()
    await new.close()


async def test_retriage_applies_the_new_rules_once(stores: tuple[Store, Store]) -> None:
    old, new = stores
    incident_id = await old.webhook({"title": "Checkout latency high", "dedup_key": "co",
                                     "severity": "warning"})
    incident = await old.incident(incident_id)
    assert (incident.priority, incident.response_plan, incident.lists) == (3, None, ["oncall"])
    # somebody made it P4 by hand meanwhile
    from daemon import lifecycle

    await old.run(lambda w: lifecycle.set_priority(w, get(w, incident_id), ALICE, 4))
    old.advance(minutes=5)

    result = await new.run(lambda w: retriage(w, get(w, incident_id), ALICE))
    assert result.decision.decided_by == ("checkout",)
    assert result.changed == ("impact", "urgency", "priority", "title", "assignee", "lists",
                              "response_plan")
    incident = await new.incident(incident_id)
    assert incident.title == "[shop] Checkout latency high"
    assert (incident.impact, incident.urgency, incident.priority) == ("high", "high", 1)
    assert not incident.priority_manual
    assert (incident.assignee, incident.response_plan) == ("web-lead", "web-outage")
    assert incident.lists == ["oncall", "web"]
    assert incident.status == "responding"
    entries = await new.read(lambda s: [(e.kind, e.old, e.new, e.text, e.data) for e in
                                        repo.get_timeline(s, incident_id=incident_id)])
    kinds = [entry[0] for entry in entries]
    assert kinds[:3] == ["opened", "triaged", "priority"]
    assert {"impact", "urgency", "assigned", "lists", "plan", "task"} <= set(kinds)
    retriaged = entries[-1]
    assert retriaged[0] == "retriaged"
    assert retriaged[4]["hits"] == ["checkout"]
    assert retriaged[4]["inputs"]["severity"] == "medium"  # as the report said it
    assert retriaged[4]["changed"] == list(result.changed)
    impact = next(e for e in entries if e[0] == "impact")
    assert (impact[1], impact[2], impact[3]) == ("medium", "high", "re-triage: rule checkout")
    mails = await new.mails(incident_id)
    assert [kind for kind, _ in mails] == ["opened", "update", "update", "plan"]

    again = await new.run(lambda w: retriage(w, get(w, incident_id), ALICE))
    assert again.changed == ()
    assert await new.mails(incident_id) == mails  # nothing new to tell


async def test_retriage_over_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    before, _ = configs(tmp_path, f"sqlite+aiosqlite:///{db}")
    await migrate(before)
    store = Store(before, FakeClock())
    incident_id = await store.webhook({"title": "Checkout 500s", "dedup_key": "co"})
    await store.close()
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n'
                    '[lists]\noncall = ["oncall@example.org"]\nweb = ["web@example.org"]\n'
                    '[plans.web-outage]\nteam = ["web"]\n'
                    '[triage]\nrules_file = "rules.toml"\n')
    (tmp_path / "rules.toml").write_text(
        "[[rules]]\nname = 'checkout'\nmatch.title = 'checkout'\n"
        "set = { priority = 1, plan = 'web-outage' }\n")

    import asyncio

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(main, [*args, "--config", str(path)], env={"USER": "erin"},
                                  catch_exceptions=False)

    from daemon.cli import main

    result = await asyncio.to_thread(invoke, "incidents", "retriage", f"INC-{incident_id}")
    assert result.exit_code == 0, result.output
    assert result.output == (f"INC-{incident_id} re-triaged by checkout: P1, severity medium, "
                             "plan web-outage; changed: priority, response_plan\n")
    again = await asyncio.to_thread(invoke, "incidents", "retriage", f"INC-{incident_id}",
                                    "--json")
    data = json.loads(again.output)
    assert (data["changed"], data["incident"]["priority"]) == ([], 1)
    unknown = await asyncio.to_thread(invoke, "incidents", "update", f"INC-{incident_id}",
                                      "--plan", "web-outgae", "--json")
    assert unknown.exit_code == 1
    assert json.loads(unknown.stderr)["field"] == "response_plan"
    missing = await asyncio.to_thread(invoke, "incidents", "retriage", "INC-99", "--json")
    assert missing.exit_code == 1
    assert json.loads(missing.stderr) == {"error": "no incident INC-99", "field": "key"}
