"""A daemon started as `incidentd serve` in a subprocess, and a systemd notify socket."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import ADMIN_TOKEN, GENERIC_TOKEN, MAILBOX


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def incidentd_command() -> list[str]:
    script = Path(sys.executable).parent / "incidentd"
    return [str(script)] if script.exists() else [sys.executable, "-m", "daemon"]


def config_text(data_dir: Path, http: int, smtp: int, *, rules: str = "",
                extra: str = "", server: str = "") -> str:
    """A small configuration file: one generic integration, a mailbox, an admin token."""
    return f"""
[server]
http = "127.0.0.1:{http}"
smtp = "127.0.0.1:{smtp}"
data_dir = "{data_dir}"
hostname = "incidentd.test"
shutdown_timeout = "5s"
{server}

[mailbox]
addresses = ["{MAILBOX}"]

[lists]
oncall = ["oncall@example.org"]

[notify]
from = "incidentd <incidentd@example.org>"

[pipeline]
poll_interval = "100ms"

[health]
status_interval = "200ms"

[integrations.generic]
type = "generic"
token = "{GENERIC_TOKEN}"

[[api.tokens]]
name = "admin"
token = "{ADMIN_TOKEN}"
role = "admin"

[triage]
default_lists = ["oncall"]
{rules}
{extra}
"""


class NotifySocket:
    """A datagram socket standing in for systemd's notify socket."""

    def __init__(self, abstract: bool, directory: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        name = f"incidentd-test-{uuid.uuid4().hex[:12]}"
        if abstract:
            self.sock.bind("\0" + name)
            self.env_value = "@" + name
        else:
            path = directory / "notify.sock"
            self.sock.bind(str(path))
            self.env_value = str(path)
        self.sock.setblocking(False)
        self.messages: list[dict[str, str]] = []

    def close(self) -> None:
        self.sock.close()

    async def receive(self, seconds: float = 20.0) -> dict[str, str]:
        """The next message as a dict of its `NAME=value` lines."""
        loop = asyncio.get_running_loop()
        data = await asyncio.wait_for(loop.sock_recv(self.sock, 4096), seconds)
        fields = dict(line.split("=", 1) for line in data.decode().splitlines())
        self.messages.append(fields)
        return fields

    async def wait_for(self, name: str, value: str = "1", seconds: float = 20.0
                       ) -> dict[str, str]:
        """Receive until a message sets `name=value`; return that message."""
        deadline = time.monotonic() + seconds
        while True:
            message = await self.receive(max(deadline - time.monotonic(), 0.01))
            if message.get(name) == value:
                return message


@contextmanager
def notify_socket(directory: Path, *, abstract: bool = True) -> Iterator[NotifySocket]:
    sock = NotifySocket(abstract, directory)
    try:
        yield sock
    finally:
        sock.close()


@dataclass
class DaemonProcess:
    """A running `incidentd serve`."""

    process: subprocess.Popen[bytes]
    http: int
    smtp: int
    config_path: Path
    data_dir: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    async def wait(self, seconds: float = 30.0) -> int:
        deadline = time.monotonic() + seconds
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"incidentd did not exit within {seconds}s:\n{self.log()}")
            await asyncio.sleep(0.05)
        return int(self.process.returncode)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _start(args: list[str], env: dict[str, str], log_path: Path, cwd: Path
           ) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log_file:
        return subprocess.Popen([*incidentd_command(), *args], stdout=log_file,
                                stderr=subprocess.STDOUT, env=env, cwd=cwd)


@asynccontextmanager
async def daemon_process(tmp_path: Path, *, notify: NotifySocket | None = None,
                         watchdog_usec: int | None = None, rules: str = "",
                         extra: str = "", server: str = "") -> AsyncIterator[DaemonProcess]:
    """Write a configuration, migrate, start `incidentd serve`; kill it if a test fails."""
    from daemon.config import load_config
    from tests.support import migrate

    data_dir = tmp_path / "data"
    http, smtp = free_port(), free_port()
    config_path = tmp_path / "incidentd.toml"
    config_path.write_text(config_text(data_dir, http, smtp, rules=rules, extra=extra,
                                       server=server))
    await migrate(load_config(config_path))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INCIDENTD_", "NOTIFY_", "WATCHDOG_", "JOURNAL_"))}
    if notify is not None:
        env["NOTIFY_SOCKET"] = notify.env_value
    if watchdog_usec is not None:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    log_path = tmp_path / "incidentd.log"
    process = _start(["serve", "--config", str(config_path)], env, log_path, tmp_path)
    daemon = DaemonProcess(process, http, smtp, config_path, data_dir, log_path, env)
    try:
        yield daemon
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
