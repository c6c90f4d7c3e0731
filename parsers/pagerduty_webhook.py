"""PagerDuty outgoing webhooks: v3 (`event` envelope) and the deprecated v2 and v1.

Every version describes a PagerDuty *incident*; its id (`PRORDTY`) is the dedup
key, so trigger, acknowledge and resolve of one incident update one alert. The
status follows the event (trigger, acknowledge, unacknowledge, resolve, reopen)
and otherwise the incident's own (`triggered`, `acknowledged`, `resolved`).
Severity comes from the incident priority (`P1`…`P5`) when one is set, else from
its urgency (`high`/`low`), which is also passed on as the report's urgency.

- v3: `{"event": {"event_type", "resource_type", "occurred_at", "agent", "data"}}`.
  `pagey.ping` (the test button) is ignored, as are events about other resources
  (services…) and incident events whose `data` is not the incident itself
  (annotations, responder requests, status updates).
- v2: `{"messages": [{"event": "incident.trigger", "incident": {…}}]}`.
- v1: `{"messages": [{"type": "incident.trigger", "data": {"incident": {…}}}]}`.

A v1/v2 body may carry several messages; each becomes a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from parsers._common import (
    dig,
    first_text,
    load_object,
    map_severity,
    one_line,
    parse_time,
    text,
)
from parsers.report import Ignored, Level, ParseError, RawInput, Report, ReportStatus

NAME: Final = "pagerduty_webhook"

_STATUS: Final = {
    "triggered": ReportStatus.FIRING,
    "acknowledged": ReportStatus.ACKNOWLEDGED,
    "resolved": ReportStatus.RESOLVED,
}
# Event names to fall back on when an incident carries no status.
_EVENT_STATUS: Final = {
    "trigger": ReportStatus.FIRING, "triggered": ReportStatus.FIRING,
    "unacknowledge": ReportStatus.FIRING, "unacknowledged": ReportStatus.FIRING,
    "reopened": ReportStatus.FIRING,
    "acknowledge": ReportStatus.ACKNOWLEDGED, "acknowledged": ReportStatus.ACKNOWLEDGED,
    "resolve": ReportStatus.RESOLVED, "resolved": ReportStatus.RESOLVED,
}


def can_parse(raw: RawInput) -> bool:
    """v3 bodies have `event_type` + `resource_type`; v1/v2 a `messages` array of incidents."""
    body = raw.body
    if b'"event_type"' in body and b'"resource_type"' in body:
        return True
    return b'"messages"' in body and b'"incident' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the PagerDuty webhook")
    if isinstance(body.get("event"), Mapping):
        return [_v3(raw, body["event"])]
    messages = body.get("messages")
    if isinstance(messages, list):
        return _messages(raw, messages)
    raise ParseError("no 'event' object (webhook v3) or 'messages' array (v1/v2)")


# --- v3 -----------------------------------------------------------------------------------

def _v3(raw: RawInput, event: Mapping[str, Any]) -> Report:
    event_type = text(event.get("event_type"))
    if event_type is None:
        raise ParseError("event has no 'event_type'")
    if event_type == "pagey.ping":
        raise Ignored("PagerDuty webhook test (pagey.ping)", {"event_id": _str(event.get("id"))})
    resource_type = text(event.get("resource_type"))
    data = event.get("data")
    if resource_type != "incident":
        raise Ignored(f"PagerDuty {event_type} event is not about an incident",
                      {"event_type": event_type, "resource_type": resource_type or ""})
    if not isinstance(data, Mapping):
        raise ParseError(f"{event_type} event has no 'data' object")
    if text(data.get("type")) != "incident":
        raise Ignored(f"PagerDuty {event_type} event carries no incident state",
                      {"event_type": event_type,
                       "incident": _str(dig(data, "incident.id"))})
    agent = text(dig(event, "agent.summary"))
    return _incident(
        raw,
        data,
        event=event_type,
        when=parse_time(event.get("occurred_at")),
        title=text(data.get("title")),
        service=text(dig(data, "service.summary")),
        priority=text(dig(data, "priority.summary")),
        extra={"agent": agent, "event_id": text(event.get("id"))},
    )


# --- v1 and v2 ----------------------------------------------------------------------------

def _messages(raw: RawInput, messages: list[Any]) -> list[Report]:
    reports = []
    skipped = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise ParseError(f"messages[{index}] is not an object")
        event = text(message.get("event")) or text(message.get("type"))
        incident = message.get("incident")  # v2
        if not isinstance(incident, Mapping):
            incident = dig(message, "data.incident")  # v1
        if event is None or not event.startswith("incident") or not isinstance(incident,
                                                                                 Mapping):
            skipped.append(event or f"messages[{index}]")
            continue
        title = first_text(
            incident.get("title"),
            dig(incident, "trigger_summary_data.subject"),
            dig(incident, "trigger_summary_data.description"),
            incident.get("summary"),
        )
        reports.append(_incident(
            raw,
            incident,
            event=event,
            when=parse_time(message.get("created_on")),
            title=title,
            service=first_text(dig(incident, "service.name"), dig(incident, "service.summary")),
            priority=text(dig(incident, "priority.summary")),
            extra={"agent": _user(dig(incident, "last_status_change_by")),
                   "assigned_to": _user(incident.get("assigned_to_user")),
                   "resolved_by": _user(incident.get("resolved_by_user")),
                   "event_id": text(message.get("id"))},
        ))
    if not reports:
        if not messages:
            raise ParseError("'messages' is empty")
        raise Ignored("PagerDuty webhook holds no incident message",
                      {"events": ", ".join(skipped)})
    return reports


def _user(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return first_text(value.get("name"), value.get("summary"), value.get("email"))
    return None  # v1 sends the string "null" for nobody


# --- shared -------------------------------------------------------------------------------

def _incident(
    raw: RawInput,
    incident: Mapping[str, Any],
    *,
    event: str,
    when: datetime | None,
    title: str | None,
    service: str | None,
    priority: str | None,
    extra: Mapping[str, str | None],
) -> Report:
    incident_id = text(incident.get("id"))
    if incident_id is None:
        raise ParseError(f"{event}: the incident has no 'id'")
    status_word = (text(incident.get("status")) or "").lower()
    # The event names what happened; the incident's own status covers the rest
    # (assign, escalate, priority change…).
    status = _EVENT_STATUS.get(event.rsplit(".", 1)[-1]) or _STATUS.get(status_word)
    if status is None:
        raise ParseError(f"{event}: unknown incident status {status_word!r}")
    urgency_word = (text(incident.get("urgency")) or "").lower()
    raw_severity = priority or urgency_word or None
    number = text(incident.get("incident_number")) or text(incident.get("number"))
    created = parse_time(incident.get("created_at")) or parse_time(incident.get("created_on"))
    changed = parse_time(incident.get("last_status_change_at")) \
        or parse_time(incident.get("last_status_change_on")) or when
    details = {key: value for key, value in extra.items() if value}
    if number:
        details["incident_number"] = number
    incident_key = text(incident.get("incident_key"))
    if incident_key:
        details["incident_key"] = incident_key
    if priority:
        details["priority"] = priority
    description = first_text(incident.get("description"),
                             dig(incident, "trigger_summary_data.description")) or ""
    fallback = f"PagerDuty incident #{number}" if number else f"PagerDuty incident {incident_id}"
    short = one_line(title) or fallback
    return Report(
        source=NAME,
        title=short,
        description=description if description != short else "",
        status=status,
        severity=map_severity(raw_severity, raw.options),
        raw_severity=raw_severity,
        urgency=Level(urgency_word) if urgency_word in ("high", "low") else None,
        occurred_at=created or when or raw.received_at,
        ended_at=changed if status is ReportStatus.RESOLVED else None,
        dedup_key=incident_id,
        service=service,
        event=event,
        url=text(incident.get("html_url")),
        details=details,
    )


def _str(value: Any) -> str:
    return text(value) or ""
