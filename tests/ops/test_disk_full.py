"""A full disk: intake answers 503 and 451 (retry later), keeps what it acknowledged, recovers.

The daemon runs as a process whose file size limit (RLIMIT_FSIZE) is lowered
while it runs: its writes past the limit fail as they would on a full disk
(Python ignores SIGXFSZ, so the write returns EFBIG), for SQLite's WAL as
for everything else. Raising the limit again is the operator freeing space.
"""

from __future__ import annotations

import asyncio
import resource
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.ops.proc import DaemonProcess, daemon_process
from tests.ops.test_activation import healthy
from tests.support import ADMIN_TOKEN, GENERIC_TOKEN, MAILBOX

pytestmark = pytest.mark.skipif(not hasattr(resource, "prlimit"),
                                reason="needs prlimit(2) to lower a running daemon's limit")

HEADERS = {"Authorization": f"Bearer {GENERIC_TOKEN}", "Content-Type": "application/json"}


def set_file_size_limit(daemon: DaemonProcess, limit: int) -> None:
    """The soft limit only: an unprivileged process may raise it again up to the hard one."""
    _, hard = resource.prlimit(daemon.process.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(daemon.process.pid, resource.RLIMIT_FSIZE, (limit, hard))


async def post(http: aiohttp.ClientSession, daemon: DaemonProcess, n: int
               ) -> tuple[int, dict[str, Any]]:
    body = {"title": f"Report {n}", "description": "x" * 2000, "dedup_key": f"report-{n}"}
    async with http.post(f"{daemon.url}/api/v1/webhooks/generic", json=body,
                         headers=HEADERS) as response:
        return response.status, await response.json()


def send_mail(port: int) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", MAILBOX, "Disk full"
    message.set_content("y" * 2000)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


async def processed(http: aiohttp.ClientSession, daemon: DaemonProcess, intake_id: int) -> str:
    """The intake row's status once the pipeline has got to it."""
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for _ in range(300):
        async with http.get(f"{daemon.url}/api/v1/intake/{intake_id}", headers=auth) as answer:
            status = str((await answer.json()).get("status"))
        if status != "accepted":
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"intake {intake_id} still unprocessed:\n{daemon.log()}")


async def test_a_full_disk_is_a_temporary_failure_and_nothing_acknowledged_is_lost(
        tmp_path: Path) -> None:
    async with daemon_process(tmp_path) as daemon, aiohttp.ClientSession() as http:
        await healthy(daemon.http, daemon.process, daemon.log_path)
        status, first = await post(http, daemon, 0)
        assert status == 202
        assert await processed(http, daemon, first["intake_id"]) == "parsed"

        files = [daemon.data_dir / name for name in ("incidentd.db", "incidentd.db-wal")]
        set_file_size_limit(daemon, max(f.stat().st_size for f in files) + 40_000)
        answers = []
        for n in range(1, 2000):  # until the WAL reaches the limit
            answers.append(await post(http, daemon, n))
            if answers[-1][0] != 202:
                break
        assert {status for status, _ in answers} == {202, 503}, answers[-1]
        assert answers[-1][1]["error"] == "the report could not be stored; retry later"
        with pytest.raises(smtplib.SMTPDataError) as refused:
            await asyncio.to_thread(send_mail, daemon.smtp)
        assert refused.value.smtp_code == 451
        assert await post(http, daemon, 5000) == (503, answers[-1][1])  # still full

        set_file_size_limit(daemon, resource.RLIM_INFINITY)  # space again
        status, after = await post(http, daemon, 6000)
        assert status == 202
        await asyncio.to_thread(send_mail, daemon.smtp)
        acknowledged = [first["intake_id"], after["intake_id"],
                        *(body["intake_id"] for status, body in answers if status == 202)]
        for intake_id in acknowledged:
            assert await processed(http, daemon, intake_id) == "parsed"
        async with http.get(f"{daemon.url}/api/v1/incidents?limit=1000",
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as response:
            titles = {incident["title"] for incident in (await response.json())["incidents"]}
        stored = {f"Report {n}" for n, (status, _) in enumerate(answers, start=1)
                  if status == 202}
        assert titles == {"Report 0", "Report 6000", "Disk full", *stored}  # and no others
        log = daemon.log()
        assert "Traceback" not in log
        # three failed commits within seconds: one line, the other two held back
        assert log.count("intake commit failed") == 1
        assert log.count("smtp store failed") == 1
