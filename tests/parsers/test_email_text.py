"""The email parser: SOP field lines, reply commands, quotes, signatures and forwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from parsers import Level, Severity
from tests.parsers.mailbuild import info, message, parse

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


@pytest.mark.parametrize("marker", [
    "Begin forwarded message:\n\nFrom: Carol <carol@example.org>\nSubject: VPN down\n"
    "Date: 2 March 2026 at 09:00:00 CET\nTo: Ops <ops@example.org>\n",
    "-------- Forwarded Message --------\nSubject: \tVPN down\n"
    "Date: \tMon, 2 Mar 2026 09:00:00 +0100\nFrom: \tCarol <carol@example.org>\n",
    "-------- Weitergeleitete Nachricht --------\nBetreff: VPN down\n"
    "Von: Carol <carol@example.org>\n",
])
def test_other_inline_forward_markers(marker: str) -> None:
    report = parse(message(f"see below\n\n{marker}\nNo VPN.\n", subject="Fwd: VPN down"))
    assert report.details["forwarded_subject"] == "VPN down"
    assert report.details["forwarded_from"] == "Carol <carol@example.org>"
    assert info(report).update_text.endswith("No VPN.")


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
