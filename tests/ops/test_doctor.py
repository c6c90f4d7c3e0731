"""`incidentd doctor`: every check passes on a good installation and names each problem."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result

from daemon.cli import main
from daemon.config import load_config
from tests.ops.proc import config_text, free_port
from tests.support import migrate, running_daemon


def doctor(path: Path) -> Result:
    return CliRunner().invoke(main, ["doctor", "--config", str(path)])


async def test_a_good_installation_passes(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    path.write_text(config_text(tmp_path / "data", free_port(), free_port()))
    await migrate(load_config(path))
    result = await asyncio.to_thread(doctor, path)
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    for topic in ("configuration", "data directory", "database", "http listener",
                  "smtp listener", "templates"):
        assert f"OK   {topic}:" in result.output


async def test_ports_held_by_the_running_daemon_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    path.write_text(config_text(tmp_path / "data", 0, 0))
    config = load_config(path)
    await migrate(config)
    async with running_daemon(config) as daemon:
        http_port = daemon.server.port
        text = path.read_text().replace('http = "127.0.0.1:0"', f'http = "127.0.0.1:{http_port}"')
        path.write_text(text.replace('smtp = "127.0.0.1:0"',
                                     f'smtp = "127.0.0.1:{daemon.smtp_port}"'))
        result = await asyncio.to_thread(doctor, path)
    assert result.exit_code == 0, result.output
    assert "held by a running incidentd" in result.output


async def test_each_problem_is_named_with_its_fix(tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "mail"
    templates.mkdir(parents=True)
    (templates / "update.txt.j2").write_text("{% if %}")
    async def other_program(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nnot incidentd")
        await writer.drain()
        writer.close()

    squatter = await asyncio.start_server(other_program, "127.0.0.1", 0)
    async with squatter:
        taken = squatter.sockets[0].getsockname()[1]
        path = tmp_path / "incidentd.toml"
        relay = f'backend = "smtp"\nsmtp = {{ host = "127.0.0.1", port = {free_port()} }}\n'
        text = config_text(tmp_path / "data", taken, free_port(),
                           extra=f'[templates]\ndir = "{tmp_path / "templates"}"\n')
        path.write_text(text.replace("[notify]\n", f"[notify]\n{relay}"))
        result = await asyncio.to_thread(doctor, path)  # not migrated either
    assert result.exit_code == 1, result.output
    output = result.output
    assert "FAIL database: the database has no incidentd schema" in output
    assert "fix: run: incidentd db upgrade --config" in output
    assert f"FAIL http listener: 127.0.0.1:{taken} is in use by another program" in output
    assert "FAIL templates: mail template 'update'" in output
    assert "FAIL smtp relay: 127.0.0.1:" in output
    assert "problem(s) to fix" in output
