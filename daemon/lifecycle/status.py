"""Statuses: opening an incident, the transition table, and the changes that move it.

`reported → triaged → responding → contained → resolved → closed`, plus
`dismissed` (false alarm or duplicate) from any open status. A resolved
incident may be reopened (back to `responding`) with a reason. Each
transition sets its timestamp once, writes a timeline entry and emits a
STATUS event; SOP gates (`daemon.lifecycle.gates`) are checked first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from daemon.comms.cadence import schedule_next
from daemon.lifecycle.errors import FieldError, GateError, TransitionError
from daemon.lifecycle.gates import check_gates
from daemon.lifecycle.timeline import note, record
from daemon.store.models import Incident, IncidentStatus
from daemon.triage import Decision, ReportContext, priority_for
from daemon.work import Actor, ActorSource, Event, EventKind, Work
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

# Sources where a person (not a tool) makes the change: a person moving an
# incident on has seen it, which counts as acknowledging it.
PEOPLE = frozenset({ActorSource.API, ActorSource.CLI, ActorSource.EMAIL})


def allowed_from(status: IncidentStatus) -> list[str]:
    """The statuses `status` may change to, in lifecycle order."""
    return [s.value for s in IncidentStatus if s in TRANSITIONS[status]]


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
    derived = priority_for(work.config.triage.matrix, decision.impact, decision.urgency)
    incident = Incident(
        title=decision.title_for(report.title)[:500],
        description=report.description,
        status=S.TRIAGED,
        severity=decision.severity.value,
        impact=decision.impact.value,
        urgency=decision.urgency.value,
        priority=decision.priority,
        # a rule that set the priority outright keeps it when impact or urgency change
        priority_manual=decision.priority != derived,
        category=decision.category,
        service=decision.service,
        location=report.location,
        reporter=report.reporter or context.integration,
        source=context.channel,
        integration=context.integration,
        group_key=group_key,
        lists=list(decision.lists),
        assignee=decision.assignee,
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
           data=decision.record(report))
    work.emit(Event(EventKind.OPENED, incident, actor, new=S.TRIAGED))
    return incident


def change_status(
    work: Work,
    incident: Incident,
    new: IncidentStatus,
    actor: Actor,
    comment: str = "",
) -> None:
    """Move the incident to `new`, or raise `TransitionError` / `GateError`.

    Dismissing needs a reason (use `dismiss`), and so does reopening a
    resolved incident (use `reopen`, or give the reason as `comment`).
    """
    old = IncidentStatus(incident.status)
    if new == old:
        return
    if new not in TRANSITIONS[old]:
        raise TransitionError(old.value, new.value, allowed_from(old))
    if new is S.DISMISSED and not incident.dismiss_reason:
        raise GateError("dismissing needs a reason: a false alarm, or a duplicate of INC-n",
                        ["reason"], field="reason")
    reopening = old is S.RESOLVED and new is S.RESPONDING
    if reopening and not comment.strip():
        raise GateError("reopening a resolved incident needs a reason", ["reason"],
                        field="reason")
    check_gates(work, incident, new)
    _transition(work, incident, old, new, actor, comment, reopening=reopening)


def _transition(work: Work, incident: Incident, old: IncidentStatus, new: IncidentStatus,
                actor: Actor, comment: str, *, reopening: bool) -> None:
    data: dict[str, datetime | None] = {}
    if reopening:
        # The earlier resolution was wrong: clear it so that the next one is
        # stamped afresh, and keep it on the timeline for the review.
        data = {"previous_resolved_at": incident.resolved_at,
                "previous_restored_at": incident.restored_at}
        incident.resolved_at = None
        incident.restored_at = None
        incident.review_reminded_at = None
    incident.status = new.value
    stamp = TIMESTAMPS.get(new)
    if stamp is not None and getattr(incident, stamp) is None:
        setattr(incident, stamp, work.now)
    if (new in (S.RESPONDING, S.CONTAINED, S.RESOLVED) and actor.source in PEOPLE
            and incident.acknowledged_at is None):
        incident.acknowledged_at = work.now
        incident.acknowledged_by = actor.name
    if new in (S.RESOLVED, S.CLOSED, S.DISMISSED):
        incident.next_update_at = None
    elif old is S.RESOLVED:  # reopened: updates resume
        schedule_next(work.config, incident, work.now)
    incident.updated_at = work.now
    record(work, incident, actor, "status", comment, old=old, new=new,
           data={k: v.isoformat() for k, v in data.items() if v is not None} or None)
    work.emit(Event(EventKind.STATUS, incident, actor, old=old, new=new))


def acknowledge(work: Work, incident: Incident, actor: Actor, comment: str = "") -> None:
    """Somebody is on it: stamp the acknowledgement once; a new incident starts responding."""
    if not incident.is_open:
        raise FieldError(f"{incident.key} is {incident.status}; only open incidents are "
                         "acknowledged", field="acknowledge")
    if incident.acknowledged_at is None:
        incident.acknowledged_at = work.now
        incident.acknowledged_by = actor.name
        if incident.assignee is None:
            incident.assignee = actor.name
        note(work, incident, actor, comment or f"Acknowledged by {actor.name}",
             kind="acknowledged", new=actor.name)
    if incident.status in (S.REPORTED, S.TRIAGED):
        change_status(work, incident, S.RESPONDING, actor, comment or "Acknowledged")


def reopen(work: Work, incident: Incident, actor: Actor, reason: str) -> None:
    """Reopen a resolved incident (back to responding); status updates resume."""
    if incident.status != S.RESOLVED:
        raise TransitionError(incident.status, "responding (reopen)",
                              allowed_from(IncidentStatus(incident.status)))
    change_status(work, incident, S.RESPONDING, actor, reason)


def dismiss(work: Work, incident: Incident, actor: Actor, reason: str,
            *, duplicate_of: Incident | None = None) -> None:
    """Dismiss as a false alarm (`reason`), or as a duplicate merged into `duplicate_of`."""
    from daemon.lifecycle.merge import merge_into

    old = IncidentStatus(incident.status)
    if S.DISMISSED not in TRANSITIONS[old]:
        raise TransitionError(old.value, S.DISMISSED.value, allowed_from(old))
    reason = reason.strip()
    if duplicate_of is None and not reason:
        raise GateError("dismissing needs a reason: a false alarm, or a duplicate of INC-n",
                        ["reason"], field="reason")
    if duplicate_of is not None:
        merge_into(work, incident, duplicate_of, actor)
        label = f"duplicate of {duplicate_of.key}"
        reason = f"{label}: {reason}" if reason else label
    incident.dismiss_reason = reason
    _transition(work, incident, old, S.DISMISSED, actor, f"Dismissed: {reason}",
                reopening=False)
