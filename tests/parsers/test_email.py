"""The email parser on small messages written here, plus a sweep over the fixtures."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from parsers import Attachment, Channel, Ignored, Level, ParseError, RawInput, Report, Severity
from parsers import email as mail_parser
from tests.conftest import FIXTURES

RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DATE = "Mon, 2 Mar 2026 10:30:00 +0100"


def raw(message: str | bytes, *, mail_from: str | None = "alice@example.org",
        **options: Any) -> RawInput:
    body = message.encode("utf-8") if isinstance(message, str) else message
    return RawInput(channel=Channel.SMTP, body=body, received_at=RECEIVED, mail_from=mail_from,
                    rcpt_to=("incidents@example.org",), options=options)


def message(body: str = "Hello", *, subject: str = "Disk full on db1",
            headers: str = "", date: str | None = DATE,
            message_id: str | None = "<m1@example.org>") -> str:
    head = "From: Alice Example <alice@example.org>\nTo: incidents@example.org\n"
    head += f"Subject: {subject}\n"
    if date is not None:
        head += f"Date: {date}\n"
    if message_id is not None:
        head += f"Message-ID: {message_id}\n"
    return head + headers + "\n" + body


def parse(text: str | bytes, **kwargs: Any) -> Report:
    reports = mail_parser.parse(raw(text, **kwargs))
    assert len(reports) == 1
    return reports[0]


def ignored(text: str | bytes, **kwargs: Any) -> Ignored:
    with pytest.raises(Ignored) as caught:
        mail_parser.parse(raw(text, **kwargs))
    return caught.value


def info(report: Report) -> Any:
    assert report.email is not None
    return report.email


# --- SOP fields -------------------------------------------------------------------

def test_sop_fields_fill_the_report() -> None:
    report = parse(message(
        "Hi team,\n\n"
        "Discovered: 2026-03-02 09:15\n"
        "LOCATION: Frankfurt DC, rack 12\n"
        "Affected service: checkout\n"
        "Impact: high - customers cannot pay\n"
        "urgency: Medium\n"
        "Severity: Critical\n\n"
        "The checkout API returns 500 since this morning.\n"))
    assert report.discovered_at == datetime(2026, 3, 2, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    assert report.location == "Frankfurt DC, rack 12"
    assert report.service == "checkout"
    assert report.impact is Level.HIGH
    assert report.urgency is Level.MEDIUM
    assert report.severity is Severity.HIGH
    assert report.raw_severity == "Critical"
    assert report.details["impact"] == "high - customers cannot pay"
    assert "urgency" not in report.details


@pytest.mark.parametrize(("line", "expected"), [
    ("Time discovered: 2026-03-02T08:00:00Z", datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
    ("When: Mon, 2 Mar 2026 07:45:00 +0000", datetime(2026, 3, 2, 7, 45, tzinfo=UTC)),
    ("discovered: 1772438400", datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
    ("Detected at: 2026-03-02T08:00:00.123456789+02:00",
     datetime(2026, 3, 2, 6, 0, 0, 123456, tzinfo=UTC)),
    # a bare clock time lands on the mail's day, in the mail's zone, not after it
    ("Discovered: 09:05", datetime(2026, 3, 2, 8, 5, tzinfo=UTC)),
    ("Discovered: 11:00", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    ("Discovered: yesterday 9:30 pm", datetime(2026, 3, 1, 20, 30, tzinfo=UTC)),
])
def test_discovered_time_forms(line: str, expected: datetime) -> None:
    report = parse(message(line + "\n\nDetails follow."))
    assert report.discovered_at == expected


def test_unparseable_discovery_time_is_kept_as_text() -> None:
    report = parse(message("Discovered: shortly after lunch\n"))
    assert report.discovered_at is None
    assert report.details["discovered"] == "shortly after lunch"


@pytest.mark.parametrize("key", ["Service", "System", "affected service", "AFFECTED SYSTEM"])
def test_service_keys(key: str) -> None:
    assert parse(message(f"{key}: payments\n")).service == "payments"


def test_first_field_line_wins_and_bullets_are_allowed() -> None:
    report = parse(message("- Location: Berlin\n* Location: Hamburg\n"))
    assert report.location == "Berlin"


def test_severity_uses_the_integration_map_and_first_word() -> None:
    report = parse(message("Severity: sev-a\n"), severity_map={"sev-a": "low"})
    assert report.severity is Severity.LOW
    assert parse(message("Severity: major outage\n")).severity is Severity.HIGH


def test_fields_in_quoted_text_are_not_read() -> None:
    report = parse(message(
        "Still broken.\n\nOn Mon, 2 Mar 2026 at 09:00, Bob <bob@example.org> wrote:\n"
        "> Location: Paris\n> Severity: low\n", subject="Re: Disk full"))
    assert report.location is None
    assert report.severity is None


# --- reply commands ----------------------------------------------------------------

@pytest.mark.parametrize(("line", "command"), [
    ("status: contained", ("status", "contained")),
    ("Status: Mitigated", ("status", "contained")),
    ("status: investigating", ("status", "responding")),
    ("priority: 1", ("priority", "P1")),
    ("Priority: p2", ("priority", "P2")),
    ("P3", ("priority", "P3")),
    ("severity: high", ("severity", "high")),
    ("sev: warning", ("severity", "medium")),
    ("impact: low", ("impact", "low")),
    ("Urgency: HIGH", ("urgency", "high")),
    ("eta: 2h", ("eta", "PT2H")),
    ("ETA: 1h 30m", ("eta", "PT1H30M")),
    ("eta: 90 min", ("eta", "PT1H30M")),
    ("eta: in 2 days", ("eta", "P2D")),
    ("eta: 2026-05-01 14:00", ("eta", "2026-05-01T14:00:00+01:00")),
    ("eta: 2026-05-01T14:00:00Z", ("eta", "2026-05-01T14:00:00+00:00")),
    ("eta: 16:30", ("eta", "2026-03-02T16:30:00+01:00")),
    ("eta: 08:00", ("eta", "2026-03-03T08:00:00+01:00")),
    ("assign: Bob@Example.org", ("assign", "bob@example.org")),
    ("assign: <carol@example.org>", ("assign", "carol@example.org")),
    ("assign: me", ("assign", "alice@example.org")),
    ("assignee: dave", ("assign", "dave")),
    ("root cause: expired TLS certificate", ("root_cause", "expired TLS certificate")),
    ("RCA: disk filled by logs", ("root_cause", "disk filled by logs")),
    ("resolution: rotated the certificate", ("resolution", "rotated the certificate")),
    ("resolve", ("resolve", "")),
    ("Resolved.", ("resolve", "")),
    ("resolve: fixed by restart", ("resolve", "fixed by restart")),
    ("ack", ("ack", "")),
    ("Acknowledge", ("ack", "")),
    ("reopen", ("reopen", "")),
    ("reopen: errors are back", ("reopen", "errors are back")),
    ("note: customer support informed", ("note", "customer support informed")),
])
def test_each_command(line: str, command: tuple[str, str]) -> None:
    report = parse(message(f"{line}\n\nThanks", subject="Re: [INC-4] Disk full"))
    assert info(report).commands == (command,)


def test_commands_stop_at_the_first_other_line() -> None:
    report = parse(message(
        "\nack\nstatus: contained\n\npriority: 2\nWe restarted the service.\nnote: not a command\n",
        subject="Re: [INC-4] Disk full"))
    assert info(report).commands == (("ack", ""), ("status", "contained"), ("priority", "P2"))


@pytest.mark.parametrize("line", [
    "status: the database is slow again",  # prose, not a status word
    "priority: urgent", "eta: soon", "assign: the night shift", "severity: whatever",
    "Hi all,",
])
def test_lines_that_are_not_commands(line: str) -> None:
    report = parse(message(f"{line}\nresolve\n", subject="Re: [INC-4] Disk full"))
    assert info(report).commands == ()


def test_commands_are_read_from_the_new_text_only() -> None:
    report = parse(message(
        "Looks good now.\n\nOn Mon, 2 Mar 2026 at 09:00, Bob <bob@example.org> wrote:\n"
        "> resolve\n", subject="Re: [INC-4] Disk full"))
    assert info(report).commands == ()
    quoted_top = parse(message("> resolve\n\nresolve\n", subject="Re: x"))
    assert info(quoted_top).commands == (("resolve", ""),)


# --- quotes and signatures -------------------------------------------------------------

GMAIL_REPLY = """status: contained

