"""SOP phases with their timestamps and durations, and status-update cadence adherence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from daemon.store.models import Incident, IncidentStatus

# (phase, timestamp attribute), in SOP order.
PHASES = (
    ("reported", "reported_at"),
    ("triaged", "triaged_at"),
    ("acknowledged", "acknowledged_at"),
    ("responding", "responding_at"),
    ("contained", "contained_at"),
    ("restored", "restored_at"),
    ("resolved", "resolved_at"),
    ("closed", "closed_at"),
    ("dismissed", "dismissed_at"),
)

# The durations reviews and stats report, each from the report time.
DURATIONS = (
    ("time_to_triage", "triaged_at"),
    ("time_to_acknowledge", "acknowledged_at"),
    ("time_to_contain", "contained_at"),
    ("time_to_restore", "restored_at"),
    ("time_to_resolve", "resolved_at"),
)

# Outbox kinds that tell stakeholders where things stand.
UPDATE_KINDS = ("opened", "update", "holding", "resolved", "closed", "dismissed")


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def phases(incident: Incident) -> list[dict[str, Any]]:
    """Each phase reached: when, how long after the report and after the previous phase."""
    result = []
    previous: datetime | None = None
    for name, attribute in PHASES:
        at: datetime | None = getattr(incident, attribute)
        if at is None:
            continue
        result.append({"phase": name, "at": at,
                       "since_reported": _seconds(incident.reported_at, at),
                       "since_previous": _seconds(previous, at)})
        previous = at
    return result


def durations(incident: Incident) -> dict[str, float | None]:
    """Seconds from report to triage, acknowledgement, containment, restoration, resolution."""
    return {name: _seconds(incident.reported_at, getattr(incident, attribute))
            for name, attribute in DURATIONS}


@dataclass(frozen=True, slots=True)
class Adherence:
    """Status updates the cadence asked for, and how many went out on time."""

    interval: timedelta
    due: int
    on_time: int
    sent: int

    @property
    def percent(self) -> float | None:
        """Share of due updates sent on time (None when none were due)."""
        return round(100.0 * self.on_time / self.due, 1) if self.due else None

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON and templates."""
        return {"interval_seconds": self.interval.total_seconds(), "due": self.due,
                "on_time": self.on_time, "late_or_missed": self.due - self.on_time,
                "sent": self.sent, "percent": self.percent}


def adherence(incident: Incident, sent: Iterable[tuple[str, datetime]], *,
              interval: timedelta, grace: timedelta, now: datetime) -> Adherence | None:
    """How well stakeholder updates kept to the cadence; None when no mail went out.

    `sent` holds (outbox kind, queued time) of the incident's opened, update
    and resolved mails. The cadence clock starts at the opening mail and
    restarts at every mail (as comms schedules it). Each time it runs out
    before the incident ends, an update was due: on time when a mail went
    out within `grace` of it, late or missed otherwise. The interval is the
    one of the incident's current priority.
    """
    # copies held back by quiet hours share their queued time: one update each
    times = sorted({at for kind, at in sent if kind in UPDATE_KINDS})
    if not times:
        return None
    opened = [at for kind, at in sent if kind == "opened"]
    start = min(opened) if opened else incident.reported_at
    end = _end(incident) or now
    due = on_time = 0
    deadline = start + interval
    for at in times:
        if at <= start or at > end:
            continue
        while deadline + grace < at and deadline < end:  # it ran out with nothing sent
            due += 1
            deadline += interval
        if deadline <= at <= deadline + grace:
            due += 1
            on_time += 1
        deadline = at + interval
    while deadline + grace < end:
        due += 1
        deadline += interval
    return Adherence(interval=interval, due=due, on_time=on_time, sent=len(times))


def _end(incident: Incident) -> datetime | None:
    if incident.status == IncidentStatus.DISMISSED:
        return incident.dismissed_at
    if incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        return incident.resolved_at
    return None


def mean_median(values: Sequence[float]) -> dict[str, float | int | None]:
    """Mean and median of seconds (None when there are none), and how many."""
    if not values:
        return {"mean": None, "median": None, "count": 0}
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"mean": round(sum(ordered) / len(ordered), 1), "median": round(median, 1),
            "count": len(ordered)}
