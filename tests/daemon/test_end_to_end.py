"""The whole path over real sockets: webhook and mail in, incidents and mail out."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from daemon.config import Config
from daemon.keys import SESSIONS
from daemon.store.models import Alert, Incident, Intake
from tests.conftest import FIXTURES
from tests.support import (
    ADMIN_TOKEN,
    ALERTMANAGER_TOKEN,
    MAILBOX,
    Daemon,
    auth,
    running_daemon,
    smtp_call,
    wait_for,
)

AM = FIXTURES / "webhooks" / "alertmanager"


async def post_webhook(daemon: Daemon, name: str, body: bytes, token: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{daemon.url}/api/v1/webhooks/{name}", data=body,
                                   headers={**auth(token), "Content-Type": "application/json"})
        assert response.status == 202, await response.text()
        return dict(await response.json())


async def intake_status(daemon: Daemon, intake_id: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{daemon.url}/api/v1/intake/{intake_id}",
                                  headers=auth(ADMIN_TOKEN))
        assert response.status == 200
        return dict(await response.json())


async def processed(daemon: Daemon, intake_id: int) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        status = await intake_status(daemon, intake_id)
        return status if status["status"] != "accepted" else None

    return dict(await wait_for(done))


async def count(daemon: Daemon, model: Any) -> int:
    async with daemon.app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_alertmanager_group_opens_one_incident_and_resolves(config: Config) -> None:
    firing = (AM / "alertmonitor-grouped-firing-3-alerts.json").read_bytes()
    resolved = (AM / "alertmonitor-grouped-resolved-3-alerts.json").read_bytes()
    async with running_daemon(config) as daemon:
        first = await processed(daemon, (await post_webhook(
            daemon, "alertmanager", firing, ALERTMANAGER_TOKEN))["intake_id"])
        assert first["status"] == "parsed"
        assert len(first["incidents"]) == 1
        key = first["incidents"][0]
        assert [r["outcome"] for r in first["reports"]] == ["opened", "updated", "updated"]

        again = await processed(daemon, (await post_webhook(
            daemon, "alertmanager", firing, ALERTMANAGER_TOKEN))["intake_id"])
        assert again["incidents"] == [key]
        assert await count(daemon, Incident) == 1
        assert await count(daemon, Alert) == 3

        done = await processed(daemon, (await post_webhook(
            daemon, "alertmanager", resolved, ALERTMANAGER_TOKEN))["intake_id"])
        assert done["incidents"] == [key]
        async with aiohttp.ClientSession() as http:
            response = await http.get(f"{daemon.url}/api/v1/incidents/{key}",
                                      headers=auth(ADMIN_TOKEN))
            incident = await response.json()
        assert incident["status"] == "resolved"
        assert incident["resolved_at"] is not None
        assert {a["status"] for a in incident["alerts"]} == {"resolved"}
        assert [a["count"] for a in incident["alerts"]] == [2, 2, 2]
        entries = [(entry["kind"], entry["text"]) for entry in incident["timeline"]]
        assert [kind for kind, _ in entries] == ["opened", "triaged", "alert", "alert", "status"]
        assert entries[2][1] == ("2 alerts added: No physical connection to 172.29.254.50; "
                                 "No physical connection to 172.29.254.66")
        assert entries[3][1].startswith("3 alerts resolved: ")
        assert entries[4][1] == "All alerts resolved at the source"


async def test_mail_to_the_mailbox_opens_an_incident_titled_by_subject(config: Config) -> None:
    message = EmailMessage()
    message["From"] = "Alice <alice@example.org>"
    message["To"] = MAILBOX
    message["Subject"] = "Server room flooded"
    message["Message-ID"] = "<flood-1@example.org>"
    message.set_content("Water on the floor of server room 2.")
    async with running_daemon(config) as daemon:
        refused = await smtp_call(daemon.smtp_port, lambda c: c.send_message(message))
        assert refused == {}

        async def incidents() -> list[dict[str, Any]]:
            async with aiohttp.ClientSession() as http:
                response = await http.get(f"{daemon.url}/api/v1/incidents",
                                          headers=auth(ADMIN_TOKEN))
                return list((await response.json())["incidents"])

        (incident,) = await wait_for(incidents)
        assert incident["title"] == "Server room flooded"
        assert incident["reporter"] == "alice@example.org"
        assert incident["source"] == "email"
        assert incident["status"] == "triaged"


async def test_mail_for_another_address_is_refused_with_550(config: Config) -> None:
    async with running_daemon(config) as daemon:
        def conversation(client: smtplib.SMTP) -> list[tuple[int, bytes]]:
            client.ehlo()
            client.mail("alice@example.org")
            return [client.rcpt("someone@elsewhere.example"), client.docmd("RCPT TO:<>"),
                    client.rcpt(MAILBOX.upper())]

        (code, text), empty, (code_ok, _) = await smtp_call(daemon.smtp_port, conversation)
        assert code == 550
        assert b"relaying denied" in text
        assert empty == (553, b"5.1.3 A recipient address is needed")
        assert code_ok == 250
        assert await count(daemon, Intake) == 0


async def test_oversized_mail_is_refused_with_552(tmp_path: Any, db_url: str) -> None:
    from tests.support import make_config, migrate

    config = make_config(tmp_path / "data", db_url, **{"server.max_message_size": "2k"})
    await migrate(config)
    message = EmailMessage()
    message["From"] = "alice@example.org"
    message["To"] = MAILBOX
    message["Subject"] = "big"
    message.set_content("x" * 10_000)
    async with running_daemon(config) as daemon:
        with pytest.raises(smtplib.SMTPException) as caught:
            await smtp_call(daemon.smtp_port, lambda c: c.send_message(message))
        error = caught.value
        code = getattr(error, "smtp_code", None)
        if code is None:  # refused at MAIL FROM because of the SIZE parameter
            code = next(iter(error.recipients.values()))[0]  # type: ignore[attr-defined]
        assert code == 552
        assert await count(daemon, Intake) == 0


async def test_status_mail_lands_in_the_maildir(config: Config) -> None:
    from daemon.app import SCHEDULER

    body = json.dumps({"title": "Checkout down", "severity": "critical",
                       "dedup_key": "checkout"}).encode()
    async with running_daemon(config) as daemon:
        from tests.support import GENERIC_TOKEN

        result = await processed(daemon, (await post_webhook(
            daemon, "generic", body, GENERIC_TOKEN))["intake_id"])
        assert result["status"] == "parsed"
        await daemon.app[SCHEDULER].tick_outbox()
    messages = list((config.maildir_path / "new").iterdir())
    assert len(messages) == 1
    text = messages[0].read_bytes()
    assert b"Subject: [INC-1] P1 Checkout down" in text
    assert b"Auto-Submitted: auto-generated" in text
    assert b"X-Envelope-To: oncall@example.org, lead@example.org" in text
