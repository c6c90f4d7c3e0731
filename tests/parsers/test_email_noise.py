"""The email parser on automatic mail: loops, bounces, receipts, auto-replies, lists."""

from __future__ import annotations

import pytest

from tests.parsers.mailbuild import ignored, info, message, parse


@pytest.mark.parametrize("subject", [
    "Out of Office: Disk full on db1", "Automatic reply: [INC-4] Disk full",
    "Autoreply: away", "AutoReply", "Abwesenheitsnotiz: Disk full",
    "Réponse automatique : Disk full", "Automatische Antwort: Disk full",
    "Respuesta automática: Disk full",
])
def test_out_of_office_subjects_are_ignored(subject: str) -> None:
    reason = ignored(message("I am away until Monday.", subject=subject)).reason
    assert reason.startswith("auto-reply: subject")


def test_a_person_replying_about_out_of_office_is_not_ignored() -> None:
    report = parse(message("Who covers for Bob?", subject="Re: Out of Office: Bob",
                           headers="In-Reply-To: <m0@example.org>\n"))
    assert info(report).is_reply
    assert info(report).in_reply_to == ("<m0@example.org>",)


@pytest.mark.parametrize(("headers", "reason"), [
    ("Auto-Submitted: auto-replied\n", "auto-reply: Auto-Submitted: auto-replied"),
    ("Auto-Submitted: auto-generated (warning)\n", "automatic: Auto-Submitted: auto-generated"),
    ("X-Autoreply: yes\n", "auto-reply: X-Autoreply: yes"),
    ("X-Autorespond: on vacation\n", "auto-reply: X-Autorespond: on vacation"),
    ("Precedence: bulk\n", "bulk: Precedence: bulk"),
    ("Precedence: junk\n", "bulk: Precedence: junk"),
    ("List-Id: Ops chatter <ops.lists.example.org>\n",
     "mailing list: List-Id: Ops chatter <ops.lists.example.org>"),
    ("List-Unsubscribe: <mailto:leave@example.org>\n", "mailing list: List-Unsubscribe present"),
    ("X-Incidentd-Loop: inc-4\n", "loop: X-Incidentd-Loop: inc-4"),
    ("X-Incidentd-Loop:\n", "loop: X-Incidentd-Loop"),
    ("Return-Path: <>\n", "automatic: Return-Path: <>"),
])
def test_automatic_mail_headers(headers: str, reason: str) -> None:
    assert ignored(message("text", headers=headers)).reason == reason


def test_headers_that_are_not_markers() -> None:
    report = parse(message("Printer on fire.", headers=(
        "Auto-Submitted: no\nX-Auto-Response-Suppress: All\n")))
    assert info(report).auto_submitted == "no"


def test_allowed_mailing_list_is_accepted() -> None:
    text = message("db1 is down", headers="List-Id: <ops.lists.example.org>\nPrecedence: list\n")
    report = parse(text, allowed_list_ids=["ops.lists.example.org"])
    assert info(report).list_id == "<ops.lists.example.org>"


@pytest.mark.parametrize("accepted", [["alice@example.org"], ["example.org"], ["@EXAMPLE.ORG"]])
def test_accepted_automatic_senders(accepted: list[str]) -> None:
    text = message("CRITICAL: db1 disk 99%", headers=(
        "Auto-Submitted: auto-generated\nPrecedence: bulk\nList-Id: <alerts.example.org>\n"))
    assert parse(text, accept_automatic_from=accepted).title == "Disk full on db1"
    assert ignored(text, accept_automatic_from=["bob@example.org", "other.example.org"])
    auto_reply = message("away", headers="Auto-Submitted: auto-replied\n")
    assert ignored(auto_reply, accept_automatic_from=accepted).reason.startswith("auto-reply")


def test_null_envelope_sender_is_automatic() -> None:
    assert ignored(message("x"), mail_from="").reason == "automatic: null envelope sender"
    assert ignored(message("x"), mail_from="<>").reason == "automatic: null envelope sender"


def test_plain_text_bounce_from_mailer_daemon() -> None:
    text = ("From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n"
            "Subject: Undelivered Mail Returned to Sender\n\n"
            "Your message could not be delivered.\n\n"
            "--- original headers ---\nMessage-ID: <status-4@incidents.example.org>\n")
    caught = ignored(text)
    assert caught.reason == "bounce: non-delivery notice from mailer-daemon@mx.example.net"
    assert caught.details["original_message_id"] == "<status-4@incidents.example.org>"


def test_delivery_status_report() -> None:
    text = message(
        "--R\nContent-Type: text/plain\n\nDelivery failed.\n"
        "--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        "Final-Recipient: rfc822; cfo@example.com\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
        "--R\nContent-Type: text/rfc822-headers\n\n"
        "Message-ID: <status-9@incidents.example.org>\nSubject: [INC-9] Update\n--R--\n",
        subject="Delivery Status Notification (Failure)",
        headers="Content-Type: multipart/report; report-type=delivery-status; boundary=R\n")
    caught = ignored(text)
    assert caught.reason == "bounce: delivery failed (5.1.1)"
    assert caught.details["original_message_id"] == "<status-9@incidents.example.org>"
    assert caught.details["recipient"] == "rfc822; cfo@example.com"


def test_read_receipt() -> None:
    text = message(
        "--R\nContent-Type: text/plain\n\nDisplayed.\n"
        "--R\nContent-Type: message/disposition-notification\n\n"
        "Original-Message-ID: <status-3@incidents.example.org>\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n--R--\n",
        subject="Read: [INC-3] Update",
        headers="Content-Type: multipart/report; report-type=disposition-notification; "
                "boundary=R\n")
    caught = ignored(text)
    assert caught.reason == "read receipt: disposition-notification (displayed)"
    assert caught.details["original_message_id"] == "<status-3@incidents.example.org>"


def test_forwarded_bounce_from_a_person_is_a_report() -> None:
    text = message(
        "--B\nContent-Type: text/plain\n\nOur status mail to the CFO bounced, see attached.\n"
        "--B\nContent-Type: message/rfc822; name=bounce.eml\n\n"
        "From: MAILER-DAEMON@mx.example.net\nSubject: Undeliverable: [INC-9] Update\n\n"
        "could not be delivered\n--B--\n",
        subject="Fwd: Undeliverable: [INC-9] Update",
        headers="Content-Type: multipart/mixed; boundary=B\n")
    report = parse(text)
    assert report.details["forwarded_subject"] == "Undeliverable: [INC-9] Update"
    assert info(report).incident_keys == ("INC-9",)