Failover done, watching the graphs.

On Mon, Mar 2, 2026 at 10:00 AM Incident Desk <
incidents@example.org> wrote:

> [INC-4] Disk full on db1
> Status: responding
>
"""

OUTLOOK_REPLY = """We see the same in Zurich.

Regards
Carol

-----Original Message-----
From: Incident Desk <incidents@example.org>
Sent: Monday, March 2, 2026 10:00 AM
To: Carol <carol@example.org>
Subject: [INC-4] Disk full on db1

Status: responding
"""

OUTLOOK_BLOCK_REPLY = """Fixed on our side.

________________________________
From: Incident Desk <incidents@example.org>
Sent: Monday, March 2, 2026 10:00
To: Ops
Subject: [INC-4] Disk full on db1

Status: responding
"""

GERMAN_REPLY = """Bei uns ist alles wieder grün.

Viele Grüße
Dieter

Am 02.03.2026 um 10:00 schrieb Incident Desk <incidents@example.org>:
> Status: responding
"""

GERMAN_OUTLOOK_REPLY = """Bestätigt.

Von: Incident Desk <incidents@example.org>
Gesendet: Montag, 2. März 2026 10:00
An: Dieter
Betreff: [INC-4] Disk full on db1

Status: responding
"""

FRENCH_REPLY = """C'est réglé.

