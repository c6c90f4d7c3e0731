"""Socket activation: `incidentd serve` listens on the sockets systemd passes it, by name."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from daemon.config import load_config
from tests.daemon.mailbox.support import mail
from tests.ops.proc import config_text, free_port, incidentd_command
from tests.support import GENERIC_TOKEN, MAILBOX, auth, migrate

# Stands in for systemd: the listening sockets become fds 3 and 4 of the same
# process that then runs incidentd, named as FileDescriptorName= would name them.
LAUNCH = """
import fcntl, os, sys
names, fds, command = sys.argv[1], [int(fd) for fd in sys.argv[2].split(",")], sys.argv[3:]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in fds]
for index, fd in enumerate(high):
    os.dup2(fd, 3 + index)
os.environ.update(LISTEN_PID=os.environ.get("FAKE_PID") or str(os.getpid()),
                  LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=names)
os.execv(command[0], command)
"""


def listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


ROOT = Path(__file__).resolve().parents[2]


async def launch(tmp_path: Path, names: str, fds: list[int],
                 fake_pid: str = "") -> tuple[subprocess.Popen[bytes], Path, int, int]:
    """incidentd, given `fds` as systemd would; also its log and its configured ports."""
    http, smtp = free_port(), free_port()
    config = tmp_path / "incidentd.toml"
    config.write_text(config_text(tmp_path / "data", http, smtp))
    await migrate(load_config(config))
    process, log = start(tmp_path, config, names, fds, fake_pid)
    return process, log, http, smtp


def start(tmp_path: Path, config: Path, names: str, fds: list[int],
          fake_pid: str) -> tuple[subprocess.Popen[bytes], Path]:
    command = incidentd_command()
    if len(command) == 1:
        command = [sys.executable, *command]  # the console script, run by this interpreter
    log = tmp_path / "incidentd.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, names, ",".join(map(str, fds)), *command,
             "serve", "--config", str(config)],
            stdout=out, stderr=subprocess.STDOUT, pass_fds=fds, cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "FAKE_PID": fake_pid, "PYTHONPATH": str(ROOT)})
    return process, log


def read(log: Path) -> str:
    return log.read_text(errors="replace")


async def healthy(port: int, process: subprocess.Popen[bytes], log: Path,
                  tls: ssl.SSLContext | None = None) -> None:
    """Wait until /healthz answers 200 (over HTTPS, trusting `tls`, when given)."""
    deadline = time.monotonic() + 30
    # Connection: close, so that the probe holds no connection the test then counts.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2),
                                     connector=aiohttp.TCPConnector(force_close=True)) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"incidentd exited:\n{read(log)}")
            try:
                async with http.get(f"{'https' if tls else 'http'}://127.0.0.1:{port}/healthz",
                                    ssl=tls or True) as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass  # not listening yet, or a socket nobody accepts on
            await asyncio.sleep(0.1)
    raise AssertionError(f"no answer on {port}:\n{read(log)}")


def send_mail(port: int) -> dict[str, tuple[int, bytes]]:
    """The recipients refused (none when the mail was accepted with 250)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail("alice@example.org", [MAILBOX], mail().as_bytes())


async def test_the_daemon_serves_on_the_sockets_systemd_passes(tmp_path: Path) -> None:
    web_sock, mail_sock = listening(), listening()
    web_port, mail_port = web_sock.getsockname()[1], mail_sock.getsockname()[1]
    process, log, http, smtp = await launch(tmp_path, "http:smtp",
                                            [web_sock.fileno(), mail_sock.fileno()])
    web_sock.close()  # the daemon holds its own copies now, as with systemd
    mail_sock.close()
    try:
        await healthy(web_port, process, log)
        async with aiohttp.ClientSession() as client:
            response = await client.post(
                f"http://127.0.0.1:{web_port}/api/v1/webhooks/generic",
                data=json.dumps({"title": "Disk full on db1"}).encode(),
                headers={**auth(GENERIC_TOKEN), "Content-Type": "application/json"})
            assert response.status == 202
        assert await asyncio.to_thread(send_mail, mail_port) == {}
        assert refused(http)  # the configured addresses are not bound
        assert refused(smtp)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    text = read(log)
    assert f"http listening on 127.0.0.1:{web_port} (socket from systemd)" in text
    assert f"smtp listening on 127.0.0.1:{mail_port} (socket from systemd)" in text


async def test_an_unnamed_socket_stops_the_start_with_what_to_fix(tmp_path: Path) -> None:
    sock = listening()
    process, log, _, _ = await launch(tmp_path, "incidentd.socket", [sock.fileno()])
    sock.close()
    assert await asyncio.to_thread(process.wait, 30) != 0
    assert "FileDescriptorName=http or FileDescriptorName=smtp" in read(log)


async def test_sockets_meant_for_another_process_are_left_alone(tmp_path: Path) -> None:
    sock = listening()
    process, log, http, _ = await launch(tmp_path, "http", [sock.fileno()], fake_pid="1")
    sock.close()
    try:
        await healthy(http, process, log)  # the configured address instead
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 30)
    assert "socket from systemd" not in read(log)


@pytest.mark.parametrize("unit", ["incidentd-http.socket", "incidentd-smtp.socket"])
def test_the_socket_units_name_their_sockets_for_the_daemon(unit: str) -> None:
    root = ROOT / "systemd"
    lines = (root / unit).read_text().splitlines()
    name = unit.removeprefix("incidentd-").removesuffix(".socket")
    assert f"FileDescriptorName={name}" in lines
    assert "Service=incidentd.service" in lines
    drop_in = (root / "incidentd.service.d" / "sockets.conf").read_text()
    assert "Sockets=incidentd-http.socket incidentd-smtp.socket" in drop_in


async def test_a_descriptor_that_is_not_a_socket_stops_the_start(tmp_path: Path) -> None:
    """ListenFIFO= in the unit, say: the start stops with what to use instead."""
    read_end, write_end = os.pipe()
    process, log, _, _ = await launch(tmp_path, "http", [read_end])
    os.close(read_end)
    os.close(write_end)
    assert await asyncio.to_thread(process.wait, 30) != 0
    assert "from systemd is not a socket" in read(log)
    assert "ListenStream=" in read(log)
