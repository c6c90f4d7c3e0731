"""VMware vRealize Operations (Aria Operations) REST notification plugin.

The plugin posts one alert: `alertId`, `alertName`, `status` (ACTIVE, UPDATED,
CANCELED), `criticality` (ALERT_CRITICALITY_LEVEL_CRITICAL / IMMEDIATE /
WARNING / INFO), `type`, `subType`, `resourceId`, `resourceName`,
`resourceKind`, `adapterKind`, `info`, `startDate`, `updateDate`, `cancelDate`
(epoch ms). `alertId` is the dedup key; CANCELED resolves. Without an
`alertName` the title is built from the alert sub-type and the resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from parsers._common import first_text, load_object, map_severity, one_line, parse_time, text
from parsers.report import ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "vmware_vrealize"

SEVERITIES: Final[Mapping[str, Severity]] = {
    "critical": Severity.HIGH, "immediate": Severity.HIGH,
    "warning": Severity.MEDIUM, "info": Severity.LOW,
}
_STATUS: Final = {
    "active": ReportStatus.FIRING, "updated": ReportStatus.FIRING,
    "new": ReportStatus.FIRING,
    "canceled": ReportStatus.RESOLVED, "cancelled": ReportStatus.RESOLVED,
}


def can_parse(raw: RawInput) -> bool:
    """VROps bodies carry `alertId`, `criticality` and `resourceKind`."""
    body = raw.body
    return b'"criticality"' in body and b'"alertId"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the vRealize Operations alert")
    alert_id = text(body.get("alertId"))
    if alert_id is None:
        raise ParseError("no 'alertId' in the vRealize Operations alert")
    word = (text(body.get("status")) or "").lower()
    status = _STATUS.get(word)
    if status is None:
        raise ParseError(f"unknown alert status {word!r}")
    criticality = text(body.get("criticality"))
    level = criticality.removeprefix("ALERT_CRITICALITY_LEVEL_") if criticality else None
    resource = text(body.get("resourceName"))
    kind = _words(text(body.get("subType")), "ALERT_SUBTYPE_") \
        or _words(text(body.get("type")), "ALERT_TYPE_")
    title = first_text(body.get("alertName"),
                       f"{kind} on {resource}" if kind and resource else kind or resource) \
        or f"vRealize alert {alert_id}"
    details = {key: value for key, value in (
        ("type", text(body.get("type"))), ("subType", text(body.get("subType"))),
        ("resourceId", text(body.get("resourceId"))),
        ("resourceKind", text(body.get("resourceKind"))),
        ("adapterKind", text(body.get("adapterKind"))),
        ("criticality", criticality),
    ) if value}
    return [Report(
        source=NAME,
        title=one_line(title) or title,
        description=text(body.get("info")) or "",
        status=status,
        severity=map_severity(level, raw.options, SEVERITIES),
        raw_severity=criticality,
        occurred_at=parse_time(body.get("startDate")) or raw.received_at,
        ended_at=(parse_time(body.get("cancelDate")) or raw.received_at)
        if status is ReportStatus.RESOLVED else None,
        dedup_key=alert_id,
        service=text(body.get("adapterKind")),
        resource=resource,
        event=kind,
        details=details,
    )]


def _words(value: str | None, prefix: str) -> str | None:
    """`ALERT_SUBTYPE_AVAILABILITY_PROBLEM` → `Availability problem`."""
    if value is None:
        return None
    words = value.removeprefix(prefix).replace("_", " ").strip().lower()
    return words.capitalize() or None
