"""`incidentd db backup` while the daemon runs; the PostgreSQL hint."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import aiohttp
from click.testing import CliRunner

from daemon.cli import main
from tests.ops.proc import config_text
from tests.support import GENERIC_TOKEN, auth, migrate, running_daemon, wait_for


async def test_backup_of_a_running_daemon_opens_and_holds_the_incidents(tmp_path: Path) -> None:
    from daemon.config import load_config

    path = tmp_path / "incidentd.toml"
    path.write_text(config_text(tmp_path / "data", 0, 0))
    config = load_config(path)
    await migrate(config)
    target = tmp_path / "backups" / "incidentd-backup.db"
    target.parent.mkdir()
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        for title in ("Disk full on db-1", "VPN down"):
            answer = await http.post(f"{daemon.url}/api/v1/webhooks/generic",
                                     data=json.dumps({"title": title}),
                                     headers={**auth(GENERIC_TOKEN),
                                              "Content-Type": "application/json"})
            assert answer.status == 202

        def incidents() -> int:
            with sqlite3.connect(config.database_url.split("///", 1)[1]) as db:
                return int(db.execute("SELECT count(*) FROM incident").fetchone()[0])

        async def both() -> bool:
            return incidents() == 2

        await wait_for(both)
        # The daemon keeps running (and writing) in this event loop meanwhile.
        result = await asyncio.to_thread(CliRunner().invoke, main,
                                         ["db", "backup", "--config", str(path), str(target)])
        assert result.exit_code == 0, result.output
        assert "2 incident(s)" in result.output
        again = await asyncio.to_thread(CliRunner().invoke, main,
                                        ["db", "backup", "--config", str(path), str(target)])
        assert again.exit_code == 1
        assert "exists" in again.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        titles = sorted(row[0] for row in copy.execute("SELECT title FROM incident"))
        revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert titles == ["Disk full on db-1", "VPN down"]
    assert revision
    assert not list(target.parent.glob(".*partial"))


def test_postgresql_gets_the_pg_dump_command(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    path.write_text('[database]\nurl = "postgresql+asyncpg://inc:pw-secret@db.example.org:5433'
                    '/incidents"\n')
    result = CliRunner().invoke(main, ["db", "backup", "--config", str(path),
                                       str(tmp_path / "x.dump")])
    assert result.exit_code == 1
    assert ("pg_dump --format=custom --file=" + str(tmp_path / "x.dump")
            + " postgresql://inc@db.example.org:5433/incidents") in result.output
    assert "pw-secret" not in result.output
