"""Checkmk notifications posted as JSON by a notification script.

Checkmk has no built-in JSON webhook; a notification script turns its
`NOTIFY_*` variables into a body. This parser reads the field names of the
common script (Keep's `webhook-keep.py`), which are close to the variable names:
`what` (HOST / SERVICE), `notification_type` (PROBLEM, RECOVERY,
ACKNOWLEDGEMENT, FLAPPINGSTART…, DOWNTIMESTART…, CUSTOM), `host`, `service`,
`status` (the host state, or the script's own UP/DOWN/ACKNOWLEDGED for
services), `severity` (the service state OK/WARN/CRIT/UNKNOWN; for hosts that
script always sends OK, so the host state is used instead), `output`,
`long_output`, `site`, `url`, `id` (the Checkmk problem id) and
`long_date_time`.

PROBLEM and CUSTOM fire, RECOVERY resolves, ACKNOWLEDGEMENT acknowledges;
flapping and downtime notifications are ignored. The dedup key is
`<site>/<host>` or `<site>/<host>/<service>`: one object has one open problem,
and Checkmk's problem id is not reliably the same on the recovery.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from parsers._common import first_text, load_object, map_severity, one_line, parse_time, text
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "checkmk"

SEVERITIES: Final[Mapping[str, Severity]] = {
    "crit": Severity.HIGH, "critical": Severity.HIGH, "down": Severity.HIGH,
    "unreachable": Severity.MEDIUM, "warn": Severity.MEDIUM, "warning": Severity.MEDIUM,
    "unknown": Severity.MEDIUM,
}
_TYPES: Final = {
    "problem": ReportStatus.FIRING, "custom": ReportStatus.FIRING,
    "recovery": ReportStatus.RESOLVED,
    "acknowledgement": ReportStatus.ACKNOWLEDGED,
}
_OK_STATES: Final = ("ok", "up")


def can_parse(raw: RawInput) -> bool:
    """Script bodies name `notification_type` and `what` (HOST/SERVICE)."""
    body = raw.body
    return b'"notification_type"' in body and b'"what"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Checkmk notification")
    host = first_text(body.get("host"), body.get("hostname"))
    if host is None:
        raise ParseError("no 'host' in the Checkmk notification")
    what = (text(body.get("what")) or ("SERVICE" if body.get("service") else "HOST")).upper()
    service = text(body.get("service")) if what == "SERVICE" else None
    kind = (text(body.get("notification_type")) or "").lower()
    status = _TYPES.get(kind)
    if status is None:
        if kind.startswith(("flapping", "downtime")):
            raise Ignored(f"Checkmk {kind.upper()} notification",
                          {"host": host, "service": service or ""})
        raise ParseError(f"unknown notification_type {kind!r}")
    state = text(body.get("status"))
    # For hosts the script hard-codes severity OK; the host state says more.
    raw_severity = first_text(body.get("severity"), state) if what == "SERVICE" else state
    site = text(body.get("site"))
    key = "/".join(part for part in (site, host, service) if part)
    event = text(body.get("event"))
    subject = f"{service} on {host}" if service else host
    title = f"{subject} is {raw_severity}" if raw_severity else subject
    details = {key_: value for key_, value in (
        ("event", event), ("problem_id", text(body.get("id"))),
        ("notification_type", kind.upper()), ("check_command", text(body.get("check_command"))),
        ("address", text(body.get("address"))), ("contact", text(body.get("contact_name"))),
        ("perf_data", text(body.get("perf_data"))),
    ) if value}
    output = text(body.get("output")) or ""
    long_output = text(body.get("long_output"))
    when = _time(body) or raw.received_at
    severity = None
    if raw_severity and raw_severity.lower() not in _OK_STATES:
        severity = map_severity(raw_severity, raw.options, SEVERITIES)
    return [Report(
        source=NAME,
        title=one_line(title) or title,
        description=f"{output}\n\n{long_output}" if long_output else output,
        status=status,
        severity=severity,
        raw_severity=raw_severity,
        occurred_at=when,
        ended_at=when if status is ReportStatus.RESOLVED else None,
        dedup_key=key,
        service=service,
        resource=host,
        event=service or "host state",
        url=text(body.get("url")),
        labels={"site": site} if site else {},
        details=details,
    )]


def _time(body: Mapping[str, Any]) -> datetime | None:
    """`Sat Oct 26 23:20:39 UTC 2024` when the zone is UTC; other zones can't be placed."""
    long_form = text(body.get("long_date_time"))
    if long_form:
        parts = long_form.split()
        if len(parts) == 6 and parts[4] in ("UTC", "GMT"):
            try:
                return datetime.strptime(" ".join(parts[:4] + parts[5:]),
                                         "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
            except ValueError:
                return None
    return parse_time(body.get("timestamp"))
