"""`incidentd serve` as systemd runs it: a subprocess, real signals, a real notify socket."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
from click.testing import CliRunner

from daemon.cli import main
from tests.ops.proc import DaemonProcess, daemon_process, notify_socket
from tests.support import ADMIN_TOKEN, GENERIC_TOKEN, auth, wait_for

P1_RULE = """
[[triage.rules]]
name = "disk-is-p1"
match.title = "disk"
set = { impact = "high", urgency = "high" }
"""
BROKEN_RULE = P1_RULE.replace('"disk"', '"disk("')  # not a regular expression


async def post_and_wait(daemon: DaemonProcess, title: str) -> dict[str, Any]:
    """Post a generic alert, wait until processed, return its incident."""
    body = json.dumps({"title": title, "dedup_key": title}).encode()
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{daemon.url}/api/v1/webhooks/generic", data=body,
                                   headers={**auth(GENERIC_TOKEN),
                                            "Content-Type": "application/json"})
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]

        async def processed() -> dict[str, Any] | None:
            answer = await http.get(f"{daemon.url}/api/v1/intake/{intake_id}",
                                    headers=auth(ADMIN_TOKEN))
            data = await answer.json()
            return data if data["status"] != "accepted" else None

        status = await wait_for(processed)
        (key,) = status["incidents"]
        answer = await http.get(f"{daemon.url}/api/v1/incidents/{key}", headers=auth(ADMIN_TOKEN))
        return dict(await answer.json())


def rewrite_rules(daemon: DaemonProcess, rules: str) -> None:
    text = daemon.config_path.read_text()
    start = text.index("[triage]")
    daemon.config_path.write_text(text[:start] + '[triage]\ndefault_lists = ["oncall"]\n'
                                  + rules)


async def test_ready_watchdog_reload_and_stop_reach_systemd_in_order(tmp_path: Path) -> None:
    with notify_socket(tmp_path) as notify:
        async with daemon_process(tmp_path, notify=notify, watchdog_usec=300_000) as daemon:
            ready = await notify.wait_for("READY")
            # READY=1 means: database migrated, SMTP and HTTP listening, pid file written.
            with socket.create_connection(("127.0.0.1", daemon.smtp), timeout=5) as smtp:
                assert smtp.recv(128).startswith(b"220 ")
            with socket.create_connection(("127.0.0.1", daemon.http), timeout=5):
                pass
            assert (daemon.data_dir / "incidentd.pid").read_text().strip() == \
                str(daemon.process.pid)
            assert "0 open incident(s)" in ready["STATUS"]
            assert not any("WATCHDOG" in m for m in notify.messages[:-1])

            # WATCHDOG=1 every WATCHDOG_USEC/2 from the event loop; STATUS= refreshed.
            started = time.monotonic()
            pings = 0
            while time.monotonic() - started < 1.0:
                pings += "WATCHDOG" in await notify.receive()
            assert pings >= 4

            before = await post_and_wait(daemon, "disk full on db-1")
            assert before["priority"] != 1

            # SIGHUP with a valid new rule: RELOADING=1, then READY=1; the rule applies.
            rewrite_rules(daemon, P1_RULE)
            result = await asyncio.to_thread(
                CliRunner().invoke, main, ["reload", "--config", str(daemon.config_path)])
            assert result.exit_code == 0, result.output
            reloading = await notify.wait_for("RELOADING")
            assert int(reloading["MONOTONIC_USEC"]) > 0
            done = await notify.wait_for("READY")
            assert "changed: triage.rules" in done["STATUS"]
            assert (await post_and_wait(daemon, "disk full on db-2"))["priority"] == 1

            # SIGHUP with a broken rule: the old rules stay in force.
            rewrite_rules(daemon, BROKEN_RULE)
            daemon.signal(signal.SIGHUP)
            await notify.wait_for("RELOADING")
            failed = await notify.wait_for("READY")
            assert "reload failed, old configuration kept" in failed["STATUS"]
            assert (await post_and_wait(daemon, "disk full on db-3"))["priority"] == 1
            async with aiohttp.ClientSession() as http:
                answer = await http.post(f"{daemon.url}/api/v1/admin/reload",
                                         headers=auth(ADMIN_TOKEN))
                assert answer.status == 422
                assert "disk(" in (await answer.json())["error"]

            daemon.signal(signal.SIGTERM)
            await notify.wait_for("STOPPING")
            assert await daemon.wait() == 0
        assert not (daemon.data_dir / "incidentd.pid").exists()
    log = daemon.log()
    assert "config reloaded changed=triage.rules" in log
    assert "config reload failed" in log
    assert GENERIC_TOKEN not in log
    assert ADMIN_TOKEN not in log


async def _webhooks(daemon: DaemonProcess, until: float, acked: list[int]) -> None:
    async with aiohttp.ClientSession() as http:
        n = 0
        while time.monotonic() < until:
            n += 1
            body = json.dumps({"title": f"burst {n}", "dedup_key": f"burst-{n}"}).encode()
            try:
                response = await http.post(
                    f"{daemon.url}/api/v1/webhooks/generic", data=body,
                    headers={**auth(GENERIC_TOKEN), "Content-Type": "application/json"})
                if response.status == 202:
                    acked.append(int((await response.json())["intake_id"]))
            except aiohttp.ClientError:
                await asyncio.sleep(0.01)  # refused: the daemon is stopping or gone


def _mails(port: int, until: float, acked: list[int]) -> None:
    import smtplib

    n = 0
    while time.monotonic() < until:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                client.ehlo()
                for _ in range(5):
                    n += 1
                    client.mail("alice@example.org")
                    client.rcpt("incidents@example.org")
                    code, reply = client.data(f"Subject: burst mail {n}\r\n\r\nbody\r\n".encode())
                    if code == 250:
                        acked.append(int(reply.split()[-1]))
        except (OSError, smtplib.SMTPException):
            time.sleep(0.01)


async def test_sigterm_during_a_burst_keeps_every_acknowledged_report(tmp_path: Path) -> None:
    import sqlite3

    with notify_socket(tmp_path, abstract=False) as notify:
        async with daemon_process(tmp_path, notify=notify) as daemon:
            await notify.wait_for("READY")
            webhook_ids: list[int] = []
            mail_ids: list[int] = []
            until = time.monotonic() + 2.5
            traffic = [asyncio.create_task(_webhooks(daemon, until, webhook_ids))
                       for _ in range(4)]
            traffic += [asyncio.create_task(asyncio.to_thread(_mails, daemon.smtp, until,
                                                              mail_ids)) for _ in range(2)]
            await asyncio.sleep(1.0)
            assert webhook_ids  # the burst is under way
            assert mail_ids
            daemon.signal(signal.SIGTERM)
            code = await daemon.wait()
            await asyncio.gather(*traffic)
    assert code == 0, daemon.log()
    acked = set(webhook_ids) | set(mail_ids)
    assert len(acked) == len(webhook_ids) + len(mail_ids)
    with sqlite3.connect(daemon.data_dir / "incidentd.db") as db:
        stored = {row[0] for row in db.execute("SELECT id FROM intake")}
    assert acked <= stored, f"acknowledged but lost: {sorted(acked - stored)[:20]}"
    assert "stopped" in daemon.log()
