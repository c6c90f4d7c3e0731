"""Incident reports by email: RFC 5322 bytes in, one report out (or `Ignored`).

Reading the mail
    Line endings (CRLF, bare CR) are made LF, then the standard `email`
    package parses with `policy.default`. Headers are decoded by us from their
    raw form: RFC 2047 words in any charset Python knows (`ks_c_5601-1987` and
    `euc-kr` read as cp949, `gb2312` as gb18030, `shift_jis` as cp932), raw
    8-bit bytes as UTF-8 when they are, else Windows-1252. Bodies use their
    declared charset; unknown or missing charsets are guessed the same way;
    undecodable bytes become U+FFFD. Nothing in a message makes the parser
    fail: only input without any mail header (for example empty bytes) is a
    `ParseError`. Where the standard library raises on malformed MIME, the
    message is parsed again with `compat32`, or as headers plus raw text, and
    `details["parse_problem"]` says so. Text parts are read up to a million
    characters each (`details["body_truncated"]` when cut);
    `details["body_format"]` is "html" when the text came from HTML.

Body and attachments
    `multipart/alternative` prefers text/plain; HTML-only mail is turned into
    text (links kept as `[text](url)`). Forwarded messages (`message/rfc822`
    parts) are rendered into the description and their subject and sender go
    to `details["forwarded_subject"]` / `details["forwarded_from"]`; inline
    forwards ("---------- Forwarded message ----------", "Begin forwarded
    message:", Outlook blocks under a Fwd:/WG: subject) fill the same details.
    Every other part with a file name or a non-text type is an `Attachment`
    (uuencode and BinHex decoded). Options: `max_attachment_bytes` (default
    10 MiB; a larger file keeps its name, type, size and sha256, with empty
    data and `truncated=True`) and `max_attachments` (default 20; the number
    left out is in `details["attachments_dropped"]`).

Reply text
    `EmailInfo.update_text` is the sender's new text: `>` quotes with their
    "On … wrote:" / "Am … schrieb …:" / "Le … a écrit :" line, and everything
    from "-----Original Message-----" or an Outlook "From: … Sent: …" block on,
    are cut, and so is the signature ("-- " to the next quote or the end, and
    "Sent from my iPhone"-style lines). `description` is the whole body minus
    signatures.

SOP fields
    Whole lines `Key: value` anywhere in the new text (not in quoted or
    forwarded-under-a-reply text); keys ignore case, an optional leading
    "- " or "* " is allowed, and the first line for a key wins:

    - `Discovered:`, `Time discovered:`, `Discovered at:`, `When:`, `Detected:`
      → `discovered_at`. Accepted: ISO 8601 (`2026-05-01 14:05`,
      `2026-05-01T14:05:00+02:00`), epoch seconds, RFC 2822 dates, and clock
      times (`14:05`, `today 9:30 pm`, `yesterday 23:10`, placed on the mail's
      date, the latest such time not after it). Times without a zone take the
      zone of the mail's Date header (of the received time without one).
      Anything else is kept as text in `details["discovered"]`.
    - `Location:` → `location`.
    - `Service:`, `Affected service:`, `System:`, `Affected system:` → `service`.
    - `Impact:`, `Urgency:` → `impact` / `urgency` from the first word
      (high, medium/med/moderate, low); the full text goes to
      `details["impact"]` / `details["urgency"]` when it says more.
    - `Severity:` → `raw_severity` as written, `severity` through
      `map_severity` (the integration's `severity_map` first), trying the
      first word when the whole value does not map.

Reply commands
    Lines at the top of the new text, read until the first line that is not a
    command (blank lines are skipped); names ignore case. Parsed into
    `EmailInfo.commands` as (name, value); whether the sender may run them is
    decided elsewhere.

    - `status: <s>` → ("status", s) for triaged, responding, contained,
      resolved, closed, dismissed; also investigating/identified/in progress
      (responding), mitigated/monitoring (contained), fixed (resolved),
      false alarm/duplicate (dismissed).
    - `priority: 1`, `priority: P1`, `prio: 2` or a bare `P1` line →
      ("priority", "P1") … ("P4").
    - `severity: high` (or `sev:`) → ("severity", "high"|"medium"|"low")
      through `map_severity`.
    - `impact: high`, `urgency: low` → ("impact"|"urgency", level).
    - `eta: 2h`, `eta: 90 min`, `eta: 1h 30m`, `eta: in 2 days` → ("eta",
      "PT2H" …) as an ISO 8601 duration; `eta: 2026-05-01 14:00`, `eta: 16:30` or an
      RFC 2822 date → ("eta", ISO 8601 time; a bare clock time is the next
      one after the mail's date).
    - `assign: name@example.org`, `assign: alice`, `assign: me` (the sender)
      → ("assign", address or user name); also `assignee:`.
    - `root cause: …` (or `rca:`) → ("root_cause", text); `resolution: …` →
      ("resolution", text); `note: …` (or `comment:`) → ("note", text).
    - `resolve` / `resolved` (optionally `: text`) → ("resolve", text or "");
      `ack` / `acknowledge` (optionally `: text`) → ("ack", text or "");
      `reopen` or `reopen: reason` → ("reopen", reason or "").

Noise
    Mail that is not a person reporting raises `Ignored("<kind>: <what>")`:
    our loop header `X-Incidentd-Loop`; delivery-status reports and other
    non-delivery notices (`bounce`, with the original Message-ID in details
    when found); disposition notifications and Outlook read receipts (`read
    receipt`); ARF feedback (`abuse report`); `Auto-Submitted` other than
    "no", `X-Autoreply`, `X-Autorespond` and out-of-office subjects
    (`auto-reply` / `automatic`); a null envelope sender or `Return-Path: <>`
    (`automatic`); `Precedence: bulk|junk|list` (`bulk`) and `List-Id` /
    `List-Unsubscribe` (`mailing list`; lists named in the option
    `allowed_list_ids` are accepted). A reply is never ignored for being one.
    Senders named in the option `accept_automatic_from` (addresses, or
    domains as `example.org` / `@example.org`) may send machine-generated
    mail (`Auto-Submitted: auto-generated`, `Precedence`, list headers), for
    monitoring systems that report by mail; From is not authenticated, so
    name internal senders only. Loops, bounces, receipts and auto-replies
    stay ignored.

Title
    The subject without leading Re:/Fwd:/AW:/WG:/SV:/Antw:/… prefixes and
    without `[INC-<n>]` tags, whitespace collapsed, at most 200 characters;
    the first line of the body when that leaves nothing. `EmailInfo.subject`
    keeps the subject as sent (decoded, whitespace collapsed) and
    `incident_keys` lists its tags.
"""

