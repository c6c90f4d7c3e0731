"""Pingdom state-change webhooks (alerting integrations, webhook type).

Pingdom posts `check_id`, `check_name`, `check_type`, `check_params`,
`previous_state`, `current_state` (DOWN / UP, and for transaction checks
FAILING / SUCCESS), `importance_level` (HIGH / LOW), `description`,
`long_description` and `state_changed_timestamp`. The dedup key is
`check:<check_id>`: DOWN fires, UP resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from parsers._common import (
    dig,
    first_text,
    join_texts,
    load_object,
    map_severity,
    one_line,
    parse_time,
    text,
)
from parsers.report import ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "pingdom"

SEVERITIES: Final[Mapping[str, Severity]] = {"high": Severity.HIGH, "low": Severity.LOW}
_STATES: Final = {
    "down": ReportStatus.FIRING, "failing": ReportStatus.FIRING,
    "up": ReportStatus.RESOLVED, "success": ReportStatus.RESOLVED,
}


def can_parse(raw: RawInput) -> bool:
    """Pingdom bodies carry `check_id` and `current_state`."""
    body = raw.body
    return b'"check_id"' in body and b'"current_state"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Pingdom webhook")
    check_id = text(body.get("check_id"))
    state = text(body.get("current_state"))
    if check_id is None or state is None:
        raise ParseError("a Pingdom webhook needs 'check_id' and 'current_state'")
    status = _STATES.get(state.lower())
    if status is None:
        raise ParseError(f"unknown current_state {state!r}")
    name = text(body.get("check_name")) or f"check {check_id}"
    importance = text(body.get("importance_level"))
    target = first_text(dig(body, "check_params.full_url"), dig(body, "check_params.hostname"))
    when = parse_time(body.get("state_changed_timestamp")) \
        or parse_time(body.get("state_changed_utc_time"))
    description = first_text(body.get("long_description"), body.get("description")) or ""
    details = {key: value for key, value in (
        ("check_type", text(body.get("check_type"))),
        ("previous_state", text(body.get("previous_state"))),
        ("description", text(body.get("description"))),
        ("first_probe", text(dig(body, "first_probe.location"))),
        ("second_probe", text(dig(body, "second_probe.location"))),
        ("tags", join_texts(body.get("tags"))),
    ) if value}
    return [Report(
        source=NAME,
        title=f"{one_line(name, 150)} is {state.upper()}",
        description=description,
        status=status,
        severity=map_severity(importance, raw.options, SEVERITIES),
        raw_severity=importance,
        occurred_at=when or raw.received_at,
        ended_at=(when or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=f"check:{check_id}",
        service=name,
        resource=first_text(dig(body, "check_params.hostname"), target),
        event=text(body.get("check_type")),
        url=target if target and target.startswith("http") else None,
        details=details,
    )]
