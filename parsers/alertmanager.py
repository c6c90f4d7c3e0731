"""Prometheus Alertmanager webhook notifications (webhook versions 0 to 4).

One report per alert. A notification can mix firing and resolved alerts, so the
status is read per alert, falling back to the notification's own status. The
alert fingerprint (or, for old versions without one, a hash of its labels) is
the dedup key; the notification's `groupKey` is the group key, so the alerts of
one Alertmanager group land on one incident.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from parsers._common import load_json, map_severity, parse_time, require_object, string_map, text
from parsers.report import ParseError, RawInput, Report, ReportStatus

NAME: Final = "alertmanager"

_STATUS = {"firing": ReportStatus.FIRING, "resolved": ReportStatus.RESOLVED}
_SEVERITY_LABELS = ("severity", "priority", "level")


def can_parse(raw: RawInput) -> bool:
    """Alertmanager bodies carry an `alerts` array and usually `groupKey`/`receiver`."""
    return b'"alerts"' in raw.body and (b'"receiver"' in raw.body or b'"groupKey"' in raw.body)


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = require_object(load_json(raw), "the notification")
    alerts = body.get("alerts")
    if alerts is None and "labels" in body:
        alerts = [body]  # a bare alert object, as some relays forward them one by one
        body = {}
    if not isinstance(alerts, list) or not alerts:
        raise ParseError("no 'alerts' array in the notification")
    group_key = text(body.get("groupKey"))
    common_labels = string_map(body.get("commonLabels"))
    notification_status = text(body.get("status"))
    reports = []
    for index, alert in enumerate(alerts):
        if not isinstance(alert, Mapping):
            raise ParseError(f"alerts[{index}] is not an object")
        reports.append(_report(raw, alert, notification_status, group_key, common_labels))
    return reports


def _report(
    raw: RawInput,
    alert: Mapping[str, Any],
    notification_status: str | None,
    group_key: str | None,
    common_labels: Mapping[str, str],
) -> Report:
    labels = string_map(alert.get("labels"))
    annotations = string_map(alert.get("annotations"))
    status_word = (text(alert.get("status")) or notification_status or "firing").lower()
    status = _STATUS.get(status_word)
    if status is None:
        raise ParseError(f"unknown alert status {status_word!r}")
    ends_at = parse_time(alert.get("endsAt"))
    if "status" not in alert and notification_status is None and ends_at is not None \
            and ends_at <= raw.received_at:
        status = ReportStatus.RESOLVED  # no status anywhere: an end in the past means resolved
    alertname = labels.get("alertname")
    title = (annotations.get("summary") or labels.get("summary") or alertname
             or annotations.get("description") or "Alertmanager alert")
    raw_severity = next((labels[k] for k in _SEVERITY_LABELS if labels.get(k)), None)
    fingerprint = text(alert.get("fingerprint")) or _label_hash(labels)
    return Report(
        source=NAME,
        title=title,
        description=annotations.get("description") or annotations.get("message") or "",
        status=status,
        severity=map_severity(raw_severity, raw.options),
        raw_severity=raw_severity,
        occurred_at=parse_time(alert.get("startsAt")) or raw.received_at,
        ended_at=ends_at if status is ReportStatus.RESOLVED else None,
        dedup_key=fingerprint,
        group_key=group_key or _group_from_common(common_labels) or fingerprint,
        service=labels.get("service") or labels.get("job"),
        resource=labels.get("instance") or labels.get("pod") or labels.get("host"),
        event=alertname,
        environment=labels.get("env") or labels.get("environment"),
        url=text(alert.get("generatorURL")),
        labels=labels,
        details=annotations,
    )


def _label_hash(labels: Mapping[str, str]) -> str:
    """Stand-in fingerprint for versions that send none: stable over label order."""
    canonical = "\x00".join(f"{k}\x01{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _group_from_common(common_labels: Mapping[str, str]) -> str | None:
    if not common_labels:
        return None
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(common_labels.items())) + "}"
