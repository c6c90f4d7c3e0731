"""Changes to an incident's fields, each on the timeline and each emitting its event.

Priority, severity and ETA changes emit their own events (comms sends an
immediate update); the rest emit NOTE (shown in the next update). Values
arrive validated (see `daemon.lifecycle.commands` for parsing them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from daemon.comms.cadence import update_interval
from daemon.lifecycle.errors import FieldError
from daemon.lifecycle.timeline import note, record
from daemon.store.models import Incident
from daemon.triage import priority_for
from daemon.work import Actor, Event, EventKind, Work
from parsers import Level


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _emit(work: Work, incident: Incident, actor: Actor, kind: EventKind,
          old: object, new: object) -> None:
    incident.updated_at = work.now
    work.emit(Event(kind, incident, actor, old=old, new=new))


def set_priority(work: Work, incident: Incident, actor: Actor, priority: int | None,
                 comment: str = "") -> None:
    """Set the priority (1-4) outright; None derives it from impact × urgency again."""
    old = incident.priority
    if priority is None:
        incident.priority_manual = False
        priority = _derived(work, incident)
        why = comment or "priority derived from impact and urgency"
    else:
        incident.priority_manual = True
        why = comment
    if priority == old:
        return
    _apply_priority(work, incident, actor, priority, why)


def _derived(work: Work, incident: Incident) -> int:
    return priority_for(work.config.triage.matrix, Level(incident.impact or "medium"),
                        Level(incident.urgency or "medium"))


def _apply_priority(work: Work, incident: Incident, actor: Actor, priority: int,
                    comment: str) -> None:
    old = incident.priority
    incident.priority = priority
    if incident.is_open and incident.next_update_at is not None:
        # the cadence follows the priority: never wait longer than the new interval
        due = work.now + update_interval(work.config, incident)
        incident.next_update_at = min(incident.next_update_at, due)
    record(work, incident, actor, "priority", comment,
           old=f"P{old}" if old else None, new=f"P{priority}")
    _emit(work, incident, actor, EventKind.PRIORITY, f"P{old}" if old else None, f"P{priority}")


def set_severity(work: Work, incident: Incident, actor: Actor, severity: str,
                 comment: str = "") -> None:
    """Set the severity (high, medium, low)."""
    old = incident.severity
    if severity == old:
        return
    incident.severity = severity
    record(work, incident, actor, "severity", comment, old=old, new=severity)
    _emit(work, incident, actor, EventKind.SEVERITY, old, severity)


def set_level(work: Work, incident: Incident, actor: Actor, name: str, level: str,
              comment: str = "") -> None:
    """Set impact or urgency; the priority follows the matrix unless set by hand."""
    if name not in ("impact", "urgency"):
        raise FieldError(f"{name} is not impact or urgency", field=name)
    old = getattr(incident, name)
    if level == old:
        return
    setattr(incident, name, level)
    note(work, incident, actor, comment, kind=name, old=old, new=level)
    if not incident.priority_manual:
        derived = _derived(work, incident)
        if derived != incident.priority:
            _apply_priority(work, incident, actor, derived,
                            f"derived from impact {incident.impact} and urgency "
                            f"{incident.urgency}")


def set_eta(work: Work, incident: Incident, actor: Actor, eta: datetime | None,
            comment: str = "") -> None:
    """Set or clear the estimated resolution time; every ETA stays on the timeline."""
    old = incident.eta
    if eta == old:
        return
    incident.eta = eta
    record(work, incident, actor, "eta", comment, old=_iso(old), new=_iso(eta),
           data={"eta": _iso(eta), "previous": _iso(old)})
    _emit(work, incident, actor, EventKind.ETA, _iso(old), _iso(eta))


def assign(work: Work, incident: Incident, actor: Actor, assignee: str | None,
           comment: str = "") -> None:
    """Set (or clear) who leads the response."""
    old = incident.assignee
    if assignee == old:
        return
    incident.assignee = assignee
    note(work, incident, actor, comment, kind="assigned", old=old, new=assignee)


def set_text(work: Work, incident: Incident, actor: Actor, name: str, value: str | None,
             comment: str = "") -> None:
    """Set one of the plain text fields (title, category, service, location, …)."""
    if name not in TEXT_FIELDS:
        raise FieldError(f"{name} is not a text field", field=name)
    old = getattr(incident, name)
    if value == old:
        return
    setattr(incident, name, value)
    # the value is the entry's `new`; the text is only the why
    note(work, incident, actor, comment, kind=name, old=old, new=value)


TEXT_FIELDS = ("title", "category", "service", "location", "impact_statement",
               "resolution_summary")


def set_affected_services(work: Work, incident: Incident, actor: Actor,
                          services: Sequence[str], comment: str = "") -> None:
    """Set the list of affected services."""
    old = list(incident.affected_services or [])
    new = list(dict.fromkeys(services))
    if new == old:
        return
    incident.affected_services = new
    note(work, incident, actor, comment, kind="services", old=", ".join(old) or None,
         new=", ".join(new) or None)


def add_containment(work: Work, incident: Incident, actor: Actor, text: str) -> None:
    """Record a containment action (what was done to stop it spreading)."""
    note(work, incident, actor, text, kind="containment")


def add_investigation_note(work: Work, incident: Incident, actor: Actor, text: str) -> None:
    """Record an investigation finding or step."""
    note(work, incident, actor, text, kind="investigation")


def add_comment(work: Work, incident: Incident, actor: Actor, text: str) -> None:
    """Record a comment (a NOTE event: it shows in the next update)."""
    note(work, incident, actor, text, kind="note")


def set_root_cause(work: Work, incident: Incident, actor: Actor, *, category: str | None,
                   text: str | None) -> None:
    """Set the root cause category and/or text (None leaves a part as it is)."""
    if category is not None:
        allowed = work.config.lifecycle.root_cause_categories
        if category not in allowed:
            raise FieldError(f"unknown root cause category {category!r}; use one of: "
                             f"{', '.join(allowed)}", field="root_cause_category")
    new_category = incident.root_cause_category if category is None else category
    new_text = incident.root_cause if text is None else text
    if (new_category, new_text) == (incident.root_cause_category, incident.root_cause):
        return
    incident.root_cause_category = new_category
    incident.root_cause = new_text
    note(work, incident, actor, f"Root cause ({new_category or 'uncategorised'}): "
         f"{new_text or '—'}", kind="root_cause", new=new_category,
         data={"category": new_category, "text": new_text})


def set_restored_at(work: Work, incident: Incident, actor: Actor, when: datetime) -> None:
    """Record when the service was restored for its users."""
    if when > work.now:
        raise FieldError("restoration time is in the future", field="restored_at")
    old = incident.restored_at
    if when == old:
        return
    incident.restored_at = when
    note(work, incident, actor, f"Service restored at {when:%Y-%m-%d %H:%M} UTC",
         kind="restored", old=_iso(old), new=_iso(when))
