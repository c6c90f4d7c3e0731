"""`incidentd replay`: a quarantined report is processed again after the fix."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from daemon.cli import main
from tests.daemon.test_end_to_end import post_webhook, processed
from tests.support import GENERIC_TOKEN, make_config, migrate, running_daemon

BODY = json.dumps({"name": "Queue backlog over 10k", "level": "critical"}).encode()


def config_file(tmp_path: Path, mapping: str) -> Path:
    path = tmp_path / "incidentd.toml"
    path.write_text(f"""
[server]
data_dir = "{tmp_path / 'data'}"
[lists]
oncall = ["oncall@example.org"]
[integrations.generic]
type = "generic"
token = "{GENERIC_TOKEN}"
{mapping}
""", encoding="utf-8")
    return path


def test_quarantined_report_replays_after_the_mapping_is_fixed(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")

    async def quarantine() -> dict[str, object]:
        await migrate(config)
        async with running_daemon(config) as daemon:
            return await processed(daemon, (await post_webhook(
                daemon, "generic", BODY, GENERIC_TOKEN))["intake_id"])

    first = asyncio.run(quarantine())
    assert first["status"] == "quarantined"
    assert "field 'title' is missing" in str(first["reason"])

    runner = CliRunner()
    broken = config_file(tmp_path, "")
    unchanged = runner.invoke(main, ["replay", "--config", str(broken), "--process", "--json"])
    assert unchanged.exit_code == 0, unchanged.output
    result = json.loads(unchanged.output)
    assert [r["was"] for r in result["requeued"]] == ["quarantined"]
    assert result["processed"] == 1  # and quarantined again: the mapping is still missing

    fixed = config_file(tmp_path, 'fields = { title = "name", severity = "level" }')
    replayed = runner.invoke(main, ["replay", "--config", str(fixed), "--process"])
    assert replayed.exit_code == 0, replayed.output
    assert "requeued 1 row(s); processed 1" in replayed.output

    listed = runner.invoke(main, ["incidents", "list", "--config", str(fixed), "--json"])
    (incident,) = json.loads(listed.output)["incidents"]
    assert incident["title"] == "Queue backlog over 10k"
    assert incident["severity"] == "high"

    again = runner.invoke(main, ["replay", "--config", str(fixed)])
    assert again.output.strip() == "nothing to replay"
