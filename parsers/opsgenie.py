"""Opsgenie outgoing webhook integration (`action` + `alert` + `source`).

One report per call, keyed by the Opsgenie `alertId`, which stays the same from
Create to Close (a repeat of an open alert is deduplicated by Opsgenie itself
under its `alias`, which is kept in the details). Actions map to states:
Create, UnAcknowledge and Escalate fire, Acknowledge acknowledges, Close and
Delete resolve. Other actions (notes, tags, assignment, snooze…) change
nothing incidentd tracks and are ignored. Priority P1–P5 (also sent as 1–5)
maps P1/P2 → high, P3 → medium, P4/P5 → low.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    first_text,
    join_texts,
    load_object,
    map_severity,
    one_line,
    parse_time,
    text,
)
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "opsgenie"

SEVERITIES: Final[Mapping[str, Severity]] = {
    "p1": Severity.HIGH, "p2": Severity.HIGH, "p3": Severity.MEDIUM,
    "p4": Severity.LOW, "p5": Severity.LOW,
}
_ACTIONS: Final = {
    "create": ReportStatus.FIRING, "unacknowledge": ReportStatus.FIRING,
    "escalate": ReportStatus.FIRING, "escalatenext": ReportStatus.FIRING,
    "acknowledge": ReportStatus.ACKNOWLEDGED,
    "close": ReportStatus.RESOLVED, "delete": ReportStatus.RESOLVED,
}


def can_parse(raw: RawInput) -> bool:
    """Opsgenie bodies carry `action`, an `alert` with `alertId`, and `integrationId`."""
    body = raw.body
    return b'"alertId"' in body and b'"action"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Opsgenie webhook")
    alert = body.get("alert")
    if not isinstance(alert, Mapping):
        raise ParseError("no 'alert' object")
    alert_id = text(alert.get("alertId"))
    if alert_id is None:
        raise ParseError("the alert has no 'alertId'")
    action = text(body.get("action"))
    if action is None:
        raise ParseError("no 'action'")
    status = _ACTIONS.get(action.lower().replace("_", ""))
    if status is None:
        raise Ignored(f"Opsgenie action {action} does not change the alert's state",
                      {"alertId": alert_id, "action": action})
    priority = _priority(alert.get("priority"))
    labels = _details(alert.get("details"))  # the alert's extra properties
    details = {key: value for key, value in (
        ("alias", text(alert.get("alias"))), ("tinyId", text(alert.get("tinyId"))),
        ("action", action), ("source", text(alert.get("source"))),
        ("username", text(alert.get("username"))),
        ("integration", text(body.get("integrationName"))),
        ("tags", join_texts(alert.get("tags"))), ("teams", join_texts(alert.get("teams"))),
    ) if value}
    updated = parse_time(alert.get("updatedAt"))
    message = text(alert.get("message"))
    return [Report(
        source=NAME,
        title=one_line(message) or f"Opsgenie alert {text(alert.get('tinyId')) or alert_id}",
        description=first_text(alert.get("description"), message if message and len(
            message) > 200 else None) or "",
        status=status,
        severity=map_severity(priority, raw.options, SEVERITIES),
        raw_severity=priority,
        occurred_at=parse_time(alert.get("createdAt")) or raw.received_at,
        ended_at=(updated or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=alert_id,
        resource=text(alert.get("entity")),
        labels=labels,
        details=details,
    )]


def _priority(value: Any) -> str | None:
    """Opsgenie sends `P3`, older payloads the bare number 3."""
    word = text(value)
    if word is None:
        return None
    return f"P{word}" if word.isdigit() else word


def _details(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, item in value.items() if (v := text(item)) is not None}
