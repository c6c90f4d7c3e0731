"""Timeline entries: every change of an incident, with who, when, what and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from daemon.store.models import Incident, Timeline
from daemon.work import Actor, Event, EventKind, Work


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


def add_note(work: Work, incident: Incident, actor: Actor, text: str,
             *, kind: str = "note", data: Mapping[str, Any] | None = None) -> None:
    """Add a note (a report, an alert change, a comment) to the timeline."""
    incident.updated_at = work.now
    record(work, incident, actor, kind, text, data=data)


def note(work: Work, incident: Incident, actor: Actor, text: str, *,
         kind: str = "note", old: Any = None, new: Any = None,
         data: Mapping[str, Any] | None = None) -> None:
    """A change stakeholders see in the next update, not in a mail of its own."""
    incident.updated_at = work.now
    record(work, incident, actor, kind, text, old=old, new=new, data=data)
    work.emit(Event(EventKind.NOTE, incident, actor, old=old, new=new))
