"""New Relic alert webhooks: Workflows (current) and the legacy alert channel.

Workflows post a user-editable template; the default one carries `id` (the
issue id), `issueUrl`, `title`, `priority` (CRITICAL, HIGH, MEDIUM, LOW),
`state` (CREATED, ACTIVATED, ACKNOWLEDGED, CLOSED), `trigger`,
`impactedEntities`, `alertPolicyNames`, `alertConditionNames`, `createdAt`,
`updatedAt` (epoch ms). The issue id is the dedup key: New Relic keeps one
issue from creation to close.

The legacy webhook channel (payload `version` 1.0) carries `incident_id`,
`current_state` (open, acknowledged, closed), `severity` (CRITICAL, WARNING,
INFO), `policy_name`, `condition_name`, `details`, `incident_url` and
`timestamp`; it is keyed `incident:<incident_id>`. Its "Send test notification"
uses incident id 0 and is ignored.

Custom templates that mix both vocabularies are read field by field.
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

NAME: Final = "newrelic"

# Workflow priorities and legacy channel severities.
SEVERITIES: Final[Mapping[str, Severity]] = {
    "critical": Severity.HIGH, "high": Severity.HIGH, "medium": Severity.MEDIUM,
    "warning": Severity.MEDIUM, "low": Severity.LOW, "info": Severity.LOW,
}

_STATES: Final = {
    "created": ReportStatus.FIRING, "activated": ReportStatus.FIRING,
    "open": ReportStatus.FIRING,
    "acknowledged": ReportStatus.ACKNOWLEDGED,
    "closed": ReportStatus.RESOLVED, "resolved": ReportStatus.RESOLVED,
}


def can_parse(raw: RawInput) -> bool:
    """Workflow bodies have `issueUrl`; legacy ones `incident_id` and `current_state`."""
    body = raw.body
    return b'"issueUrl"' in body or (b'"incident_id"' in body and b'"current_state"' in body) \
        or b'"alertPolicyNames"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the New Relic webhook")
    incident_id = text(body.get("incident_id"))
    issue_id = text(body.get("id")) if ("issueUrl" in body or "alertPolicyNames" in body) \
        else None
    if issue_id is None and incident_id is None:
        raise ParseError("no issue 'id' (workflow) or 'incident_id' (legacy channel)")
    if issue_id is None and incident_id == "0":
        raise Ignored("New Relic test notification",
                      {"policy_name": text(body.get("policy_name")) or ""})
    word = first_text(body.get("state"), body.get("current_state"))
    status = _STATES.get((word or "").lower())
    if status is None:
        raise ParseError(f"unknown state {word!r}")
    policies = _names(body.get("alertPolicyNames")) or text(body.get("policy_name"))
    conditions = _names(body.get("alertConditionNames")) or text(body.get("condition_name"))
    entities = _names(body.get("impactedEntities")) or _targets(body.get("targets"))
    title = first_text(body.get("title"), conditions, policies) or "New Relic alert"
    raw_severity = first_text(body.get("priority"), body.get("severity"))
    details = {key: value for key, value in (
        ("policy", policies), ("condition", conditions), ("trigger", text(body.get("trigger"))),
        ("workflow", text(body.get("workflowName"))), ("runbook_url",
                                                        text(body.get("runbook_url"))),
        ("account", text(body.get("account_name"))),
        ("incident_id", incident_id if issue_id else None),
        ("acknowledge_url", text(body.get("incident_acknowledge_url"))),
    ) if value}
    created = parse_time(body.get("createdAt")) or parse_time(body.get("timestamp"))
    updated = parse_time(body.get("updatedAt"))
    return [Report(
        source=NAME,
        title=one_line(title) or title,
        description=text(body.get("details")) or "",
        status=status,
        severity=map_severity(raw_severity, raw.options, SEVERITIES),
        raw_severity=raw_severity,
        occurred_at=created or raw.received_at,
        ended_at=(updated or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=issue_id or f"incident:{incident_id}",
        resource=entities,
        event=conditions,
        url=first_text(body.get("issueUrl"), body.get("incident_url")),
        details=details,
    )]


def _names(value: Any) -> str | None:
    return join_texts(value) if isinstance(value, list) else text(value)


def _targets(value: Any) -> str | None:
    if not isinstance(value, list):
        return None
    names = [name for item in value if isinstance(item, Mapping)
             and (name := first_text(item.get("name"), item.get("id")))]
    return ", ".join(names) or None
