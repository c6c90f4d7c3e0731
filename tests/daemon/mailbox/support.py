"""Mail in over real SMTP conversations, and what the store made of it."""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from daemon.config import Config
from daemon.keys import SESSIONS
from daemon.store.models import Incident, Intake, Outbox, Timeline
from tests.daemon.test_end_to_end import processed
from tests.support import ADMIN_TOKEN, MAILBOX, Daemon, auth, make_config, migrate, smtp_call

QUEUED = re.compile(rb"queued as (\d+)")


def mail(body: str = "Water on the floor of server room 2.", *,
         sender: str = "Alice <alice@example.org>", subject: str = "Server room flooded",
         message_id: str | None = "<report-1@example.org>", headers: dict[str, str] | None = None,
         attachments: Sequence[tuple[str, str, bytes]] = ()) -> EmailMessage:
    """A plain mail to the incident mailbox."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = MAILBOX
    message["Subject"] = subject
    message["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def crlf(raw: bytes) -> bytes:
    """Line ends as SMTP carries them (an MTA sends CRLF, whatever the file had)."""
    return re.sub(rb"\r\n|\r|\n", b"\r\n", raw)


async def deliver(daemon: Daemon, message: EmailMessage | bytes, *,
                  mail_from: str | None = None, rcpts: Sequence[str] = (MAILBOX,)) -> int:
    """One SMTP transaction; the intake id from the 250 answer."""
    if isinstance(message, EmailMessage):
        raw = message.as_bytes(policy=email.policy.SMTP)
        envelope = mail_from if mail_from is not None else email.utils.parseaddr(
            str(message["From"]))[1]
    else:
        raw = crlf(message)
        envelope = mail_from if mail_from is not None else "sender@example.net"

    def conversation(client: smtplib.SMTP) -> tuple[int, bytes]:
        client.ehlo("client.example.org")
        code, text = client.mail(envelope)
        assert code == 250, (code, text)
        for rcpt in rcpts:
            code, text = client.rcpt(rcpt)
            assert code == 250, (code, text)
        return client.data(raw)

    code, text = await smtp_call(daemon.smtp_port, conversation)
    assert code == 250, (code, text)
    found = QUEUED.search(text)
    assert found is not None, text
    return int(found.group(1))


async def delivered(daemon: Daemon, message: EmailMessage | bytes, **kwargs: Any
                    ) -> dict[str, Any]:
    """Deliver and wait until the pipeline has processed the mail."""
    return await processed(daemon, await deliver(daemon, message, **kwargs))


async def outbox(daemon: Daemon) -> list[Outbox]:
    async with daemon.app[SESSIONS]() as session:
        return list((await session.scalars(select(Outbox).order_by(Outbox.id))).all())


async def answers_to(daemon: Daemon, address: str, kinds: Sequence[str] = (
        "ack", "confirmation")) -> list[email.message.EmailMessage]:
    """The automatic answers (or other `kinds` of mail) queued for `address`, parsed."""
    return [email.message_from_bytes(row.raw, policy=email.policy.default)  # type: ignore[misc]
            for row in await outbox(daemon) if address in row.recipients and row.kind in kinds]


async def timeline(daemon: Daemon, incident_id: int) -> list[Timeline]:
    async with daemon.app[SESSIONS]() as session:
        return list((await session.scalars(select(Timeline).where(
            Timeline.incident_id == incident_id).order_by(Timeline.id))).all())


async def intake_row(daemon: Daemon, intake_id: int) -> Intake:
    async with daemon.app[SESSIONS]() as session:
        row = await session.get(Intake, intake_id)
        assert row is not None
        return row


async def mail_config(tmp_path: Path, db_url: str | None = None, **overrides: Any) -> Config:
    """The test configuration with responders and a migrated database."""
    values: dict[str, Any] = {"mailbox.responders": ["@ops.example.org", "lead@example.org"]}
    values.update(overrides)
    config = make_config(tmp_path / "data", db_url or
                         f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", **values)
    await migrate(config)
    return config


async def incident(daemon: Daemon, number: int) -> Incident:
    async with daemon.app[SESSIONS]() as session:
        row = await session.get(Incident, number)
        assert row is not None
        return row


async def patch(daemon: Daemon, key: str, changes: dict[str, Any]) -> None:
    """Change an incident through the API, as a responder would."""
    async with aiohttp.ClientSession() as http:
        response = await http.patch(f"{daemon.url}/api/v1/incidents/{key}", json=changes,
                                    headers=auth(ADMIN_TOKEN))
        assert response.status == 200, await response.text()


async def opened(daemon: Daemon, message: EmailMessage | None = None) -> tuple[str, int]:
    """Report by mail; the new incident's key and number."""
    result = await delivered(daemon, message or mail())
    assert result["status"] == "parsed", result
    assert [r["outcome"] for r in result["reports"]] == ["opened"], result
    key = result["incidents"][0]
    return key, int(key.removeprefix("INC-"))


async def notice_id(daemon: Daemon, incident_id: int) -> str:
    """The Message-ID of the opening notice the stakeholders got."""
    (row,) = [r for r in await outbox(daemon) if r.incident_id == incident_id
              and r.kind == "opened"]
    return row.message_id
