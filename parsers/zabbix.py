"""Zabbix webhook media types.

Zabbix has no fixed webhook body: a media type's script (or its JSON
parameters) builds it from macros. This parser reads the field names the common
media types use, so a user-written one needs only to pick from them:

- title: `trigger`, `trigger_name`, `event_name`, `name`, `subject` or `title`
  ({TRIGGER.NAME} / {EVENT.NAME});
- status: `status`, `event_status`, `trigger_status`, `state` or `event_value`
  (PROBLEM / OK / RESOLVED, or {EVENT.VALUE} 1 / 0);
- severity: `severity`, `event_severity`, `trigger_severity` or `event_nseverity`
  ({EVENT.SEVERITY} names or {EVENT.NSEVERITY} 0–5);
- dedup key: `trigger_id` / `triggerid` (or `triggerid=` in the link), else
  `event_id` ({EVENT.ID}), else `alert_uid`;
- resource: `hostname`, `host` or `host_name` ({HOST.NAME});
- description: `message`, `alert_message`, `description`, `opdata` or `item`;
- url: `link`, `url`, `event_url` or `link_to_upstream_details`.

The trigger id is the preferred key: one trigger has one open problem, and its
recovery names the same trigger while it gets a new event id of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from parsers._common import first_text, load_object, map_severity, one_line, short_hash, text
from parsers.report import ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "zabbix"

SEVERITIES: Final[Mapping[str, Severity]] = {
    "disaster": Severity.HIGH, "high": Severity.HIGH,
    "average": Severity.MEDIUM, "warning": Severity.MEDIUM,
    "information": Severity.LOW, "not classified": Severity.LOW,
    # {EVENT.NSEVERITY}: 0 not classified … 5 disaster
    "5": Severity.HIGH, "4": Severity.HIGH, "3": Severity.MEDIUM, "2": Severity.MEDIUM,
    "1": Severity.LOW, "0": Severity.LOW,
}
_STATUS: Final = {
    "problem": ReportStatus.FIRING, "alerting": ReportStatus.FIRING,
    "firing": ReportStatus.FIRING, "1": ReportStatus.FIRING,
    "ok": ReportStatus.RESOLVED, "resolved": ReportStatus.RESOLVED,
    "recovery": ReportStatus.RESOLVED, "0": ReportStatus.RESOLVED,
    "acknowledged": ReportStatus.ACKNOWLEDGED, "ack": ReportStatus.ACKNOWLEDGED,
}
_TRIGGER_IN_LINK = re.compile(r"[?&]triggerid=(\d+)")
_TITLE_KEYS: Final = ("trigger", "trigger_name", "event_name", "name", "subject", "title")
_STATUS_KEYS: Final = ("status", "event_status", "trigger_status", "state", "event_value")
_SEVERITY_KEYS: Final = ("severity", "event_severity", "trigger_severity", "event_nseverity")
_MESSAGE_KEYS: Final = ("message", "alert_message", "description", "opdata", "item")
_URL_KEYS: Final = ("link", "url", "event_url", "link_to_upstream_details")


def can_parse(raw: RawInput) -> bool:
    """Media-type bodies name a trigger, or `alert_uid` (Grafana OnCall's media type)."""
    body = raw.body
    return b'"trigger' in body or b'"alert_uid"' in body or b'"event_nseverity"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Zabbix webhook")
    title = one_line(_pick(body, _TITLE_KEYS))
    if title is None:
        raise ParseError(f"no title: none of {', '.join(_TITLE_KEYS)} is set")
    status_word = _pick(body, _STATUS_KEYS)
    status = ReportStatus.FIRING
    if status_word is not None:
        found = _STATUS.get(status_word.lower())
        if found is None:
            raise ParseError(f"unknown status {status_word!r}; expected PROBLEM, OK, "
                             "RESOLVED or 1/0")
        status = found
    raw_severity = _pick(body, _SEVERITY_KEYS)
    host = first_text(body.get("hostname"), body.get("host"), body.get("host_name"))
    url = _pick(body, _URL_KEYS)
    message = _pick(body, _MESSAGE_KEYS)
    details = {key: value for key in ("item", "opdata", "event_id", "eventid", "trigger_id",
                                      "triggerid", "event_tags", "image_url")
               if (value := text(body.get(key))) is not None}
    return [Report(
        source=NAME,
        title=title,
        description=message or "",
        status=status,
        severity=map_severity(raw_severity, raw.options, SEVERITIES),
        raw_severity=raw_severity,
        occurred_at=raw.received_at,  # media types rarely send a parseable time
        dedup_key=_dedup_key(body, url, host, title),
        resource=host,
        event=first_text(body.get("trigger"), body.get("trigger_name"), body.get("event_name")),
        url=url,
        details=details,
    )]


def _pick(body: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    return first_text(*(body.get(key) for key in keys))


def _dedup_key(body: Mapping[str, Any], url: str | None, host: str | None, title: str) -> str:
    trigger = first_text(body.get("trigger_id"), body.get("triggerid"))
    if trigger is None and url is not None:
        match = _TRIGGER_IN_LINK.search(url)
        trigger = match.group(1) if match else None
    if trigger is not None:
        return f"trigger:{trigger}"
    event = first_text(body.get("event_id"), body.get("eventid"))
    if event is not None:
        return f"event:{event}"
    uid = text(body.get("alert_uid"))
    if uid is not None:
        return uid
    return short_hash(host, title)
