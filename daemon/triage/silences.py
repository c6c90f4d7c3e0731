"""Silences (maintenance windows created at run time) and the reports they suppressed.

Created through the API or the CLI (`incidentd silences add`), listed, and
expired (the row stays, with `ends_at` moved to the moment of expiry and
who expired it). The pipeline reads the active ones once per intake row.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.store.models import Report as ReportRow
from daemon.store.models import Silence
from daemon.triage.maintenance import MaintenanceWindow
from daemon.triage.schema import Matcher, TriageConfig

log = logging.getLogger(__name__)


class SilenceError(ValueError):
    """A silence that cannot be created; `field` names what is wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def parse_silence(data: Any, *, now: datetime) -> MaintenanceWindow:
    """A silence from untrusted JSON; starts now unless told; recurring ones need an expiry."""
    if not isinstance(data, Mapping):
        raise SilenceError("the body must be a JSON object describing the silence", "body")
    values = dict(data)
    recurring = "cron" in values or "days" in values
    values.setdefault("starts_at", now.isoformat())
    try:
        window = MaintenanceWindow.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or None
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown field {where!r}"
        raise SilenceError(f"{where}: {message}" if where else message, where) from None
    if recurring and window.ends_at is None:
        raise SilenceError("a recurring silence needs ends_at (when it expires)", "ends_at")
    if window.end_time is not None and window.end_time <= now:
        raise SilenceError("the silence would end in the past", "ends_at")
    if window.match == Matcher():
        raise SilenceError("a silence needs at least one matcher; it would silence "
                           "everything", "match")
    return window


def check_vocabulary(window: MaintenanceWindow, triage: TriageConfig) -> None:
    """The time windows and matcher sets the silence names must be configured."""
    for part in window.match.walk():
        for name in part.during:
            if name not in triage.time_windows:
                raise SilenceError(f"unknown time window {name!r}", "match.during")
        for name in part.use:
            if name not in triage.matchers:
                raise SilenceError(f"unknown matcher set {name!r}", "match.use")


def create_silence(session: Session, window: MaintenanceWindow, raw_match: Mapping[str, Any],
                   *, created_by: str, now: datetime) -> Silence:
    """Store a validated silence (`raw_match` is the matcher JSON as given)."""
    end = window.end_time
    assert window.starts_at is not None
    assert end is not None
    row = Silence(name=window.name, matchers=dict(raw_match), starts_at=window.starts_at,
                  ends_at=end, comment=window.comment, created_by=created_by, created_at=now,
                  schedule=window.schedule_json())
    session.add(row)
    session.flush()
    log.info("silence #%d %r created by %s until %s", row.id, row.name, created_by,
             end.isoformat())
    return row


def expire_silence(session: Session, silence_id: int, *, by: str, now: datetime
                   ) -> Silence | None:
    """End a silence now (None when there is no such silence); already ended ones stay."""
    row = session.get(Silence, silence_id)
    if row is None:
        return None
    if row.ends_at > now:
        row.ends_at = max(now, row.starts_at)
        row.expired_by = by
        log.info("silence #%d %r expired by %s", row.id, row.name, by)
    return row


def get_silences(session: Session, *, now: datetime, include_expired: bool = False,
                 limit: int = 500) -> Sequence[Silence]:
    """Silences, newest first; only those not yet ended unless `include_expired`."""
    query = select(Silence).order_by(Silence.id.desc()).limit(limit)
    if not include_expired:  # nor those expired before they began (an empty span)
        query = query.where(Silence.ends_at > now, Silence.ends_at > Silence.starts_at)
    return session.scalars(query).all()


def get_active_silences(session: Session, *, at: datetime) -> Sequence[Silence]:
    """Silences whose span covers `at` (a recurring one may still be between occurrences)."""
    query = (select(Silence).where(Silence.starts_at <= at, Silence.ends_at > at)
             .order_by(Silence.id))
    return session.scalars(query).all()


def silence_window(row: Silence) -> MaintenanceWindow | None:
    """The stored silence as a window (None, logged, if it no longer validates).

    A silence expired before it began keeps an empty span (its end is its
    start): it was never in force, so it is None without complaint.
    """
    if row.ends_at <= row.starts_at:
        return None
    schedule = dict(row.schedule or {})
    if "duration" in schedule:
        schedule["duration"] = timedelta(seconds=float(schedule["duration"]))
    try:
        return MaintenanceWindow.model_validate({
            "name": row.name, "comment": row.comment, "match": row.matchers,
            "starts_at": row.starts_at, "ends_at": row.ends_at, **schedule})
    except ValidationError as exc:
        log.error("silence #%d %r is not valid any more and is ignored: %s", row.id, row.name,
                  exc.errors()[0]["msg"])
        return None


def silence_json(row: Silence, now: datetime) -> dict[str, Any]:
    """One silence for the API and the CLI."""
    window = silence_window(row)
    return {"id": row.id, "source": "api", "name": row.name, "comment": row.comment,
            "match": row.matchers, "starts_at": row.starts_at, "ends_at": row.ends_at,
            "schedule": row.schedule,
            "describe": window.describe() if window else (
                "expired before it began" if row.ends_at <= row.starts_at else "invalid"),
            "active": bool(window and window.active_at(now)),
            "expired": row.ends_at <= now or row.ends_at <= row.starts_at,
            "created_by": row.created_by,
            "created_at": row.created_at, "expired_by": row.expired_by}


def window_json(window: MaintenanceWindow, now: datetime) -> dict[str, Any]:
    """A `[[maintenance]]` window from the configuration, shaped like a silence."""
    end = window.end_time
    return {"id": None, "source": "config", "name": window.name, "comment": window.comment,
            "match": window.match.model_dump(mode="json", by_alias=True, exclude_defaults=True),
            "starts_at": window.starts_at, "ends_at": end, "schedule": window.schedule_json(),
            "describe": window.describe(), "active": window.active_at(now),
            "expired": end is not None and end <= now, "created_by": "configuration",
            "created_at": None, "expired_by": None}


def get_suppressed(session: Session, *, since: datetime | None = None, limit: int = 100
                   ) -> Sequence[ReportRow]:
    """Reports that a window, silence or rule kept from opening an incident, newest first."""
    query = (select(ReportRow).where(ReportRow.outcome == "suppressed")
             .order_by(ReportRow.id.desc()).limit(limit))
    if since is not None:
        query = query.where(ReportRow.received_at >= since)
    return session.scalars(query).all()


def suppressed_json(row: ReportRow) -> dict[str, Any]:
    """One suppressed report for the API and the CLI."""
    return {"id": row.id, "intake_id": row.intake_id, "received_at": row.received_at,
            "source": row.source, "status": row.status, "title": row.title,
            "sender": row.sender, "suppressed_by": row.suppressed_by,
            "severity": (row.data or {}).get("severity"),
            "labels": (row.data or {}).get("labels") or {}}