from __future__ import annotations

import email.policy
import re
from datetime import UTC
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from typing import Final

from parsers._mail import fields, mime, noise, parts, reply
from parsers._mail.decode import addresses, header_text, message_id, msgids, one_line, parse_date
from parsers._mail.parts import FRAGILE
from parsers.report import EmailInfo, ParseError, RawInput, Report

NAME: Final = "email"

_PARSER = BytesParser(policy=email.policy.default)
_HEADER_PARSER = BytesHeaderParser(policy=email.policy.default)
_COMPAT_PARSER = BytesParser(policy=email.policy.compat32)
_COMPAT_HEADER_PARSER = BytesHeaderParser(policy=email.policy.compat32)
_MAIL_HEADERS: Final = frozenset({
    "from", "to", "cc", "subject", "date", "message-id", "content-type", "mime-version",
    "received", "return-path", "sender", "in-reply-to", "references",
})
_TITLE_MAX: Final = 200

_PREFIX: Final = (r"(?:re|aw|sv|vs|antw|odp|ynt|rif|res|fwd?|wg|tr|rv|enc|vl|vb"
                  r"|回复|答复|回覆|转发|轉寄)(?:\s*\[\d+\]|\s*\(\d+\)|\^\d+)?\s*[:：]")
_LEADING: Final = re.compile(rf"^\s*(?:{_PREFIX}|\[INC-\d+\])\s*", re.IGNORECASE)
_REPLY_PREFIX: Final = re.compile(
    r"^\s*(?:re|aw|sv|vs|antw|odp|ynt|rif|res|回复|答复|回覆)(?:\s*\[\d+\]|\s*\(\d+\)|\^\d+)?"
    r"\s*[:：]", re.IGNORECASE)
_FORWARD_PREFIX: Final = re.compile(
    r"^\s*(?:fwd?|wg|tr|rv|enc|vl|vb|转发|轉寄)\s*[:：]", re.IGNORECASE)
_INCIDENT_TAG: Final = re.compile(r"\[(INC-\d+)\]", re.IGNORECASE)


