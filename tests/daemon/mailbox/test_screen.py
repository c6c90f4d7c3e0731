"""Sender policy, upstream authentication results and duplicate deliveries."""

from __future__ import annotations

import email.policy
import smtplib
from pathlib import Path

from sqlalchemy import func, select

from daemon.config import Config
from daemon.keys import SESSIONS
from daemon.store.models import Incident, Intake, Report
from tests.daemon.mailbox.support import (
    answers_to,
    deliver,
    delivered,
    mail,
    mail_config,
    opened,
    outbox,
)
from tests.daemon.test_end_to_end import processed
from tests.support import MAILBOX, Daemon, running_daemon, smtp_call

POLICY = {"mailbox.allowed_senders": ["@example.org", "partner@example.net"]}


async def count(daemon: Daemon, model: object) -> int:
    async with daemon.app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_quarantine_policy_keeps_mail_from_other_senders_aside(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **POLICY)
    async with running_daemon(config) as daemon:
        key, _ = await opened(daemon)
        await opened(daemon, mail(sender="partner@example.net", message_id="<p@example.net>"))
        stranger = await delivered(daemon, mail(sender="mallory@evil.example",
                                                message_id="<m1@evil.example>"))
        assert stranger["status"] == "quarantined"
        assert stranger["reason"] == ("sender policy: mallory@evil.example is not in "
                                      "[mailbox] allowed_senders")
        # replies follow the same policy
        reply = await delivered(daemon, mail("status: resolved", sender="mallory@evil.example",
                                             subject=f"Re: [{key}]",
                                             message_id="<m2@evil.example>"))
        assert reply["status"] == "quarantined"
        assert await count(daemon, Incident) == 2
        assert await answers_to(daemon, "mallory@evil.example") == []


async def test_reject_policy_refuses_at_mail_from(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **POLICY, **{"mailbox.sender_policy": "reject"})
    async with running_daemon(config) as daemon:
        def conversation(client: smtplib.SMTP) -> list[tuple[int, bytes]]:
            client.ehlo("client.example.org")
            refused = client.mail("mallory@evil.example")
            client.rset()
            return [refused, client.mail("<>"), client.rcpt(MAILBOX)]

        (code, text), null_sender, rcpt = await smtp_call(daemon.smtp_port, conversation)
        assert (code, text) == (550, b"5.7.1 <mallory@evil.example>: sender not allowed to "
                                     b"report incidents here")
        assert null_sender[0] == 250
        assert rcpt[0] == 250
        # an allowed envelope with a header From outside the list: quarantined
        forged = await delivered(daemon, mail(sender="mallory@evil.example"),
                                 mail_from="alice@example.org")
        assert forged["status"] == "quarantined"
        assert await count(daemon, Intake) == 1


AUTH = {"mailbox.require_authentication_results": {"authserv_id": "mx.example.org",
                                                   "require": ["dmarc", "dkim"]}}
PASSED = (b"Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=example.org;\r\n"
          b"\tdkim=pass header.d=example.org; dmarc=pass header.from=example.org")


def stamped(*headers: bytes, n: int) -> bytes:
    """A mail with header lines added on top, as each MTA on the way adds its own."""
    body = mail(message_id=f"<ar-{n}@example.org>").as_bytes(policy=email.policy.SMTP)
    return b"".join(h + b"\r\n" for h in headers) + body


async def test_authentication_results_from_the_trusted_mta_decide(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **AUTH)
    no_header = "authentication results: no Authentication-Results header from mx.example.org"
    cases = [
        ([PASSED], "parsed", None),
        ([b"Authentication-Results: mx.example.org; dkim=pass; dmarc=fail (p=reject)"],
         "quarantined", "authentication results: dmarc=fail according to mx.example.org"),
        ([b"Authentication-Results: mx.example.org; dmarc=pass"],
         "quarantined", "authentication results: dkim=none according to mx.example.org"),
        ([], "quarantined", no_header),
        ([b"Authentication-Results: other.example; dkim=pass; dmarc=pass"],
         "quarantined", no_header),
        # only the topmost header of the trusted MTA counts: one below it came with the mail
        ([b"Authentication-Results: mx.example.org; dkim=fail; dmarc=fail", PASSED],
         "quarantined", "authentication results: dmarc=fail, dkim=fail according to "
                        "mx.example.org"),
        ([b"Authentication-Results: mx.example.org; (((broken", PASSED], "parsed", None),
    ]
    async with running_daemon(config) as daemon:
        for n, (headers, status, reason) in enumerate(cases):
            result = await delivered(daemon, stamped(*headers, n=n),
                                     mail_from="alice@example.org")
            assert (result["status"], result["reason"]) == (status, reason), n


async def test_duplicate_delivery_is_stored_once(config: Config) -> None:
    async with running_daemon(config) as daemon:
        message = mail()
        first = await delivered(daemon, message)
        again = await deliver(daemon, message)
        second = await processed(daemon, again)
        assert first["status"] == "parsed"
        assert (second["status"], second["reason"]) == (
            "ignored", "duplicate delivery of <report-1@example.org>")
        assert await count(daemon, Report) == 1
        assert await count(daemon, Incident) == 1
        assert len(await answers_to(daemon, "alice@example.org")) == 1
        # the same Message-ID from someone else is somebody else's mail
        other = await delivered(daemon, mail(sender="bob@example.org"))
        assert other["status"] == "parsed"
        assert len(await outbox(daemon)) == 4  # two notices, two acknowledgements
