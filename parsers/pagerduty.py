"""PagerDuty Events API bodies: point a sender that speaks PagerDuty at incidentd.

Events API v2 (`POST /v2/enqueue`): `event_action` trigger / acknowledge /
resolve, `dedup_key`, and for triggers a `payload` with `summary`, `severity`
(critical, error, warning, info), `source`, `component`, `group`, `class`,
`timestamp` and `custom_details`. The `dedup_key` is the dedup key, so an
acknowledge or resolve lands on the alert its trigger opened. A trigger without
one takes the `default_dedup_key` option when there is one (the key incidentd's
`/v2/enqueue` made up and answered with, as PagerDuty does), else it gets no key
(every such trigger is a new alert, as it is at PagerDuty).

Events API v1 (`service_key`, `event_type`, `incident_key`, `description`,
`details`) is read the same way. Change events (`/v2/change/enqueue`: a
`payload` but no `event_action`) record deployments, not problems; they are
ignored. The `routing_key`/`service_key` is a credential and is never copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    first_text,
    flatten,
    load_object,
    map_severity,
    one_line,
    parse_time,
    text,
)
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "pagerduty"

# PagerDuty's own reading: critical and error page (high urgency), warning and info don't.
SEVERITIES: Final[Mapping[str, Severity]] = {
    "critical": Severity.HIGH, "error": Severity.HIGH,
    "warning": Severity.MEDIUM, "info": Severity.LOW,
}
_ACTIONS: Final = {
    "trigger": ReportStatus.FIRING,
    "acknowledge": ReportStatus.ACKNOWLEDGED,
    "resolve": ReportStatus.RESOLVED,
}
_PAST: Final = {ReportStatus.ACKNOWLEDGED: "acknowledged", ReportStatus.RESOLVED: "resolved",
                ReportStatus.FIRING: "triggered"}


def can_parse(raw: RawInput) -> bool:
    """Events v2 bodies carry `routing_key`/`event_action`; v1 ones `service_key`."""
    body = raw.body
    return (b'"event_action"' in body or b'"routing_key"' in body
            or (b'"service_key"' in body and b'"event_type"' in body))


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the PagerDuty event")
    if "event_action" in body:
        return [_v2(raw, body)]
    if "event_type" in body and ("service_key" in body or "incident_key" in body):
        return [_v1(raw, body)]
    if "routing_key" in body and isinstance(body.get("payload"), Mapping):
        payload = body["payload"]
        raise Ignored("PagerDuty change event (a deployment or config change, not a problem)",
                      {"summary": text(payload.get("summary")) or "",
                       "source": text(payload.get("source")) or ""})
    raise ParseError("no 'event_action' (Events API v2) or 'event_type' (v1) in the body")


def _status(word: Any, field: str) -> ReportStatus:
    action = (text(word) or "").lower()
    status = _ACTIONS.get(action)
    if status is None:
        raise ParseError(f"unknown {field} {action!r}; expected trigger, acknowledge or resolve")
    return status


def _v2(raw: RawInput, body: Mapping[str, Any]) -> Report:
    status = _status(body.get("event_action"), "event_action")
    dedup_key = text(body.get("dedup_key")) or text(raw.options.get("default_dedup_key"))
    payload = body.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise ParseError("'payload' is not an object")
    if status is ReportStatus.FIRING and not payload:
        raise ParseError("a trigger event needs a 'payload' with a 'summary'")
    if status is not ReportStatus.FIRING and dedup_key is None:
        raise ParseError(f"{_PAST[status]} event without a 'dedup_key': nothing to update")
    summary = one_line(payload.get("summary"))
    raw_severity = text(payload.get("severity"))
    labels = {key: value for key in ("component", "group", "class")
              if (value := text(payload.get(key))) is not None}
    details = flatten(payload.get("custom_details"))
    for key in ("client", "client_url"):
        value = text(body.get(key))
        if value is not None:
            details[key] = value
    full_summary = text(payload.get("summary")) or ""
    return Report(
        source=NAME,
        title=summary or f"PagerDuty alert {dedup_key} {_PAST[status]}",
        description=full_summary if full_summary != summary else "",
        status=status,
        severity=map_severity(raw_severity, raw.options, SEVERITIES),
        raw_severity=raw_severity,
        occurred_at=parse_time(payload.get("timestamp")) or raw.received_at,
        dedup_key=dedup_key,
        service=labels.get("component"),
        resource=text(payload.get("source")),
        event=labels.get("class"),
        url=first_text(_first_link(body.get("links")), body.get("client_url")),
        labels=labels,
        details=details,
    )


def _v1(raw: RawInput, body: Mapping[str, Any]) -> Report:
    status = _status(body.get("event_type"), "event_type")
    incident_key = text(body.get("incident_key"))
    if status is not ReportStatus.FIRING and incident_key is None:
        raise ParseError(f"{_PAST[status]} event without an 'incident_key': nothing to update")
    description = text(body.get("description"))
    if status is ReportStatus.FIRING and description is None:
        raise ParseError("a trigger event needs a 'description'")
    details = flatten(body.get("details"))
    for key in ("client", "client_url"):
        value = text(body.get(key))
        if value is not None:
            details[key] = value
    return Report(
        source=NAME,
        title=one_line(description) or f"PagerDuty alert {incident_key} {_PAST[status]}",
        description=description if description and description != one_line(description)
        else "",
        status=status,
        occurred_at=raw.received_at,  # v1 events carry no time
        dedup_key=incident_key,
        url=first_text(_first_link(body.get("contexts")), body.get("client_url")),
        details=details,
    )


def _first_link(links: Any) -> str | None:
    if isinstance(links, list):
        for link in links:
            if isinstance(link, Mapping) and text(link.get("href")):
                return text(link.get("href"))
    return None
