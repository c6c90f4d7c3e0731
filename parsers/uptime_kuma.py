"""Uptime Kuma webhook notifications (JSON body: `heartbeat`, `monitor`, `msg`).

`heartbeat.status` is 0 down, 1 up, 2 pending, 3 maintenance: down fires, up
resolves, pending (a failed check still being retried) fires, maintenance is
ignored. The dedup key is `monitor:<id>`, so a monitor's down and up meet.
Certificate-expiry notifications have a monitor but no heartbeat; they fire
under `monitor:<id>/certificate`. The "Test" button sends neither a monitor nor
a heartbeat and is ignored. Heartbeat times are UTC without a zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import first_text, load_object, map_severity, one_line, parse_time, text
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus

NAME: Final = "uptime_kuma"

_STATES: Final = {
    "0": ("down", ReportStatus.FIRING),
    "1": ("up", ReportStatus.RESOLVED),
    "2": ("pending", ReportStatus.FIRING),
}
_MAINTENANCE: Final = "3"


def can_parse(raw: RawInput) -> bool:
    """Bodies carry `heartbeat` and `monitor` next to `msg`."""
    body = raw.body
    return b'"heartbeat"' in body and b'"monitor"' in body and b'"msg"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Uptime Kuma notification")
    if not ("heartbeat" in body and "monitor" in body and "msg" in body):
        raise ParseError("expected 'heartbeat', 'monitor' and 'msg'")
    heartbeat, monitor = body.get("heartbeat"), body.get("monitor")
    msg = text(body.get("msg"))
    if heartbeat is None and monitor is None:
        raise Ignored("Uptime Kuma test notification", {"msg": msg or ""})
    if not isinstance(monitor, Mapping):
        raise ParseError("'monitor' is not an object")
    monitor_id = text(monitor.get("id"))
    name = text(monitor.get("name")) or text(monitor.get("pathName")) or f"monitor {monitor_id}"
    key = f"monitor:{monitor_id}" if monitor_id else f"monitor:{name}"
    target = _target(monitor)
    labels = _tags(monitor.get("tags"))
    details = {k: v for k, v in (("type", text(monitor.get("type"))), ("target", target),
                                  ("msg", msg)) if v}
    if heartbeat is None:  # certificate expiry and similar monitor-level notices
        return [Report(
            source=NAME,
            title=one_line(msg) or f"{name}: notice",
            description=msg or "",
            occurred_at=raw.received_at,
            dedup_key=f"{key}/certificate",
            service=name,
            resource=target,
            url=target if target and target.startswith("http") else None,
            labels=labels,
            details=details,
        )]
    if not isinstance(heartbeat, Mapping):
        raise ParseError("'heartbeat' is not an object")
    code = text(heartbeat.get("status"))
    if code == _MAINTENANCE:
        raise Ignored("Uptime Kuma monitor in maintenance", {"monitor": key})
    state = _STATES.get(code or "")
    if state is None:
        raise ParseError(f"unknown heartbeat status {code!r}")
    word, status = state
    reason = text(heartbeat.get("msg"))
    for field in ("ping", "duration", "important"):
        value = text(heartbeat.get(field))
        if value is not None:
            details[field] = value
    when = parse_time(heartbeat.get("time"))
    return [Report(
        source=NAME,
        title=f"{one_line(name, 150)} is {word}",
        description=reason or msg or "",
        status=status,
        severity=map_severity(word, raw.options),
        raw_severity=None,
        occurred_at=when or raw.received_at,
        ended_at=(when or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key=key,
        service=name,
        resource=target,
        event=word,
        url=target if target and target.startswith("http") else None,
        labels=labels,
        details=details,
    )]


def _target(monitor: Mapping[str, Any]) -> str | None:
    hostname = text(monitor.get("hostname"))
    port = text(monitor.get("port"))
    return first_text(monitor.get("url") if text(monitor.get("url")) != "https://" else None,
                      f"{hostname}:{port}" if hostname and port else hostname,
                      monitor.get("docker_container"), monitor.get("dns_resolve_server")
                      if monitor.get("type") == "dns" else None)


def _tags(value: Any) -> dict[str, str]:
    """Tags are `[{"name": "env", "value": "prod"}, …]`; a tag without a value maps to ''."""
    result: dict[str, str] = {}
    if isinstance(value, list):
        for tag in value:
            if isinstance(tag, Mapping) and (name := text(tag.get("name"))):
                result[name] = text(tag.get("value")) or ""
    return result
