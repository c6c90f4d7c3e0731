"""What stakeholders must be told, and when.

Immediately: an opening notice, a resolution notice, and an update when the
status, priority, severity or ETA changes. Periodically: a status update at the
cadence of the priority while the incident is open. One unit of work sends at
most one mail per incident (the newest state says it all).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from daemon.comms.context import mail_context
from daemon.comms.outbox import enqueue
from daemon.comms.render import Renderer
from daemon.comms.team import send_plan_mails
from daemon.store import repo
from daemon.store.models import Incident, IncidentStatus
from daemon.work import Event, EventKind, Work


class MessageKind(StrEnum):
    """The mails incidentd sends about an incident."""

    OPENED = "opened"
    UPDATE = "update"
    RESOLVED = "resolved"


def recipients_for(work: Work, incident: Incident) -> list[str]:
    """Everyone on the incident's stakeholder lists, each once, in a stable order."""
    seen: dict[str, None] = {}
    for name in incident.lists or []:
        for address in work.config.lists.get(name, []):
            seen.setdefault(address.lower(), None)
    return list(seen)


def _describe(event: Event) -> str:
    if event.kind is EventKind.STATUS:
        return f"Status changed from {event.old} to {event.new} by {event.actor.name}"
    if event.kind in (EventKind.PRIORITY, EventKind.SEVERITY, EventKind.ETA):
        return f"{event.kind.value.capitalize()} changed from {event.old or '—'} to " \
               f"{event.new or '—'} by {event.actor.name}"
    return f"{event.kind.value} by {event.actor.name}"


def plan(events: Sequence[Event]) -> list[tuple[Incident, MessageKind, list[str]]]:
    """Coalesce this unit of work's events into at most one mail per incident."""
    by_incident: dict[int, tuple[Incident, list[Event]]] = {}
    for event in events:
        if event.kind in (EventKind.NOTE, EventKind.ALERT, EventKind.PLAN):
            continue  # shown in the next update (a plan's team gets its own mail)
        by_incident.setdefault(event.incident.id, (event.incident, []))[1].append(event)
    result = []
    for incident, incident_events in by_incident.values():
        kinds = {e.kind for e in incident_events}
        if EventKind.OPENED in kinds:
            kind = MessageKind.OPENED
        elif incident.status == IncidentStatus.RESOLVED and any(
                e.kind is EventKind.STATUS and e.new == IncidentStatus.RESOLVED
                for e in incident_events):
            kind = MessageKind.RESOLVED
        else:
            kind = MessageKind.UPDATE
        result.append((incident, kind, [_describe(e) for e in incident_events
                                        if e.kind is not EventKind.OPENED]))
    return result


def dispatch(work: Work, renderer: Renderer) -> int:
    """Turn the events of `work` into outbox messages; return how many were queued."""
    queued = 0
    for incident, kind, changes in plan(work.events):
        if send(work, renderer, incident, kind, changes=changes):
            queued += 1
            if kind is MessageKind.UPDATE and incident.is_open:
                _reschedule(work, incident)
    queued += send_plan_mails(work, renderer)
    work.events.clear()
    return queued


def send(work: Work, renderer: Renderer, incident: Incident, kind: MessageKind, *,
         changes: Sequence[str] = (), since: datetime | None = None) -> bool:
    """Render and queue one mail to the incident's stakeholders (False if none)."""
    recipients = recipients_for(work, incident)
    if not recipients:
        return False
    context = mail_context(work, incident, changes=changes,
                           since=since or incident.last_update_at)
    context["kind"] = kind.value
    enqueue(work, incident, kind.value, renderer.render(kind.value, context), recipients)
    incident.last_update_at = work.now
    incident.updates_sent += 1
    return True


def _reschedule(work: Work, incident: Incident) -> None:
    interval = work.config.cadence.for_priority(incident.priority or 4)
    if incident.update_interval_seconds:  # a response plan's cadence
        interval = timedelta(seconds=incident.update_interval_seconds)
    incident.next_update_at = work.now + interval


def send_due_updates(work: Work, renderer: Renderer, *, limit: int = 100) -> int:
    """Queue the periodic status update of every incident that is due; return the count.

    The next update is scheduled from now, so a daemon that was down for
    several intervals sends one catch-up update, not one per missed interval.
    """
    due = repo.claim_due_updates(work.session, now=work.now, limit=limit)
    for incident in due:
        send(work, renderer, incident, MessageKind.UPDATE)
        _reschedule(work, incident)
    return len(due)
