"""`incidentd doctor`: every check passes on a good installation and names each problem."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
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
    assert result.output.endswith("\neverything looks right.\n")


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
    assert (f"FAIL http listener: 127.0.0.1:{taken} is in use by another program "
            f"({psutil.Process().name()}, pid {os.getpid()})") in output
    assert "FAIL templates: mail template 'update'" in output
    assert "FAIL smtp relay: 127.0.0.1:" in output
    assert "problem(s) to fix" in output


# A listener that calls itself "systemd" (as systemd's socket activation does)
# and says whether anyone connected to it.
HOLDER = textwrap.dedent("""
    import ctypes, socket, sys
    ctypes.CDLL(None).prctl(15, b"systemd", 0, 0, 0)  # PR_SET_NAME
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    print(listener.getsockname()[1], flush=True)
    sys.stdin.readline()
    try:
        listener.accept()
        print("connected", flush=True)
    except TimeoutError:
        print("untouched", flush=True)
""")


@contextmanager
def holder(name_it: str = HOLDER) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    with subprocess.Popen([sys.executable, "-c", name_it], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            yield int(process.stdout.readline()), process
        finally:
            process.kill()


def touched(process: subprocess.Popen[str]) -> str:
    """Whether the holder saw a connection, asked after the doctor ran."""
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write("\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


async def test_a_port_systemd_holds_for_activation_is_not_probed(tmp_path: Path) -> None:
    with holder() as (port, process):
        path = tmp_path / "incidentd.toml"
        path.write_text(config_text(tmp_path / "data", port, free_port()))
        await migrate(load_config(path))
        result = await asyncio.to_thread(doctor, path)
        assert touched(process) == "untouched"
    assert result.exit_code == 0, result.output
    assert (f"OK   http listener: 127.0.0.1:{port} is held by systemd for socket activation: "
            "incidentd starts at the first connection") in result.output


async def test_a_port_held_out_of_sight_is_not_probed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run by another user, systemd's socket shows no process; nothing connects then either."""
    real = psutil.net_connections

    def unseen(kind: str = "inet") -> list[psutil._common.sconn]:
        return [entry._replace(pid=None) for entry in real(kind)]

    monkeypatch.setattr(psutil, "net_connections", unseen)
    with holder(HOLDER.replace('b"systemd"', 'b"someone"')) as (port, process):
        path = tmp_path / "incidentd.toml"
        path.write_text(config_text(tmp_path / "data", port, free_port()))
        await migrate(load_config(path))
        result = await asyncio.to_thread(doctor, path)
        assert touched(process) == "untouched"
    assert (f"WARN http listener: 127.0.0.1:{port} is held by a process this user cannot see"
            in result.output)
    assert f"fix: as root: ss -ltnp 'sport = :{port}'" in result.output
