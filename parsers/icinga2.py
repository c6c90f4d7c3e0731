"""Icinga 2 API event stream events (`/v1/events`), forwarded one JSON object per POST.

Handled event types:

- `StateChange`: the state of a host (0 UP, 1 DOWN) or service (0 OK,
  1 WARNING, 2 CRITICAL, 3 UNKNOWN) changed. OK/UP resolves; problem states
  fire once they are HARD (`state_type` 1). SOFT problem states are still being
  rechecked by Icinga and are ignored.
- `Notification`: Icinga sent a notification (`notification_type` PROBLEM,
  RECOVERY, ACKNOWLEDGEMENT, CUSTOM…); its `check_result` gives the state.
- `AcknowledgementSet`: acknowledged.

Other types (CheckResult, AcknowledgementCleared, CommentAdded, Downtime…) are
ignored. The dedup key is Icinga's object name: `host` or `host!service`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    as_object,
    first_text,
    join_texts,
    load_object,
    map_severity,
    one_line,
    parse_time,
    text,
)
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "icinga2"

SEVERITIES: Final[Mapping[str, Severity]] = {
    "critical": Severity.HIGH, "down": Severity.HIGH,
    "warning": Severity.MEDIUM, "unknown": Severity.MEDIUM,
}
_SERVICE_STATES: Final = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
_HOST_STATES: Final = ("UP", "DOWN")
_STATE_TYPES: Final[Mapping[int | None, str]] = {0: "SOFT", 1: "HARD"}
_NOTIFICATION_TYPES: Final = {
    "problem": ReportStatus.FIRING, "custom": ReportStatus.FIRING,
    "recovery": ReportStatus.RESOLVED,
    "acknowledgement": ReportStatus.ACKNOWLEDGED,
}


def can_parse(raw: RawInput) -> bool:
    """Event-stream objects carry `type` and `host`, usually a `check_result`."""
    body = raw.body
    return b'"host"' in body and (b'"StateChange"' in body or b'"Notification"' in body
                                  or b'"AcknowledgementSet"' in body)


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Icinga 2 event")
    kind = text(body.get("type"))
    host = text(body.get("host"))
    if kind is None or host is None:
        raise ParseError("an Icinga 2 event needs 'type' and 'host'")
    service = text(body.get("service"))
    name = f"{host}!{service}" if service else host
    result = as_object(body.get("check_result"))
    if kind == "StateChange":
        state = _state_name(body.get("state"), service)
        hard = _number(body.get("state_type")) == 1
        if state in ("OK", "UP"):
            status = ReportStatus.RESOLVED
        elif not hard:
            raise Ignored(f"Icinga 2 SOFT {state} state (not confirmed yet)", {"object": name})
        else:
            status = ReportStatus.FIRING
    elif kind == "Notification":
        word = (text(body.get("notification_type")) or "").lower()
        found = _NOTIFICATION_TYPES.get(word)
        if found is None:
            raise Ignored(f"Icinga 2 {word.upper() or 'unknown'} notification",
                          {"object": name})
        status = found
        state = _state_name(result.get("state"), service)
    elif kind == "AcknowledgementSet":
        status = ReportStatus.ACKNOWLEDGED
        state = _state_name(body.get("state"), service)
    else:
        raise Ignored(f"Icinga 2 {kind} event carries no state change", {"object": name})
    output = text(result.get("output")) or ""
    subject = f"{service} on {host}" if service else host
    title = f"{subject} is {state}" if state else subject
    when = parse_time(body.get("timestamp")) or parse_time(result.get("execution_end"))
    details = {key: value for key, value in (
        ("state_type", _STATE_TYPES.get(_number(body.get("state_type")))),
        ("check_source", text(result.get("check_source"))),
        ("author", text(body.get("author"))), ("comment", text(body.get("text"))),
        ("users", join_texts(body.get("users"))),
        ("performance_data", join_texts(result.get("performance_data"), "; ")),
    ) if value}
    severity = None
    if state and state not in ("OK", "UP"):
        severity = map_severity(state, raw.options, SEVERITIES)
    return [Report(
        source=NAME,
        title=one_line(title) or title,
        description=output,
        status=status,
        severity=severity,
        raw_severity=state,
        occurred_at=when or raw.received_at,
        ended_at=(when or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=name,
        service=service,
        resource=host,
        event=first_text(service, "host state"),
        details=details,
    )]


def _number(value: Any) -> int | None:
    """Icinga sends states as floats (`2.0`)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError):  # words, NaN, infinities
        return None


def _state_name(value: Any, service: str | None) -> str | None:
    number = _number(value)
    names = _SERVICE_STATES if service else _HOST_STATES
    if number is None:
        return None
    if 0 <= number < len(names):
        return names[number]
    if not service and number == 2:  # hosts map UNREACHABLE onto DOWN in some versions
        return "DOWN"
    return str(number)
