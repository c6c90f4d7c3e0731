"""Small messages for the email parser tests, written inline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from parsers import Channel, Ignored, RawInput, Report
from parsers import email as mail_parser

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
