"""sd_notify over a real AF_UNIX datagram socket, path and abstract namespace."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import pytest

from daemon.ops.sdnotify import SystemdNotifier, socket_address, watchdog_interval
from daemon.ops.service import Service
from tests.ops.proc import notify_socket


@pytest.mark.parametrize("abstract", [True, False], ids=["abstract", "path"])
async def test_messages_arrive_in_order(tmp_path: Path, abstract: bool) -> None:
    with notify_socket(tmp_path, abstract=abstract) as sock:
        notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": sock.env_value})
        assert notifier.enabled
        assert notifier.ready("ready; 0 open incident(s)")
        assert notifier.reloading()
        assert notifier.status("line one\nline two")
        assert notifier.stopping()
        messages = [await sock.receive(2) for _ in range(4)]
    assert messages[0] == {"READY": "1", "STATUS": "ready; 0 open incident(s)"}
    assert messages[1]["RELOADING"] == "1"
    assert int(messages[1]["MONOTONIC_USEC"]) > 0
    assert messages[2] == {"STATUS": "line one line two"}  # one line per field
    assert messages[3]["STOPPING"] == "1"


def test_without_systemd_nothing_is_sent() -> None:
    notifier = SystemdNotifier.from_environ({})
    assert not notifier.enabled
    assert not notifier.ready("x")
    assert socket_address("relative/path") is None


def test_a_vanished_socket_is_reported_not_raised(tmp_path: Path) -> None:
    notifier = SystemdNotifier(str(tmp_path / "gone.sock"))
    assert not notifier.watchdog()


def test_watchdog_interval_is_half_the_timeout_and_ours_only() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) \
        == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, pid=2) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None


def drain(sock: socket.socket) -> list[bytes]:
    """Every datagram already queued, without yielding to the event loop."""
    found = []
    while True:
        try:
            found.append(sock.recv(4096))
        except BlockingIOError:
            return found


async def test_watchdog_pings_come_from_the_running_loop(tmp_path: Path) -> None:
    from aiohttp import web

    with notify_socket(tmp_path) as sock:
        service = Service(web.Application(), host="127.0.0.1", port=0, shutdown_timeout=1,
                          pid_file=None, notifier=SystemdNotifier(socket_address(sock.env_value)))
        task = asyncio.create_task(service._watchdog(0.05))
        try:
            await asyncio.sleep(0.3)
            running = drain(sock.sock)
            time.sleep(0.3)  # noqa: ASYNC251 - a stuck loop: no pings, systemd restarts us
            stuck = drain(sock.sock)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert len(running) >= 4
    assert set(running) == {b"WATCHDOG=1"}
    assert stuck == []
