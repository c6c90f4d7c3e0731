"""The generic JSON shape, for any tool that can post JSON.

Without options the body is one object (or an array of objects) of this shape::

    {
      "title": "Disk full on db-1",          # required
      "description": "…",
      "severity": "critical",                # any word of the severity table
      "status": "firing",                    # firing | acknowledged | resolved (and synonyms)
      "dedup_key": "db-1/disk",              # repeats update one alert
      "group_key": "db-cluster",             # alerts with one group key share an incident
      "service": "postgres", "resource": "db-1", "environment": "prod",
      "impact": "high", "urgency": "medium", # high | medium | low
      "location": "DC2", "url": "https://…",
      "occurred_at": "2024-05-01T10:00:00Z", # ISO 8601 or epoch seconds/milliseconds
      "labels": {"team": "dba"}
    }

An integration may map its tool's own shape onto these fields with the
`fields` option (field → dotted path into the body, e.g. `"title" =
"alert.name"`), translate status words with `status_map`, and severities with
`severity_map`. `items` names a dotted path to an array when one body carries
several alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import dig, load_json, map_severity, parse_time, string_map, text
from parsers.report import Level, ParseError, RawInput, Report, ReportStatus

NAME: Final = "generic"

FIELDS: Final = (
    "title", "description", "severity", "status", "dedup_key", "group_key", "service",
    "resource", "event", "environment", "impact", "urgency", "location", "url",
    "occurred_at", "labels", "reporter",
)

STATUS_WORDS: Final[Mapping[str, ReportStatus]] = {
    "firing": ReportStatus.FIRING, "trigger": ReportStatus.FIRING,
    "triggered": ReportStatus.FIRING, "open": ReportStatus.FIRING,
    "problem": ReportStatus.FIRING, "alert": ReportStatus.FIRING,
    "alerting": ReportStatus.FIRING, "down": ReportStatus.FIRING,
    "critical": ReportStatus.FIRING, "warning": ReportStatus.FIRING,
    "acknowledged": ReportStatus.ACKNOWLEDGED, "acknowledge": ReportStatus.ACKNOWLEDGED,
    "ack": ReportStatus.ACKNOWLEDGED,
    "resolved": ReportStatus.RESOLVED, "resolve": ReportStatus.RESOLVED,
    "ok": ReportStatus.RESOLVED, "closed": ReportStatus.RESOLVED,
    "recovered": ReportStatus.RESOLVED, "recovery": ReportStatus.RESOLVED,
    "up": ReportStatus.RESOLVED,
}


def can_parse(raw: RawInput) -> bool:
    """A JSON object with a `title` is generic enough."""
    return raw.body.lstrip()[:1] in (b"{", b"[") and b'"title"' in raw.body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_json(raw)
    items_path = text(raw.options.get("items"))
    items = dig(body, items_path) if items_path else body
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list) or not items:
        where = f"at {items_path!r}" if items_path else "in the body"
        raise ParseError(f"expected a JSON object or a non-empty array of objects {where}")
    return [_report(raw, item, index) for index, item in enumerate(items)]


def _report(raw: RawInput, item: Any, index: int) -> Report:
    if not isinstance(item, Mapping):
        raise ParseError(f"item {index} is not a JSON object")
    mapping: Mapping[str, str] = raw.options.get("fields") or {}

    def field(name: str) -> Any:
        return dig(item, mapping[name]) if name in mapping else item.get(name)

    title = text(field("title"))
    if title is None:
        where = f"path {mapping['title']!r}" if "title" in mapping else "field 'title'"
        raise ParseError(f"item {index}: {where} is missing or empty")
    return Report(
        source=NAME,
        title=title,
        description=text(field("description")) or "",
        status=_status(field("status"), raw.options, index),
        severity=map_severity(field("severity"), raw.options),
        raw_severity=text(field("severity")),
        occurred_at=parse_time(field("occurred_at")) or raw.received_at,
        dedup_key=text(field("dedup_key")),
        group_key=text(field("group_key")),
        service=text(field("service")),
        resource=text(field("resource")),
        event=text(field("event")),
        environment=text(field("environment")),
        impact=_level(field("impact"), "impact", index),
        urgency=_level(field("urgency"), "urgency", index),
        location=text(field("location")),
        url=text(field("url")),
        reporter=text(field("reporter")),
        labels=string_map(field("labels")),
    )


def _status(value: Any, options: Mapping[str, Any], index: int) -> ReportStatus:
    word = text(value)
    if word is None:
        return ReportStatus.FIRING
    overrides: Mapping[str, str] = options.get("status_map") or {}
    for candidate, mapped in overrides.items():
        if str(candidate).lower() == word.lower():
            return ReportStatus(mapped)
    try:
        return STATUS_WORDS[word.lower()]
    except KeyError:
        raise ParseError(
            f"item {index}: unknown status {word!r}; use firing, acknowledged or resolved"
        ) from None


def _level(value: Any, name: str, index: int) -> Level | None:
    word = text(value)
    if word is None:
        return None
    try:
        return Level(word.lower())
    except ValueError:
        raise ParseError(f"item {index}: {name} must be high, medium or low, not {word!r}") \
            from None
