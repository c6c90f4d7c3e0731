"""UptimeRobot webhook alert contacts.

UptimeRobot has no fixed body: the alert contact's "POST value (JSON)" is built
from its `*variables*`. This parser reads the names that mirror them:
`monitor_id` (*monitorID*), `monitor_url` (*monitorURL*),
`monitor_friendly_name` (*monitorFriendlyName*), `alert_type` (*alertType*:
1 down, 2 up, 3 SSL expiry), `alert_type_friendly_name`, `alert_details`,
`alert_duration` / `alert_friendly_duration` and `alert_datetime` (epoch
seconds). The dedup key is `monitor:<monitor_id>` (or the monitor URL when the
id is not sent). Values still holding an unreplaced `*variable*` are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from parsers._common import first_text, load_object, map_severity, one_line, parse_time, text
from parsers.report import ParseError, RawInput, Report, ReportStatus

NAME: Final = "uptimerobot"

_TYPES: Final = {
    "1": ("down", ReportStatus.FIRING), "down": ("down", ReportStatus.FIRING),
    "2": ("up", ReportStatus.RESOLVED), "up": ("up", ReportStatus.RESOLVED),
    "3": ("SSL certificate expiring", ReportStatus.FIRING),
}
_PLACEHOLDER = re.compile(r"^\*[A-Za-z]+\*$")


def can_parse(raw: RawInput) -> bool:
    """Bodies name `monitor_friendly_name` or `monitorFriendlyName` and an alert type."""
    body = raw.body
    return (b'"monitor_friendly_name"' in body or b'"monitorFriendlyName"' in body) \
        and (b'"alert_type"' in body or b'"alertType"' in body)


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the UptimeRobot webhook")

    def field(*names: str) -> str | None:
        return first_text(*(_value(body, name) for name in names))

    name = field("monitor_friendly_name", "monitorFriendlyName")
    url = field("monitor_url", "monitorURL")
    if name is None and url is None:
        raise ParseError("no monitor_friendly_name or monitor_url")
    code = field("alert_type", "alertType") or ""
    found = _TYPES.get(code.lower()) or _TYPES.get(
        (field("alert_type_friendly_name", "alertTypeFriendlyName") or "").lower())
    if found is None:
        raise ParseError(f"unknown alert_type {code!r}; expected 1 (down) or 2 (up)")
    word, status = found
    monitor_id = field("monitor_id", "monitorID")
    subject = name or url or ""
    when = parse_time(field("alert_datetime", "alertDateTime"))
    details = {key: value for key, value in (
        ("alert_type", field("alert_type_friendly_name", "alertTypeFriendlyName")),
        ("duration", field("alert_friendly_duration", "alertFriendlyDuration",
                           "alert_duration", "alertDuration")),
        ("monitor_id", monitor_id),
    ) if value}
    key = f"monitor:{monitor_id}" if monitor_id else f"monitor:{url or name}"
    if code == "3":
        key += "/ssl"
    return [Report(
        source=NAME,
        title=f"{one_line(subject, 150)} is {word}" if code != "3"
        else f"{one_line(subject, 150)}: {word}",
        description=field("alert_details", "alertDetails") or "",
        status=status,
        severity=map_severity(word, raw.options),
        occurred_at=when or raw.received_at,
        ended_at=(when or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=key,
        service=name,
        resource=url,
        event=word,
        url=url if url and url.startswith("http") else None,
        details=details,
    )]


def _value(body: Mapping[str, Any], name: str) -> str | None:
    value = text(body.get(name))
    if value is None or _PLACEHOLDER.match(value):
        return None
    return value
