"""Dynatrace problem notifications from a custom integration (webhook) template.

The body is whatever the template makes of Dynatrace's placeholders; the
default template and most custom ones use the placeholder names as keys:
`State` (OPEN, RESOLVED, MERGED), `PID` (internal problem id), `ProblemID`
(display id), `ProblemTitle`, `ProblemURL`, `ProblemSeverity` (AVAILABILITY,
ERROR, PERFORMANCE, RESOURCE_CONTENTION, CUSTOM_ALERT, MONITORING_UNAVAILABLE,
INFO), `ProblemImpact`, `ImpactedEntity`, `ImpactedEntities`, `Tags` (comma
separated) and `ProblemDetails` (text or the JSON object of
{ProblemDetailsJSON}). A CloudEvents wrapper (`specversion`, `data`) is unwrapped.

`PID` is the dedup key, so the RESOLVED notification meets its OPEN one; a
MERGED problem resolves (it lives on in another problem). "Send test
notification" (title "Dynatrace problem notification test run") is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    as_object,
    dig,
    first_text,
    load_object,
    map_severity,
    one_line,
    parse_time,
    split_tags,
    text,
)
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "dynatrace"

SEVERITIES: Final[Mapping[str, Severity]] = {
    "availability": Severity.HIGH, "error": Severity.HIGH,
    "performance": Severity.MEDIUM, "resource_contention": Severity.MEDIUM,
    "custom_alert": Severity.MEDIUM, "monitoring_unavailable": Severity.MEDIUM,
    "info": Severity.LOW,
}
_STATES: Final = {
    "open": ReportStatus.FIRING,
    "resolved": ReportStatus.RESOLVED, "closed": ReportStatus.RESOLVED,
    "merged": ReportStatus.RESOLVED,
}
_TEST_TITLE: Final = "Dynatrace problem notification test run"


def can_parse(raw: RawInput) -> bool:
    """Template bodies name `ProblemID`/`PID` and `ProblemTitle`."""
    body = raw.body
    return (b'"ProblemID"' in body or b'"PID"' in body) and b'"ProblemTitle"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Dynatrace notification")
    cloud_event: Mapping[str, Any] = {}
    if "specversion" in body and isinstance(body.get("data"), Mapping):
        cloud_event, body = body, body["data"]
    title = text(body.get("ProblemTitle"))
    pid = _value(body.get("PID"))
    problem_id = _value(body.get("ProblemID"))
    if title is None or (pid is None and problem_id is None):
        raise ParseError("expected 'ProblemTitle' and 'PID' or 'ProblemID'")
    if title == _TEST_TITLE or problem_id == "TESTID":
        raise Ignored("Dynatrace test notification", {"ProblemID": problem_id or ""})
    word = (text(body.get("State")) or "").lower()
    status = _STATES.get(word)
    if status is None:
        raise ParseError(f"unknown problem State {word!r}")
    details_value = body.get("ProblemDetails")
    problem = as_object(details_value)
    raw_severity = first_text(_value(body.get("ProblemSeverity")), problem.get("severityLevel"))
    impact = first_text(_value(body.get("ProblemImpact")), problem.get("impactLevel"))
    entities = _entities(body.get("ImpactedEntities"))
    labels, bare_tags = split_tags(_value(body.get("Tags")))
    labels.update({k: v for k, v in (
        ("keptn_project", text(body.get("KeptnProject"))),
        ("keptn_stage", text(body.get("KeptnStage"))),
        ("keptn_service", text(body.get("KeptnService"))),
    ) if v})
    details = {key: value for key, value in (
        ("ProblemID", problem_id), ("PID", pid), ("impact", impact),
        ("ImpactedEntity", text(body.get("ImpactedEntity"))),
        ("ImpactedEntities", ", ".join(entities) or None),
        ("tags", ", ".join(bare_tags) or None),
        ("cloudevent_id", text(cloud_event.get("id"))),
    ) if value}
    description = first_text(details_value if isinstance(details_value, str) else None,
                             body.get("ImpactedEntity")) or ""
    started = parse_time(problem.get("startTime")) or parse_time(cloud_event.get("time"))
    ended = parse_time(problem.get("endTime"))
    return [Report(
        source=NAME,
        title=one_line(title) or title,
        description=description,
        status=status,
        severity=map_severity(raw_severity, raw.options, SEVERITIES),
        raw_severity=raw_severity,
        occurred_at=started or raw.received_at,
        ended_at=(ended or parse_time(cloud_event.get("time")) or raw.received_at)
        if status is ReportStatus.RESOLVED else None,
        dedup_key=pid or problem_id,
        service=text(body.get("KeptnService")),
        resource=entities[0] if entities else None,
        event=first_text(dig(problem, "rankedEvents.0.eventType")),
        environment=text(body.get("KeptnStage")),
        url=_value(body.get("ProblemURL")),
        labels=labels,
        details=details,
    )]


def _value(value: Any) -> str | None:
    """Text, unless it is an unreplaced `{Placeholder}` (test notifications leave some)."""
    result = text(value)
    if result and result.startswith("{") and result.endswith("}") and " " not in result:
        return None
    return result


def _entities(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [name for item in value if isinstance(item, Mapping)
            and (name := first_text(item.get("name"), item.get("entity")))]
