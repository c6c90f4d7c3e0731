"""`incidentd incidents list|show` on a database the daemon filled."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from daemon.cli import main
from tests.conftest import FIXTURES
from tests.daemon.test_end_to_end import post_webhook, processed
from tests.support import ALERTMANAGER_TOKEN, make_config, migrate, running_daemon


def fill(tmp_path: Path) -> Path:
    config = make_config(tmp_path / "data")
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")

    async def scenario() -> None:
        await migrate(config)
        async with running_daemon(config) as daemon:
            body = (FIXTURES / "webhooks" / "alertmanager"
                    / "goalert-grouped-firing-2-alerts.json").read_bytes()
            await processed(daemon, (await post_webhook(
                daemon, "alertmanager", body, ALERTMANAGER_TOKEN))["intake_id"])

    asyncio.run(scenario())
    return path


def test_list_and_show(tmp_path: Path) -> None:
    path = fill(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(main, ["incidents", "list", "--config", str(path), "--json"])
    assert listed.exit_code == 0, listed.output
    incidents = json.loads(listed.output)["incidents"]
    assert [i["key"] for i in incidents] == ["INC-1"]
    assert incidents[0]["title"] == "Instance 127.0.0.1:9090 down"

    table = runner.invoke(main, ["incidents", "list", "--config", str(path), "--status", "open"])
    assert "INC-1" in table.output
    assert "triaged" in table.output

    shown = runner.invoke(main, ["incidents", "show", "inc-1", "--config", str(path), "--json"])
    data = json.loads(shown.output)
    assert len(data["alerts"]) == 2
    assert [t["kind"] for t in data["timeline"]] == ["opened", "triaged", "alert"]

    text = runner.invoke(main, ["incidents", "show", "1", "--config", str(path)])
    assert text.exit_code == 0
    assert "timeline:" in text.output

    missing = runner.invoke(main, ["incidents", "show", "INC-99", "--config", str(path)])
    assert missing.exit_code == 1
    assert "no incident INC-99" in missing.output
    bad = runner.invoke(main, ["incidents", "show", "nonsense", "--config", str(path)])
    assert bad.exit_code == 2


def test_commands_on_an_unmigrated_database_say_what_to_run(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["incidents", "list", "--config", str(path)])
    assert result.exit_code == 1
    assert "incidentd db upgrade --config" in result.output
