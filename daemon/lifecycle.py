"""The incident lifecycle: the one place where incidents are opened and changed.

Every interface (pipeline, API, CLI, mail commands) calls these functions, so
transitions are validated the same way everywhere, each sets its timestamp
once and writes a timeline entry, and comms hears about it through `Work`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from daemon.store.models import Incident, IncidentStatus, Timeline
from daemon.triage import Decision, ReportContext
from daemon.work import Actor, Event, EventKind, Work
from parsers import Report

S = IncidentStatus

TRANSITIONS: Mapping[IncidentStatus, frozenset[IncidentStatus]] = {
    S.REPORTED: frozenset({S.TRIAGED, S.RESPONDING, S.CONTAINED, S.RESOLVED, S.DISMISSED}),
    S.TRIAGED: frozenset({S.RESPONDING, S.CONTAINED, S.RESOLVED, S.DISMISSED}),
    S.RESPONDING: frozenset({S.CONTAINED, S.RESOLVED, S.DISMISSED}),
    S.CONTAINED: frozenset({S.RESPONDING, S.RESOLVED, S.DISMISSED}),
    S.RESOLVED: frozenset({S.CLOSED, S.RESPONDING}),  # back to responding = reopen
    S.CLOSED: frozenset(),
    S.DISMISSED: frozenset(),
}

TIMESTAMPS: Mapping[IncidentStatus, str] = {
    S.TRIAGED: "triaged_at",
    S.RESPONDING: "responding_at",
    S.CONTAINED: "contained_at",
    S.RESOLVED: "resolved_at",
    S.CLOSED: "closed_at",
    S.DISMISSED: "dismissed_at",
}


class TransitionError(ValueError):
    """A status change the lifecycle does not allow; names the allowed ones."""

    def __init__(self, old: IncidentStatus, new: IncidentStatus) -> None:
        allowed = sorted(TRANSITIONS[old])
        hint = f"allowed from {old}: {', '.join(allowed)}" if allowed else f"{old} is final"
        super().__init__(f"cannot change status from {old} to {new}; {hint}")
        self.old, self.new, self.allowed = old, new, allowed


def record(
    work: Work,
    incident: Incident,
    actor: Actor,
    kind: str,
    text: str = "",
    *,
    old: Any = None,
    new: Any = None,
    data: Mapping[str, Any] | None = None,
) -> Timeline:
    """Append a timeline entry."""
    entry = Timeline(
        incident_id=incident.id, at=work.now, actor=actor.name, source=actor.source.value,
        kind=kind, text=text, old=None if old is None else str(old),
        new=None if new is None else str(new), data=dict(data) if data else None,
    )
    work.session.add(entry)
    return entry


def open_incident(
    work: Work,
    report: Report,
    context: ReportContext,
    decision: Decision,
    actor: Actor,
    *,
    group_key: str | None,
) -> Incident:
    """Create an incident from its first report, triaged by `decision`."""
    now = work.now
    incident = Incident(
        title=report.title[:500],
        description=report.description,
        status=S.TRIAGED,
        severity=decision.severity.value,
        impact=decision.impact.value,
        urgency=decision.urgency.value,
        priority=decision.priority,
        category=decision.category,
        service=decision.service,
        location=report.location,
        reporter=report.reporter or context.integration,
        source=context.channel,
        integration=context.integration,
        group_key=group_key,
        lists=list(decision.lists),
        labels=dict(report.labels),
        discovered_at=report.discovered_at,
        reported_at=now,
        triaged_at=now,
        next_update_at=now + work.config.cadence.for_priority(decision.priority),
        updates_sent=0,
        updated_at=now,
    )
    work.session.add(incident)
    work.session.flush()  # the id makes the key
    record(work, incident, actor, "opened", f"Reported via {context.channel}: {report.title}",
           new=S.REPORTED)
    record(work, incident, actor, "triaged", decision.summary(), old=S.REPORTED, new=S.TRIAGED,
           data={"hits": list(decision.hits), "misses": list(decision.misses),
                 "reasons": list(decision.reasons), "lists": list(decision.lists),
                 "inputs": {"severity": report.severity, "impact": report.impact,
                            "urgency": report.urgency, "raw_severity": report.raw_severity}})
    work.emit(Event(EventKind.OPENED, incident, actor, new=S.TRIAGED))
    return incident


def change_status(
    work: Work,
    incident: Incident,
    new: IncidentStatus,
    actor: Actor,
    comment: str = "",
) -> None:
    """Move the incident to `new`, or raise `TransitionError`."""
    old = IncidentStatus(incident.status)
    if new == old:
        return
    if new not in TRANSITIONS[old]:
        raise TransitionError(old, new)
    incident.status = new.value
    stamp = TIMESTAMPS.get(new)
    if stamp is not None and getattr(incident, stamp) is None:
        setattr(incident, stamp, work.now)
    if new in (S.RESOLVED, S.CLOSED, S.DISMISSED):
        incident.next_update_at = None
    elif old is S.RESOLVED:  # reopened: updates resume
        incident.next_update_at = work.now + work.config.cadence.for_priority(
            incident.priority or 4)
    incident.updated_at = work.now
    record(work, incident, actor, "status", comment, old=old, new=new)
    work.emit(Event(EventKind.STATUS, incident, actor, old=old, new=new))


def add_note(work: Work, incident: Incident, actor: Actor, text: str,
             *, kind: str = "note", data: Mapping[str, Any] | None = None) -> None:
    """Add a note (a report, an alert change, a comment) to the timeline."""
    incident.updated_at = work.now
    record(work, incident, actor, kind, text, data=data)
