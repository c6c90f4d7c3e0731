"""Riemann events posted as JSON (a stream's `post`/webhook output).

One object (or an array of them) with `host`, `service`, `state`,
`description`, `metric`, `tags`, `time` and custom attributes. The dedup key is
`<host>/<service>`, Riemann's own event identity. `state` ok resolves;
critical / warning / other states fire.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    first_text,
    join_texts,
    load_json,
    map_severity,
    one_line,
    parse_time,
    text,
)
from parsers.report import ParseError, RawInput, Report, ReportStatus

NAME: Final = "riemann"

_KNOWN: Final = ("host", "service", "state", "description", "metric", "tags", "time", "ttl")


def can_parse(raw: RawInput) -> bool:
    """Riemann events name `host`, `service` and `state`."""
    body = raw.body
    return b'"host"' in body and b'"service"' in body and b'"state"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_json(raw)
    events = body if isinstance(body, list) else [body]
    if not events:
        raise ParseError("empty array of Riemann events")
    return [_report(raw, event, index) for index, event in enumerate(events)]


def _report(raw: RawInput, event: Any, index: int) -> Report:
    if not isinstance(event, Mapping):
        raise ParseError(f"event {index} is not a JSON object")
    host = text(event.get("host"))
    service = text(event.get("service"))
    if host is None and service is None:
        raise ParseError(f"event {index} has neither 'host' nor 'service'")
    state = text(event.get("state"))
    status = ReportStatus.RESOLVED if state and state.lower() == "ok" else ReportStatus.FIRING
    when = parse_time(event.get("time"))
    subject = f"{service} on {host}" if service and host else (service or host or "")
    extra = {str(k): v for k, item in event.items()
             if k not in _KNOWN and (v := text(item)) is not None}
    details = {key: value for key, value in (
        ("metric", text(event.get("metric"))), ("tags", join_texts(event.get("tags"))),
    ) if value}
    return Report(
        source=NAME,
        title=one_line(f"{subject} is {state}" if state else subject) or subject,
        description=text(event.get("description")) or "",
        status=status,
        severity=map_severity(state, raw.options) if status is ReportStatus.FIRING else None,
        raw_severity=state,
        occurred_at=when or raw.received_at,
        ended_at=(when or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=f"{host or ''}/{service or ''}",
        service=service,
        resource=host,
        event=service,
        environment=first_text(extra.get("environment"), extra.get("env")),
        labels=extra,
        details=details,
    )