Le lun. 2 mars 2026 à 10:00, Incident Desk <incidents@example.org> a écrit :
> Status: responding
"""


@pytest.mark.parametrize(("body", "new_text"), [
    (GMAIL_REPLY, "status: contained\n\nFailover done, watching the graphs."),
    (OUTLOOK_REPLY, "We see the same in Zurich.\n\nRegards\nCarol"),
    (OUTLOOK_BLOCK_REPLY, "Fixed on our side."),
    (GERMAN_REPLY, "Bei uns ist alles wieder grün.\n\nViele Grüße\nDieter"),
    (GERMAN_OUTLOOK_REPLY, "Bestätigt."),
    (FRENCH_REPLY, "C'est réglé."),
])
def test_quoted_history_is_cut_from_update_text(body: str, new_text: str) -> None:
    report = parse(message(body, subject="Re: [INC-4] Disk full on db1"))
    assert info(report).update_text == new_text
    assert "Status: responding" in report.description
    assert info(report).is_reply


GMAIL_HTML_REPLY = (
    '<div dir="ltr">status: contained<div><br></div><div>Failover done.</div></div><br>'
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Mar 2, 2026 at 10:00 AM '
    'Incident Desk &lt;<a href="mailto:incidents@example.org">incidents@example.org</a>&gt; '
    'wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
    '[INC-4] Disk full<br>Status: responding</blockquote></div>')

OUTLOOK_HTML_REPLY = (
    "<html><head><style>p.MsoNormal {margin:0cm}</style></head><body><div class=WordSection1>"
    "<p class=MsoNormal>Fixed on our side.<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p>"
    "</p><div><div style='border:none;border-top:solid #E1E1E1 1.0pt'><p class=MsoNormal>"
    "<b>From:</b> Incident Desk &lt;incidents@example.org&gt; <br><b>Sent:</b> Monday, March 2,"
    " 2026 10:00<br><b>To:</b> Ops<br><b>Subject:</b> [INC-4] Disk full<o:p></o:p></p></div>"
    "</div><p class=MsoNormal>Status: responding<o:p></o:p></p></div></body></html>")


@pytest.mark.parametrize(("html", "new_text"), [
    (GMAIL_HTML_REPLY, "status: contained\n\nFailover done."),
    (OUTLOOK_HTML_REPLY, "Fixed on our side."),
])
def test_html_replies(html: str, new_text: str) -> None:
    report = parse(message(html, subject="Re: [INC-4] Disk full",
                           headers="Content-Type: text/html; charset=utf-8\n"))
    assert info(report).update_text == new_text
    assert report.description.endswith("Status: responding")
    assert "MsoNormal" not in report.description


def test_bottom_posting_and_interleaved_answers_are_kept() -> None:
    body = ("Bob wrote:\n> Is the disk full?\nYes, 100%.\n> Which host?\ndb1 only.\n")
    assert info(parse(message(body, subject="Re: x"))).update_text == "Yes, 100%.\ndb1 only."


def test_signature_is_cut_from_both_texts() -> None:
    body = "Restarted the node.\n\n-- \nBob Builder\nOn-call SRE\n+49 30 1234\n"
    report = parse(message(body))
    assert info(report).update_text == "Restarted the node."
    assert report.description == "Restarted the node."


def test_mobile_signature_and_signature_before_the_quote() -> None:
    body = ("Back to normal.\n\nSent from my iPhone\n\n"
            "On 2 Mar 2026, at 10:00, Desk <incidents@example.org> wrote:\n> old text\n")
    report = parse(message(body, subject="Re: x"))
    assert info(report).update_text == "Back to normal."
    sig_then_quote = ("Done.\n-- \nBob\n\nOn Mon, Bob <b@example.org> wrote:\n> earlier\n")
    report = parse(message(sig_then_quote, subject="Re: x"))
    assert report.description == "Done.\n\nOn Mon, Bob <b@example.org> wrote:\n> earlier"


def test_attribution_without_quote_marks_cuts_the_rest() -> None:
    body = "Confirmed.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Desk wrote:\nStatus: responding\n"
    assert info(parse(message(body, subject="Re: x"))).update_text == "Confirmed."


# --- forwards -------------------------------------------------------------------------

def test_inline_forward_keeps_the_inner_subject_and_sender() -> None:
    body = ("FYI, see below.\n\n---------- Forwarded message ---------\n"
            "From: Monitoring <nagios@example.org>\nDate: Mon, Mar 2, 2026 at 9:00 AM\n"
            "Subject: PROBLEM: db1 disk / is CRITICAL\nTo: ops@example.org\n\n"
            "Disk usage 99%\nLocation: Frankfurt\n")
    report = parse(message(body, subject="Fwd: PROBLEM: db1 disk / is CRITICAL"))
    assert report.details["forwarded_subject"] == "PROBLEM: db1 disk / is CRITICAL"
    assert report.details["forwarded_from"] == "Monitoring <nagios@example.org>"
    assert "Disk usage 99%" in report.description
    assert "Disk usage 99%" in info(report).update_text
    assert report.location == "Frankfurt"
    assert report.title == "PROBLEM: db1 disk / is CRITICAL"


def test_outlook_forward_block_is_the_forwarded_message() -> None:
    body = ("Please check.\n\n-----Original Message-----\nFrom: Carol <carol@example.org>\n"
            "Sent: Monday, March 2, 2026 09:00\nSubject: VPN down in Zurich\n\n"
            "No VPN since 8:00.\n")
    report = parse(message(body, subject="FW: VPN down in Zurich"))
    assert report.details["forwarded_subject"] == "VPN down in Zurich"
    assert report.details["forwarded_from"] == "Carol <carol@example.org>"
    assert "No VPN since 8:00." in info(report).update_text


def test_forward_as_attachment() -> None:
    text = message(
        "--B\nContent-Type: text/plain\n\nSee attached.\n"
        "--B\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename=orig.eml\n\n"
        "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\nSubject: =?utf-8?q?L=C3=BCfter?= broken\n"
        "Date: Mon, 2 Mar 2026 08:00:00 +0000\nContent-Type: multipart/mixed; boundary=I\n\n"
        "--I\nContent-Type: text/plain; charset=utf-8\n\nFan in rack 4 is loud.\n"
        "--I\nContent-Type: image/png; name=fan.png\nContent-Transfer-Encoding: base64\n\n"
        "iVBORw0KGgo=\n--I--\n--B--\n",
        subject="Fwd: Lüfter broken", headers="Content-Type: multipart/mixed; boundary=B\n")
    report = parse(text)
    assert report.details["forwarded_subject"] == "Lüfter broken"
    assert report.details["forwarded_from"] == "Zoë <zoe@example.org>"
    assert "Fan in rack 4 is loud." in report.description
    assert [a.filename for a in info(report).attachments] == ["fan.png"]


# --- noise ------------------------------------------------------------------------------

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


# --- attachments -------------------------------------------------------------------------

def _with_files(*files: tuple[str, bytes]) -> str:
    parts = "--B\nContent-Type: text/plain\n\nScreenshots attached.\n"
    for name, data in files:
        parts += (f"--B\nContent-Type: image/png\nContent-Disposition: attachment; "
                  f"filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n"
                  f"{base64.b64encode(data).decode()}\n")
    return message(parts + "--B--\n", headers="Content-Type: multipart/mixed; boundary=B\n")


def test_attachment_metadata_and_data() -> None:
    report = parse(_with_files(("a.png", b"\x89PNG-data")))
    (attachment,) = info(report).attachments
    assert attachment == Attachment(filename="a.png", content_type="image/png", size=9,
                                    sha256=hashlib.sha256(b"\x89PNG-data").hexdigest(),
                                    data=b"\x89PNG-data")
    assert report.description == "Screenshots attached."
    assert "data" not in json.dumps(report.to_json()["email"]["attachments"])


def test_attachment_over_the_size_cap_keeps_metadata_only() -> None:
    data = b"x" * 64
    report = parse(_with_files(("big.png", data), ("small.png", b"ok")), max_attachment_bytes=10)
    big, small = info(report).attachments
    assert (big.size, big.sha256, big.data, big.truncated) == (
        64, hashlib.sha256(data).hexdigest(), b"", True)
    assert (small.data, small.truncated) == (b"ok", False)


def test_attachment_count_cap() -> None:
    report = parse(_with_files(("1.png", b"1"), ("2.png", b"2"), ("3.png", b"3")),
                   max_attachments=2)
    assert [a.filename for a in info(report).attachments] == ["1.png", "2.png"]
    assert report.details["attachments_dropped"] == "1"


def test_inline_image_and_encoded_filenames_are_attachments() -> None:
    text = message(
        "--A\nContent-Type: text/plain\n\nsee picture\n"
        "--A\nContent-Type: multipart/related; boundary=R\n\n"
        "--R\nContent-Type: text/html\n\n<p>see <img src=\"cid:x\"></p>\n"
        "--R\nContent-Type: image/gif\nContent-ID: <x>\n\nGIF89a\n--R--\n"
        "--A--\n", headers="Content-Type: multipart/alternative; boundary=A\n")
    report = parse(text)
    assert report.description == "see picture"
    assert [(a.filename, a.content_type) for a in info(report).attachments] == [
        ("attachment-1.gif", "image/gif")]
    encoded = parse(message(
        "--B\nContent-Type: application/pdf; name=\"=?utf-8?B?QmVyaWNodCDDvGJlci5wZGY=?=\"\n\n"
        "%PDF\n--B\nContent-Type: text/plain\nContent-Disposition: attachment; "
        "filename*=utf-8''Stra%C3%9Fe.txt\n\nx\n--B--\n",
        headers="Content-Type: multipart/mixed; boundary=B\n"))
    assert [a.filename for a in info(encoded).attachments] == ["Bericht über.pdf", "Straße.txt"]


def test_uuencoded_file_in_the_body() -> None:
    body = "Log attached.\n\nbegin 644 log.txt\n#:&D*\n`\nend\n\nBye\n"
    report = parse(message(body))
    assert [(a.filename, a.data) for a in info(report).attachments] == [("log.txt", b"hi\n")]
    assert "begin 644" not in report.description


# --- subject, title, identity --------------------------------------------------------------

def test_incident_tags_and_title() -> None:
    report = parse(message("x", subject="RE: AW: [INC-12]  Disk   full [inc-7] on db1"))
    assert info(report).incident_keys == ("INC-12", "INC-7")
    assert info(report).subject == "RE: AW: [INC-12] Disk full [inc-7] on db1"
    assert report.title == "Disk full on db1"
    assert info(report).is_reply


@pytest.mark.parametrize(("subject", "title"), [
    ("Fwd: WG: SV: Antw: Re[2]: VPN down", "VPN down"),
    ("Fw: TR: RE: [INC-1] x", "x"),
    ("[ops] Re: printer", "[ops] Re: printer"),
    ("Test: not a prefix", "Test: not a prefix"),
])
def test_title_prefixes(subject: str, title: str) -> None:
    assert parse(message("body", subject=subject)).title == title


def test_long_subject_and_empty_subject() -> None:
    long_title = parse(message("x", subject="word " * 100)).title
    assert long_title.startswith("word word")
    assert 195 <= len(long_title) <= 200
    assert parse(message("\n\n  First line here  \nsecond", subject="")).title == \
        "First line here"
    assert parse(message("", subject="Re: [INC-3]")).title == "(no subject)"


def test_missing_date_and_message_id() -> None:
    report = parse(message("x", date=None, message_id=None))
    assert report.occurred_at == RECEIVED
    assert info(report).message_id is None
    assert info(report).date is None
    assert parse(message("x", date="not a date")).occurred_at == RECEIVED


def test_date_in_the_future_does_not_move_occurred_at() -> None:
    report = parse(message("x", date="Mon, 2 Mar 2026 18:00:00 +0000"))
    assert info(report).date == datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    assert report.occurred_at == RECEIVED


def test_addresses_and_threading_headers() -> None:
    report = parse(
        "From: \"Doe, Jane\" <Jane.Doe@Example.org>\nTo: a@example.org, \"B, C\" <bc@example.org>\n"
        "Cc: undisclosed-recipients:;\nReply-To: desk@example.org\nSubject: x\n"
        "In-Reply-To: <a@x>\nReferences: <r1@x> <r2@x>\n\t<a@x>\n\nbody\n")
    email = info(report)
    assert (email.from_name, email.from_addr, report.reporter) == (
        "Doe, Jane", "jane.doe@example.org", "jane.doe@example.org")
    assert email.to == ("a@example.org", "bc@example.org")
    assert email.cc == ()
    assert email.reply_to == ("desk@example.org",)
    assert email.references == ("<r1@x>", "<r2@x>", "<a@x>")


def test_display_name_that_looks_like_an_address_is_not_the_sender() -> None:
    report = parse("From: boss@example.org <mallory@example.net>\nSubject: x\n\nhi\n")
    assert info(report).from_addr == "mallory@example.net"


def test_envelope_sender_when_from_is_missing() -> None:
    assert parse("Subject: x\n\nhi\n", mail_from="<Ops@Example.org>").reporter == \
        "ops@example.org"


# --- decoding -------------------------------------------------------------------------------

def test_header_and_body_charsets() -> None:
    text = ("From: =?koi8-r?B?98/Mz8TR?= <v@example.org>\n"
            "Subject: =?utf-8?B?0J/RgNC4?= =?utf-8?B?0LLQtdGC?= caf\xe9\n"
            "Content-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: base64\n\n"
            "xOO6ww==\n").encode("latin-1")
    report = parse(text)
    assert info(report).from_name == "Володя"
    assert info(report).subject == "Привет café"
    assert report.description == "你好"


@pytest.mark.parametrize(("charset", "data", "text"), [
    ("ks_c_5601-1987", "스티해".encode("cp949"), "스티해"),
    ("euc-kr", "한국어".encode("cp949"), "한국어"),
    ("shift_jis", "テスト①".encode("cp932"), "テスト①"),
    ("iso-2022-jp", "テスト".encode("iso2022_jp"), "テスト"),
    ("windows-1251", "Вопрос".encode("cp1251"), "Вопрос"),
    ("iso-8859-2", "Łódź".encode("iso-8859-2"), "Łódź"),
    ("utf-7", "Frösche".encode("utf-7"), "Frösche"),
    ("no-such-charset", "Grüße".encode(), "Grüße"),
    ("no-such-charset", "Grüße".encode("cp1252"), "Grüße"),
    ("us-ascii", "naïve".encode("cp1252"), "naïve"),
    ("gb2312", "你好".encode(), "你好"),  # UTF-8 that says it is GB2312
    ("zip", b"plain", "plain"),  # not a text codec: never run it
])
def test_body_charsets(charset: str, data: bytes, text: str) -> None:
    body = (f"From: a@example.org\nSubject: x\nContent-Type: text/plain; charset={charset}\n"
            "Content-Transfer-Encoding: 8bit\n\n").encode() + data
    assert parse(body).description == text


def test_undecodable_bytes_are_replaced() -> None:
    body = (b"From: a@example.org\nSubject: \xff\xfe\nContent-Type: text/plain; charset=euc-jp\n"
            b"\n\xa4\xa2\xa4\xff")
    report = parse(body)
    assert info(report).subject == "\xff\xfe".encode("latin-1").decode("cp1252")
    assert report.description == "\u3042\ufffd\ufffd"


def test_line_endings_are_normalised() -> None:
    lf = message("line one\nline two\n")
    for variant in (lf.replace("\n", "\r\n"), lf.replace("\n", "\r")):
        report = parse(variant)
        assert report.description == "line one\nline two"
        assert report.title == "Disk full on db1"


def test_html_only_mail_becomes_text() -> None:
    html = ("<html><head><style>p {color: red}</style><script>alert('x')</script></head>"
            "<body><p><b>Severity:</b> high</p><p>Dashboard: "
            "<a href=\"https://grafana.example.org/d/1\">latency graph</a></p></body></html>")
    report = parse(message(html, headers="Content-Type: text/html; charset=utf-8\n"))
    assert report.description == ("Severity: high\n\nDashboard: "
                                  "[latency graph](https://grafana.example.org/d/1)")
    assert report.severity is Severity.HIGH
    assert report.details["body_format"] == "html"


def test_alternative_prefers_plain_text() -> None:
    text = message("--A\nContent-Type: text/plain\n\nplain version\n"
                   "--A\nContent-Type: text/html\n\n<p>html version</p>\n--A--\n",
                   headers="Content-Type: multipart/alternative; boundary=A\n")
    assert parse(text).description == "plain version"


@pytest.mark.parametrize(("body", "text"), [
    ("--X\nContent-Type: text/plain\n\nnever closed", "never closed"),  # no final boundary
    ("--Y\nContent-Type: text/plain\n\nwrong boundary\n--Y--\n", "wrong boundary"),
    ("preamble only\n--X--\n", "preamble only"),
])
def test_broken_multiparts(body: str, text: str) -> None:
    report = parse(message(body, headers="Content-Type: multipart/mixed; boundary=X\n"))
    assert report.description == text


def test_missing_final_boundary_and_flowed_text() -> None:
    text = message("--A\nContent-Type: text/plain; format=flowed\n\nA long line \nwrapped here.\n",
                   headers="Content-Type: multipart/mixed; boundary=A\n")
    assert parse(text).description == "A long line wrapped here."


def test_header_that_defeats_the_default_policy() -> None:
    text = message("--X\nContent-Type: text/plain\n\nThe UPS is beeping.\n"
                   "--X\nContent-Type: text/plain; name*\n\nx\n--X--\n",
                   headers="Content-Type: multipart/mixed; boundary=X\n")
    report = parse(text)  # Python 3.11's default policy raises IndexError on "name*"
    assert report.description.startswith("The UPS is beeping.")
    assert report.details.get("parse_problem", "parsed with the compat32 policy").startswith(
        "parsed with the compat32 policy")


class _Broken:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def parsebytes(self, data: bytes) -> None:
        raise self.error


def test_compat32_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail_parser, "_PARSER", _Broken(IndexError("string index")))
    report = parse(message("Fan failure in rack 4.", headers="Content-Type: text/plain\n"))
    assert report.description == "Fan failure in rack 4."
    assert report.details["parse_problem"] == (
        "parsed with the compat32 policy: IndexError under policy.default")


def test_headers_only_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    text = message("--X\nContent-Type: text/plain\n\nFan failure in rack 4.\n--X--\n",
                   headers="Content-Type: multipart/mixed; boundary=X; name*0=a; name*\n")
    assert "Fan failure in rack 4." in parse(text).description  # real 3.11 failures, if any
    monkeypatch.setattr(mail_parser, "_PARSER", _Broken(IndexError("string index")))
    monkeypatch.setattr(mail_parser, "_COMPAT_PARSER", _Broken(TypeError("continuations")))
    report = parse(text)
    assert report.title == "Disk full on db1"
    assert "Fan failure in rack 4." in report.description
    assert report.details["parse_problem"].startswith("MIME structure unreadable (IndexError")


@pytest.mark.parametrize("body", [b"", b"\n\n", b"just some words\n", b"\x00\xff" * 10])
def test_non_mail_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        mail_parser.parse(raw(body))


def test_can_parse() -> None:
    assert mail_parser.can_parse(raw(message("x")))
    assert not mail_parser.can_parse(raw(b'{"alerts": []}'))


# --- every fixture ------------------------------------------------------------------------

EMAIL_FIXTURES = sorted((FIXTURES / "email").glob("*/*.eml"))


@pytest.mark.parametrize("path", EMAIL_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_gives_a_report_or_is_ignored(path: Path) -> None:
    try:
        reports = mail_parser.parse(raw(path.read_bytes(), mail_from="sender@example.net"))
    except Ignored as exc:
        kind = exc.reason.split(":", 1)[0]
    else:
        kind = "report"
    assert kind in {"report", "loop", "bounce", "read receipt", "abuse report", "auto-reply",
                    "automatic", "bulk", "mailing list"}
    if kind != "report":
        return
    assert len(reports) == 1
    report = reports[0]
    assert report.title
    assert report.occurred_at.tzinfo is not None
    json.dumps(report.to_json())