def can_parse(raw: RawInput) -> bool:
    """Mail has a header block with a From or Subject line."""
    head = raw.body[:4096].lower()
    return b"\nfrom:" in b"\n" + head or b"\nsubject:" in b"\n" + head


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = raw.body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").lstrip(b"\n")
    if not body.strip():
        raise ParseError("empty message")
    message, problem = _read(body)
    headers = parts.header_map(message)
    if not _MAIL_HEADERS & headers.keys():
        raise ParseError("no mail header found")

    subject = one_line(header_text(_first(headers, "subject")))
    senders = addresses(headers.get("from", []))
    from_name, from_addr = senders[0] if senders else ("", "")
    from_addr = (from_addr or _envelope(raw)).lower()
    noise.check(message, headers, raw, subject=subject, from_addr=from_addr)

    content = mime.extract(message, mime.Limits.from_options(raw.options))
    date = parse_date(_first(headers, "date"))
    received = raw.received_at if raw.received_at.tzinfo else raw.received_at.replace(tzinfo=UTC)
    anchor = date or received  # the zone and day for times written without them
    split = reply.split(content.text, forward=_FORWARD_PREFIX.match(subject) is not None)
    sop = fields.sop_fields(split.update_text, raw.options, anchor)
    in_reply_to = tuple(msgids(_first(headers, "in-reply-to")))
    references = tuple(msgids(" ".join(headers.get("references", []))))
    info = EmailInfo(
        message_id=message_id(_first(headers, "message-id")),
        in_reply_to=in_reply_to,
        references=references,
        from_addr=from_addr or None,
        from_name=from_name or None,
        to=_addrs(headers, "to"),
        cc=_addrs(headers, "cc"),
        reply_to=_addrs(headers, "reply-to"),
        subject=subject,
        date=date,
        update_text=split.update_text,
        attachments=tuple(content.attachments),
        is_reply=bool(in_reply_to or references or _REPLY_PREFIX.match(subject)),
        auto_submitted=one_line(_first(headers, "auto-submitted") or "") or None,
        list_id=noise.list_id_of(headers),
        incident_keys=tuple(dict.fromkeys(m.upper() for m in _INCIDENT_TAG.findall(subject))),
        commands=fields.commands(split.update_text, raw.options, sender=from_addr or None,
                                 anchor=anchor),
    )
    details = dict(sop.raw)
    forwarded_subject, forwarded_from = split.forwarded_subject, split.forwarded_from
    if content.forwards:
        forwarded_subject = content.forwards[0].subject or None
        forwarded_from = content.forwards[0].sender or None
    if forwarded_subject:
        details["forwarded_subject"] = forwarded_subject
    if forwarded_from:
        details["forwarded_from"] = forwarded_from
    if content.dropped:
        details["attachments_dropped"] = str(content.dropped)
    if content.html:
        details["body_format"] = "html"
    if content.truncated:
        details["body_truncated"] = f"text parts cut at {parts.MAX_TEXT_CHARS} characters"
    if problem:
        details["parse_problem"] = problem
    return [Report(
        source=NAME,
        title=title(subject) or _first_line(split.description) or "(no subject)",
        description=split.description,
        occurred_at=min(date, received) if date else raw.received_at,  # not after receipt
        severity=sop.severity,
        raw_severity=sop.raw_severity,
        service=sop.service,
        impact=sop.impact,
        urgency=sop.urgency,
        location=sop.location,
        discovered_at=sop.discovered_at,
        reporter=info.from_addr,
        details=details,
        email=info,
    )]


def _read(body: bytes) -> tuple[Message, str | None]:
    """Parse with policy.default, falling back when the standard library gives up.

    The default policy builds header objects while parsing, and some malformed
    Content-Type parameters make that raise; compat32 keeps strings but still
    trips over a few (RFC 2231 continuations); the last resort keeps only the
    headers and reads the body as text. The second value says what happened.
    """
    try:
        return _PARSER.parsebytes(body), None
    except RecursionError:  # thousands of nested multiparts
        return _HEADER_PARSER.parsebytes(body), "MIME nested too deeply; body kept as raw text"
    except FRAGILE as exc:
        failure = type(exc).__name__
    try:
        message = _COMPAT_PARSER.parsebytes(body)
    except (*FRAGILE, RecursionError):
        return _COMPAT_HEADER_PARSER.parsebytes(body), (
            f"MIME structure unreadable ({failure} under policy.default and compat32); "
            "body kept as raw text")
    return message, f"parsed with the compat32 policy: {failure} under policy.default"


def title(subject: str) -> str:
    """The subject without reply/forward prefixes and [INC-n] tags, at most 200 characters."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _LEADING.sub("", subject, count=1)
    return one_line(_INCIDENT_TAG.sub(" ", subject))[:_TITLE_MAX].rstrip()


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _addrs(headers: dict[str, list[str]], name: str) -> tuple[str, ...]:
    return tuple(addr.lower() for _, addr in addresses(headers.get(name, [])) if addr)


def _envelope(raw: RawInput) -> str:
    return (raw.mail_from or "").strip().strip("<>").strip()


def _first_line(body: str) -> str:
    line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    return one_line(line)[:_TITLE_MAX].rstrip()
