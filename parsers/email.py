"""Incident reports by email: RFC 5322 bytes in, one report out."""

from __future__ import annotations

import email.policy
import email.utils
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Final

import html2text

from parsers.report import EmailInfo, ParseError, RawInput, Report

NAME: Final = "email"

_PARSER = BytesParser(policy=email.policy.default)


def can_parse(raw: RawInput) -> bool:
    """Mail has a header block with a From or Subject line."""
    head = raw.body[:4096].lower()
    return b"\nfrom:" in b"\n" + head or b"\nsubject:" in b"\n" + head


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    message = _PARSER.parsebytes(raw.body)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise ParseError("no mail header found")
    subject = " ".join(str(message.get("Subject", "")).split())
    from_name, from_addr = email.utils.parseaddr(str(message.get("From", "")))
    from_addr = from_addr or (raw.mail_from or "")
    body = _body_text(message)
    date = _date(message)
    info = EmailInfo(
        message_id=_msgid(message.get("Message-ID")),
        in_reply_to=tuple(_msgids(message.get("In-Reply-To"))),
        references=tuple(_msgids(message.get("References"))),
        from_addr=from_addr.lower() or None,
        from_name=from_name or None,
        to=tuple(addr.lower() for _, addr in email.utils.getaddresses(
            [str(v) for v in message.get_all("To", [])]) if addr),
        subject=subject,
        date=date,
        update_text=body,
    )
    return [Report(
        source=NAME,
        title=subject or _first_line(body) or "(no subject)",
        description=body,
        occurred_at=date or raw.received_at,
        reporter=info.from_addr,
        email=info,
    )]


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        converter = html2text.HTML2Text()
        converter.body_width = 0
        content = converter.handle(content)
    return content.replace("\r\n", "\n").strip()


def _date(message: EmailMessage) -> datetime | None:
    value = message.get("Date")
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _msgid(value: object) -> str | None:
    ids = _msgids(value)
    return ids[0] if ids else None


def _msgids(value: object) -> list[str]:
    if value is None:
        return []
    return [token.strip() for token in str(value).replace(">", "> ").split()
            if token.startswith("<") and token.endswith(">")]


def _first_line(body: str) -> str:
    return next((line.strip() for line in body.splitlines() if line.strip()), "")[:120]
