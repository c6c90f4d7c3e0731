"""Google Cloud Monitoring (formerly Stackdriver) webhook notification channels.

Bodies are `{"version": "1.1" | "1.2", "incident": {…}}`. The incident's
`incident_id` is the dedup key (Google keeps it from `open` to `closed`);
`state` open fires, closed resolves (acknowledged is read too). The title is the
policy name with the condition name when they differ; the group key is the
alerting policy, so several open incidents of one policy share an incident
here. Severity comes from the policy's user-set `severity` (CRITICAL, ERROR,
WARNING) when the payload has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    dig,
    first_text,
    flatten,
    load_object,
    map_severity,
    one_line,
    parse_time,
    text,
)
from parsers.report import ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "google_cloud_monitoring"

SEVERITIES: Final[Mapping[str, Severity]] = {
    "critical": Severity.HIGH, "error": Severity.HIGH, "warning": Severity.MEDIUM,
}
_STATE: Final = {
    "open": ReportStatus.FIRING,
    "acknowledged": ReportStatus.ACKNOWLEDGED,
    "closed": ReportStatus.RESOLVED,
}


def can_parse(raw: RawInput) -> bool:
    """An `incident` object with `incident_id` and `policy_name`."""
    body = raw.body
    return b'"incident"' in body and b'"incident_id"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Cloud Monitoring notification")
    incident = body.get("incident")
    if not isinstance(incident, Mapping):
        raise ParseError("no 'incident' object")
    incident_id = text(incident.get("incident_id"))
    if incident_id is None:
        raise ParseError("the incident has no 'incident_id'")
    summary = text(incident.get("summary"))
    word = (text(incident.get("state")) or "").lower()
    status = _STATE.get(word)
    if status is None:
        raise ParseError(f"unknown incident state {word!r}")
    policy = text(incident.get("policy_name"))
    condition = first_text(incident.get("condition_name"),
                           dig(incident, "condition.displayName"))
    if policy and condition and condition != policy:
        title = f"{policy}: {condition}"
    else:
        title = policy or condition or summary or f"Incident {incident_id}"
    raw_severity = text(incident.get("severity"))
    if raw_severity and raw_severity.lower() == "no severity":
        raw_severity = None
    resource_labels = flatten(dig(incident, "resource.labels"))
    labels = {f"resource.{k}": v for k, v in resource_labels.items()}
    labels.update({f"metric.{k}": v for k, v in flatten(dig(incident, "metric.labels")).items()})
    labels.update(flatten(dig(incident, "metadata.user_labels")))
    labels.update({f"system.{k}": v
                   for k, v in flatten(dig(incident, "metadata.system_labels")).items()})
    details = {key: value for key in ("observed_value", "threshold_value",
                                      "resource_type_display_name", "scoping_project_id")
               if (value := text(incident.get(key))) is not None}
    metric = first_text(dig(incident, "metric.displayName"), dig(incident, "metric.type"))
    if metric:
        details["metric"] = metric
    documentation = first_text(dig(incident, "documentation.content"))
    if documentation:
        details["documentation"] = documentation
    ended = parse_time(incident.get("ended_at"))
    return [Report(
        source=NAME,
        title=one_line(title) or title,
        description=summary or "",
        status=status,
        severity=map_severity(raw_severity, raw.options, SEVERITIES),
        raw_severity=raw_severity,
        occurred_at=parse_time(incident.get("started_at")) or raw.received_at,
        ended_at=(ended or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=incident_id,
        group_key=_policy_key(incident, policy),
        service=first_text(incident.get("resource_type_display_name"),
                           dig(incident, "resource.type")),
        resource=first_text(incident.get("resource_name"), incident.get("resource_id"))
        or None,
        event=condition,
        url=text(incident.get("url")),
        labels=labels,
        details=details,
    )]


def _policy_key(incident: Mapping[str, Any], policy: str | None) -> str | None:
    """`projects/p/alertPolicies/123` from the condition name, else the policy's name."""
    name = text(dig(incident, "condition.name"))
    if name and "/conditions/" in name:
        return name.split("/conditions/", 1)[0]
    return f"policy:{policy}" if policy else None
