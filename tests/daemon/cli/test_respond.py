"""The response commands call the lifecycle like the API does; errors are data with --json."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from daemon.cli import main
from daemon.store import repo
from tests.daemon.lifecycle.support import Store
from tests.support import FakeClock, make_config, migrate

CONFIG = """
[server]
hostname = "incidentd.test"
[database]
url = "sqlite+aiosqlite:///{db}"
[lists]
oncall = ["oncall@example.org"]
[triage]
default_lists = ["oncall"]
[integrations.generic]
type = "generic"
token = "t"
"""


@pytest.fixture
def cli(tmp_path: Path) -> Any:
    db = tmp_path / "db.sqlite"
    path = tmp_path / "incidentd.toml"
    path.write_text(CONFIG.format(db=db))
    config = make_config(tmp_path / "data", f"sqlite+aiosqlite:///{db}")

    async def setup() -> None:
        await migrate(config)
        store = Store(config, FakeClock())
        await store.webhook({"title": "Mail queue stuck", "severity": "critical",
                             "dedup_key": "mq"})
        await store.webhook({"title": "Mail queue slow", "severity": "critical",
                             "dedup_key": "mq-slow"})
        await store.close()

    asyncio.run(setup())
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(main, [*args, "--config", str(path)], env={"USER": "dana"},
                             catch_exceptions=False)

    invoke.config = config  # type: ignore[attr-defined]
    return invoke


def timeline(config: Any, number: int) -> list[tuple[str, str, str]]:
    async def load() -> list[tuple[str, str, str]]:
        store = Store(config, FakeClock())
        try:
            return await store.read(lambda s: [
                (e.kind, e.actor, e.source) for e in repo.get_timeline(s, incident_id=number)])
        finally:
            await store.close()

    return asyncio.run(load())


def test_update_ack_note_dismiss_reopen(cli: Any) -> None:
    result = cli("incidents", "ack", "INC-1")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("INC-1 responding P1")
    result = cli("incidents", "update", "INC-1", "--eta", "2h", "--assign", "erin",
                 "--containment", "Paused the bulk sender", "--status", "contained", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["status"], data["assignee"]) == ("contained", "erin")
    assert data["eta"] is not None
    result = cli("incidents", "note", "INC-1", "Queue drains at 2k/min", "--kind",
                 "investigation")
    assert result.exit_code == 0, result.output

    result = cli("incidents", "update", "INC-1", "--status", "closed", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stderr) == {
        "error": "cannot change status from contained to closed; allowed from contained: "
                 "responding, resolved, dismissed", "field": "status"}
    result = cli("incidents", "update", "INC-1", "--priority", "9")
    assert result.exit_code == 1
    assert "priority must be 1, 2, 3 or 4 (or auto) (field: priority)" in result.output

    result = cli("incidents", "update", "INC-1", "--status", "resolved")
    assert result.exit_code == 0, result.output
    result = cli("incidents", "reopen", "INC-1", "--reason", "Queue stuck again")
    assert result.exit_code == 0, result.output
    assert "INC-1 responding" in result.output

    result = cli("incidents", "dismiss", "INC-2", "--duplicate-of", "INC-1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["duplicate_of"] == "INC-1"
    result = cli("incidents", "dismiss", "INC-1")
    assert result.exit_code == 1
    assert "dismissing needs a reason" in result.output

    kinds = timeline(cli.config, 1)
    assert ("acknowledged", "dana", "cli") in kinds
    assert ("containment", "dana", "cli") in kinds
    assert ("merged", "dana", "cli") in kinds


def test_tasks_review_and_stats(cli: Any) -> None:
    result = cli("tasks", "add", "INC-1", "Drain the queue", "--owner", "erin", "--due", "1h")
    assert result.exit_code == 0, result.output
    result = cli("tasks", "update", "INC-1", "1", "--state", "done", "--json")
    assert json.loads(result.output)["tasks"][0]["state"] == "done"
    result = cli("tasks", "update", "INC-1", "1", "--kind", "action", "--json")
    assert json.loads(result.output)["tasks"][0]["kind"] == "action"
    result = cli("incidents", "tasks", "INC-1", "--json")
    assert [t["title"] for t in json.loads(result.output)["tasks"]] == ["Drain the queue"]
    result = cli("tasks", "overdue")
    assert result.output == "no tasks\n"
    result = cli("incidents", "tasks", "INC-9")
    assert result.exit_code == 1
    assert "no incident INC-9 (field: key)" in result.output

    result = cli("review", "INC-1")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Post-incident review: INC-1 — Mail queue stuck")
    result = cli("review", "INC-1", "--format", "html")
    assert "<h1>Post-incident review: INC-1" in result.output

    result = cli("stats", "--since", "3650d", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by_priority"] == {"P1": 2}
    result = cli("stats", "--since", "3650d")
    assert "2 incident(s) reported since" in result.output
    result = cli("stats", "--since", "whenever", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stderr)["field"] == "since"


@pytest.mark.parametrize("command", [
    ("tasks", "update", "INC-1", "{id}", "--state", "done"),
    ("replay", "{id}"),
    ("outbox", "retry", "{id}"),
    ("silences", "expire", "{id}"),
])
def test_ids_beyond_the_database_are_refused_by_name(cli: Any, command: tuple[str, ...]) -> None:
    for bad in ("99999999999999999999", "0"):
        result = cli(*(part.format(id=bad) for part in command))
        assert result.exit_code == 2, result.output
        assert f"{bad} is not in the range 1<=x<=999999999999999999" in result.output
