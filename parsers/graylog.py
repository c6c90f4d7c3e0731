"""Graylog alert notifications: HTTP notifications of events (3.1+) and legacy stream alerts.

Events (`event_definition_id`, `event_definition_title`, `event` with `key`,
`priority` 1 low / 2 normal / 3 high, `timestamp`, `fields`, plus `backlog`):
keyed `<event_definition_id>/<event.key>`, so repeats of one event definition
(and group-by key) update one alert. The test button's event
(`event_definition_type: test-dummy-v1`) is ignored.

Legacy stream alert callbacks (Graylog 2.x: `check_result` + `stream`): keyed
`<stream id>/<condition id>`, titled by the stream and condition.

Graylog only ever reports that something happened; nothing resolves.
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
    string_map,
    text,
)
from parsers.report import Ignored, ParseError, RawInput, Report, Severity

NAME: Final = "graylog"

# Event priorities (Graylog 5+ adds 4 = critical); words for the names shown in the UI.
SEVERITIES: Final[Mapping[str, Severity]] = {
    "4": Severity.HIGH, "3": Severity.HIGH, "2": Severity.MEDIUM, "1": Severity.LOW,
    "critical": Severity.HIGH, "high": Severity.HIGH, "normal": Severity.MEDIUM,
    "low": Severity.LOW,
}
_TEST_TYPE: Final = "test-dummy-v1"


def can_parse(raw: RawInput) -> bool:
    """Event notifications name `event_definition_id`; legacy ones `check_result` + `stream`."""
    body = raw.body
    return b'"event_definition_id"' in body or (b'"check_result"' in body
                                                 and b'"stream"' in body)


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Graylog notification")
    if isinstance(body.get("event"), Mapping) and "event_definition_id" in body:
        return [_event(raw, body, body["event"])]
    if isinstance(body.get("check_result"), Mapping) and isinstance(body.get("stream"),
                                                                    Mapping):
        return [_legacy(raw, body["check_result"], body["stream"])]
    raise ParseError("neither an event notification ('event_definition_id', 'event') nor a "
                     "legacy stream alert ('check_result', 'stream')")


def _event(raw: RawInput, body: Mapping[str, Any], event: Mapping[str, Any]) -> Report:
    definition = text(body.get("event_definition_id"))
    if text(body.get("event_definition_type")) == _TEST_TYPE or \
            text(event.get("event_definition_type")) == "notification-test-v1":
        raise Ignored("Graylog notification test", {"event_definition_id": definition or ""})
    title = first_text(body.get("event_definition_title"), event.get("message"))
    if definition is None or title is None:
        raise ParseError("event notification without 'event_definition_id' or a title")
    priority = text(event.get("priority"))
    key = text(event.get("key"))
    labels = string_map(event.get("fields"))
    backlog = body.get("backlog")
    details = {name: value for name, value in (
        ("message", text(event.get("message"))), ("event_id", text(event.get("id"))),
        ("key", key), ("source", text(event.get("source"))),
        ("timerange_start", text(event.get("timerange_start"))),
        ("timerange_end", text(event.get("timerange_end"))),
        ("backlog_size", str(len(backlog)) if isinstance(backlog, list) else None),
    ) if value}
    return Report(
        source=NAME,
        title=one_line(title) or title,
        description=first_text(body.get("event_definition_description"),
                               event.get("message")) or "",
        severity=map_severity(priority, raw.options, SEVERITIES),
        raw_severity=priority,
        occurred_at=parse_time(event.get("timestamp")) or raw.received_at,
        dedup_key=f"{definition}/{key}" if key else definition,
        resource=text(event.get("source")),
        event=text(body.get("event_definition_title")),
        labels=labels,
        details=details,
    )


def _legacy(raw: RawInput, result: Mapping[str, Any], stream: Mapping[str, Any]) -> Report:
    condition = as_object(result.get("triggered_condition"))
    stream_id = text(stream.get("id"))
    stream_title = text(stream.get("title")) or stream_id or "stream"
    kind = first_text(condition.get("type_string"), condition.get("type"))
    condition_name = first_text(condition.get("title"),
                                kind.replace("_", " ").lower() if kind else None)
    title = f"Graylog stream {stream_title}: {condition_name}" if condition_name \
        else f"Graylog stream {stream_title} alert"
    messages = result.get("matching_messages")
    details = {name: value for name, value in (
        ("condition", text(condition.get("description"))),
        ("stream_description", text(stream.get("description"))),
        ("matching_messages", str(len(messages)) if isinstance(messages, list) else None),
        ("first_message", text(dig(messages, "0.message"))),
    ) if value}
    return Report(
        source=NAME,
        title=one_line(title) or title,
        description=text(result.get("result_description")) or "",
        occurred_at=parse_time(result.get("triggered_at")) or raw.received_at,
        dedup_key="/".join(part for part in (stream_id, text(condition.get("id"))) if part)
        or None,
        resource=text(dig(messages, "0.source")),
        event=condition_name,
        details=details,
    )
