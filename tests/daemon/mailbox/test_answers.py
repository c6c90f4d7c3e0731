"""Acknowledgements and loop protection: the reporter hears back once; machines never do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from daemon.app import SCHEDULER
from daemon.config import Config
from tests.daemon.mailbox.support import (
    answers_to,
    delivered,
    incident,
    mail,
    mail_config,
    notice_id,
    opened,
    outbox,
    timeline,
)
from tests.support import MAILBOX, running_daemon


async def test_reporter_gets_a_threaded_acknowledgement(config: Config) -> None:
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon, mail(
            "Location: Building B\nImpact: high\nUrgency: high\n\nWater everywhere.",
            message_id="<report-7@example.org>", headers={"References": "<older@example.org>"}))
        (ack,) = await answers_to(daemon, "alice@example.org")
        assert ack["To"] == "alice@example.org"
        assert ack["Subject"] == f"[{key}] Received: Server room flooded"
        assert ack["In-Reply-To"] == "<report-7@example.org>"
        assert ack["References"] == "<older@example.org> <report-7@example.org>"
        assert ack["Auto-Submitted"] == "auto-generated"
        assert ack["X-Incidentd-Loop"] == "incidentd.test"
        text = ack.get_body(("plain",)).get_content()
        assert f"is now incident {key}" in text
        assert "Priority:   P1" in text
        assert "Notified:   oncall" in text
        assert "status: responding | contained | resolved | closed" in text
        assert "Responders can change the incident" in text  # alice is not one
        html = ack.get_body(("html",)).get_content()
        assert f"<strong>{key}</strong>" in html
        # the stakeholders' thread is rooted at their own notice, not at the answer
        notice = await notice_id(daemon, number)
        assert (await incident(daemon, number)).thread_message_id == notice

        # a reply to the acknowledgement finds the incident
        reply = await delivered(daemon, mail("Also the lights are off.", subject="Re: thanks",
                                             message_id="<report-8@example.org>",
                                             headers={"In-Reply-To": str(ack["Message-ID"])}))
        assert reply["incidents"] == [key]


async def test_acknowledgements_are_rate_limited_per_sender(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{"mailbox.ack_limit": 2,
                                            "mailbox.ack_window": "1h"})
    async with running_daemon(config) as daemon:
        numbers = []
        for n in range(3):
            _, number = await opened(daemon, mail(f"Report {n}", subject=f"Problem {n}",
                                                  message_id=f"<flood-{n}@example.org>"))
            numbers.append(number)
        assert len(await answers_to(daemon, "alice@example.org")) == 2
        (skipped,) = [e for e in await timeline(daemon, numbers[2]) if e.kind == "no_answer"]
        assert skipped.text == ("No acknowledgement sent to alice@example.org: it already had 2 "
                                "automatic answers in the last 1h")
        # someone else is not limited by alice's count
        await opened(daemon, mail(sender="bob@example.org", message_id="<b@example.org>"))
        assert len(await answers_to(daemon, "bob@example.org")) == 1
        daemon.clock.advance(timedelta(minutes=61))
        await opened(daemon, mail("Later", subject="Later", message_id="<later@example.org>"))
        assert len(await answers_to(daemon, "alice@example.org")) == 3


async def test_out_of_office_reply_to_a_status_mail_gets_nothing_back(config: Config) -> None:
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon)
        notice = await notice_id(daemon, number)
        mails_before = len(await outbox(daemon))
        entries_before = len(await timeline(daemon, number))
        result = await delivered(daemon, mail(
            "I am out of the office until Monday.", sender="oncall@example.org",
            subject=f"Automatic reply: [{key}] P3 Server room flooded — Triaged",
            message_id="<ooo@example.org>",
            headers={"In-Reply-To": notice, "Auto-Submitted": "auto-replied"}))
        assert result["status"] == "ignored"
        assert result["reason"] == "auto-reply: Auto-Submitted: auto-replied"
        assert result["incidents"] == []
        assert len(await outbox(daemon)) == mails_before
        assert len(await timeline(daemon, number)) == entries_before


async def test_our_own_mail_coming_back_is_ignored(config: Config) -> None:
    async with running_daemon(config) as daemon:
        _, number = await opened(daemon)
        ours = [row for row in await outbox(daemon) if row.incident_id == number]
        mails_before = len(await outbox(daemon))
        for row in ours:  # the opening notice and the acknowledgement
            result = await delivered(daemon, row.raw, mail_from="incidentd@example.org")
            assert result["status"] == "ignored"
            assert result["reason"] == "loop: X-Incidentd-Loop: incidentd.test"
        assert len(await outbox(daemon)) == mails_before


async def test_bounce_of_a_status_mail_marks_its_outbox_row(config: Config) -> None:
    async with running_daemon(config) as daemon:
        key, number = await opened(daemon)
        notice = await notice_id(daemon, number)
        dsn = (
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
            f"To: incidentd@example.org\nSubject: Undelivered Mail Returned to Sender\n"
            "Message-ID: <dsn-1@mx.example.org>\nAuto-Submitted: auto-replied\n"
            "MIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
            "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
            "Final-Recipient: rfc822; lead@example.org\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n"
            "--B\nContent-Type: text/rfc822-headers\n\n"
            f"From: incidentd@example.org\nSubject: [{key}] notice\nMessage-ID: {notice}\n\n"
            "--B--\n").encode()
        await daemon.app[SCHEDULER].tick_outbox()  # a bounce comes after the delivery
        mails_before = len(await outbox(daemon))
        result = await delivered(daemon, dsn, mail_from="")
        assert result["status"] == "ignored"
        assert result["reason"] == "bounce: delivery failed (5.1.1)"
        rows = await outbox(daemon)
        assert len(rows) == mails_before
        (bounced,) = [r for r in rows if r.message_id == notice]
        assert bounced.state == "sent"
        assert bounced.last_error is not None
        assert bounced.last_error.startswith(f"bounced (intake {result['id']}): bounce: ")
        assert "recipient rfc822; lead@example.org" in bounced.last_error
        (entry,) = [e for e in await timeline(daemon, number) if e.kind == "bounce"]
        assert "The opened mail of 2026-03-02 09:00 UTC bounced" in entry.text


async def test_no_answer_to_lists_automatic_senders_or_ourselves(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{
        "mailbox.allowed_list_ids": ["ops.lists.example.org"],
        "mailbox.accept_automatic_from": ["@monitor.example.org"]})
    async with running_daemon(config) as daemon:
        await opened(daemon, mail(sender="list-member@example.org", message_id="<l@x>",
                                  headers={"List-Id": "Ops <ops.lists.example.org>"}))
        await opened(daemon, mail(sender="nagios@monitor.example.org", message_id="<n@x>",
                                  headers={"Auto-Submitted": "auto-generated"}))
        await opened(daemon, mail(sender=MAILBOX, message_id="<s@x>"))
        assert [r.kind for r in await outbox(daemon)] == ["opened"] * 3
