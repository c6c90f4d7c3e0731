"""Kapacitor alert node `.post()` / HTTP post handler bodies.

Kapacitor posts `{id, message, details, time, duration, level, previousLevel,
data}`. `id` (the alert id, `{{ .ID }}`) is the dedup key; `level` CRITICAL
/ WARNING / INFO fire with that severity and OK resolves. Bodies without a
level (hand-made or from older handlers) fire with no severity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import first_text, load_object, map_severity, one_line, parse_time, text
from parsers.report import ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "kapacitor"

SEVERITIES: Final[Mapping[str, Severity]] = {
    "critical": Severity.HIGH, "warning": Severity.MEDIUM, "info": Severity.LOW,
}


def can_parse(raw: RawInput) -> bool:
    """Kapacitor bodies carry `id`, `message` and usually `level`/`previousLevel`."""
    body = raw.body
    return b'"id"' in body and b'"message"' in body and (
        b'"previousLevel"' in body or b'"level"' in body or b'"data"' in body)


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Kapacitor alert")
    alert_id = text(body.get("id"))
    message = text(body.get("message"))
    if alert_id is None and message is None:
        raise ParseError("a Kapacitor alert needs an 'id' or a 'message'")
    level = text(body.get("level"))
    status = ReportStatus.RESOLVED if level and level.upper() == "OK" else ReportStatus.FIRING
    tags = _series_tags(body.get("data"))
    details = {key: value for key, value in (
        ("previousLevel", text(body.get("previousLevel"))),
        ("duration", text(body.get("duration"))),
        ("data", text(body.get("data"))),  # some handlers send the data as text
    ) if value}
    when = parse_time(body.get("time"))
    title = one_line(first_text(message, alert_id)) or "Kapacitor alert"
    description = first_text(body.get("details"), message) or ""
    return [Report(
        source=NAME,
        title=title,
        description=description if description != title else "",
        status=status,
        severity=map_severity(level, raw.options, SEVERITIES)
        if status is ReportStatus.FIRING else None,
        raw_severity=level,
        occurred_at=when or raw.received_at,
        ended_at=(when or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=alert_id or message,
        service=tags.get("service"),
        resource=tags.get("host"),
        event=alert_id,
        labels=tags,
        details=details,
    )]


def _series_tags(data: Any) -> dict[str, str]:
    """The tags of the first series in `data.series` (Kapacitor's InfluxQL result)."""
    if not isinstance(data, Mapping):
        return {}
    series = data.get("series")
    if not isinstance(series, list) or not series or not isinstance(series[0], Mapping):
        return {}
    tags = series[0].get("tags")
    if not isinstance(tags, Mapping):
        return {}
    return {str(k): v for k, item in tags.items() if (v := text(item)) is not None}
