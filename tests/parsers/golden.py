"""Golden files: run a parser on a fixture and compare with `<case>.expected.json`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import parsers
from parsers import Channel, Ignored, ParseError, RawInput

RECEIVED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def outcome(parser: str, raw: RawInput) -> dict[str, Any]:
    """What the parser makes of `raw`, as a JSON-safe dict."""
    try:
        reports = parsers.parse(parser, raw)
    except ParseError as exc:
        return {"outcome": "error", "reason": exc.reason}
    except Ignored as exc:
        return {"outcome": "ignored", "reason": exc.reason, "details": dict(exc.details)}
    return {"outcome": "reports", "reports": [r.to_json() for r in reports]}


def webhook_input(path: Path, integration: str, options: Mapping[str, Any]) -> RawInput:
    return RawInput(channel=Channel.WEBHOOK, body=path.read_bytes(), received_at=RECEIVED_AT,
                    route=integration, content_type="application/json", options=options)


def email_input(path: Path) -> RawInput:
    return email_raw(path.read_bytes())


def email_raw(mail: bytes) -> RawInput:
    return RawInput(channel=Channel.SMTP, body=mail, received_at=RECEIVED_AT,
                    mail_from="sender@example.net", rcpt_to=("incidents@example.org",))


def expected_path(fixture: Path) -> Path:
    return fixture.with_name(fixture.name.rsplit(".", 1)[0] + ".expected.json")


def check(fixture: Path, actual: dict[str, Any], update: bool) -> None:
    """Compare with the expected file, or write it when `update` is set."""
    path = expected_path(fixture)
    rendered = json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if update or not path.exists():
        if not update:
            raise AssertionError(f"{path.name} is missing; run pytest --update-golden and "
                                 "review the file")
        path.write_text(rendered, encoding="utf-8")
        return
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"{fixture.name}: output differs from {path.name}"
