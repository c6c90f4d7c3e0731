"""What stakeholders must be told, and when.

Immediately, in the transaction of the change:

- an opening notice when an incident is opened;
- an update when the status (responding, contained, reopened), the priority,
  the severity or the ETA changes;
- a resolution notice (with duration and summary) when it is resolved;
- a short closure notice when a resolved incident is closed, and a short
  dismissal notice when it is dismissed (pointing to the incident it
  duplicates): the last mail in each case, and neither promises more.

Periodically, while the incident is open: a status update at the incident's
cadence (`daemon.comms.cadence`), or a short *holding* update when nothing
happened since the last mail. One unit of work sends at most one mail per
incident (the newest state says it all); after resolution, only closing,
dismissing or reopening mails anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from daemon.comms.cadence import schedule_next
from daemon.comms.context import has_news, mail_context
from daemon.comms.outbox import enqueue
from daemon.comms.recipients import deliveries
from daemon.comms.render import Renderer
from daemon.comms.team import send_plan_mails
from daemon.store import repo
from daemon.store.models import Incident, IncidentStatus
from daemon.work import Event, EventKind, Work

S = IncidentStatus


class MessageKind(StrEnum):
    """The mails incidentd sends about an incident (each has its templates)."""

    OPENED = "opened"
    UPDATE = "update"
    HOLDING = "holding"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DISMISSED = "dismissed"


# Status events that end the incident's mail, with the notice each sends.
FINAL = {S.RESOLVED: MessageKind.RESOLVED, S.CLOSED: MessageKind.CLOSED,
         S.DISMISSED: MessageKind.DISMISSED}
# Events worth a mail of their own; the rest show in the next update.
IMMEDIATE = frozenset({EventKind.OPENED, EventKind.STATUS, EventKind.PRIORITY,
                       EventKind.SEVERITY, EventKind.ETA})


@dataclass(frozen=True, slots=True)
class Planned:
    """One mail to queue."""

    incident: Incident
    kind: MessageKind


def choose(incident: Incident, events: Sequence[Event]) -> MessageKind | None:
    """The one mail this unit of work's `events` about `incident` call for, if any."""
    kinds = {e.kind for e in events}
    if not kinds & IMMEDIATE:
        return None
    if EventKind.OPENED in kinds:
        return MessageKind.OPENED
    reached = [S(e.new) for e in events if e.kind is EventKind.STATUS]
    final = FINAL.get(S(incident.status))
    if final is not None:
        # a resolved incident is only mailed about when it is closed or dismissed
        return final if S(incident.status) in reached else None
    return MessageKind.UPDATE


def plan(events: Sequence[Event]) -> list[Planned]:
    """Coalesce this unit of work's events into at most one mail per incident."""
    by_incident: dict[int, tuple[Incident, list[Event]]] = {}
    for event in events:
        by_incident.setdefault(event.incident.id, (event.incident, []))[1].append(event)
    result = []
    for incident, incident_events in by_incident.values():
        kind = choose(incident, incident_events)
        if kind is not None:
            result.append(Planned(incident, kind))
    return result


def dispatch(work: Work, renderer: Renderer) -> int:
    """Turn the events of `work` into outbox messages; return how many were queued."""
    queued = 0
    for planned in plan(work.events):
        if planned.kind is MessageKind.UPDATE:
            # the update says when the next one comes: schedule it before rendering
            schedule_next(work.config, planned.incident, work.now)
        queued += send(work, renderer, planned.incident, planned.kind)
    queued += send_plan_mails(work, renderer)  # a plan's team gets its own mail
    work.events.clear()
    return queued


def send(work: Work, renderer: Renderer, incident: Incident, kind: MessageKind, *,
         since: datetime | None = None) -> bool:
    """Render and queue one mail to the incident's stakeholders (False if none)."""
    copies = deliveries(work.config, incident, work.now)
    if not copies:
        return False
    context = mail_context(work, incident, since=since or incident.last_update_at)
    context["kind"] = kind.value
    enqueue(work, incident, kind.value, renderer.render(kind.value, context), copies)
    incident.last_update_at = work.now
    incident.updates_sent += 1
    return True


def send_due_updates(work: Work, renderer: Renderer, *, limit: int = 100) -> int:
    """Queue the periodic status update of every incident that is due; return the count.

    The next update is scheduled from now, so a daemon that was down for
    several intervals sends one catch-up update, not one per missed interval.
    """
    due = repo.claim_due_updates(work.session, now=work.now, limit=limit)
    for incident in due:
        timeline = [{"at": e.at, "kind": e.kind}
                    for e in repo.get_timeline(work.session, incident_id=incident.id)]
        news = has_news(timeline, incident.last_update_at)
        schedule_next(work.config, incident, work.now)
        send(work, renderer, incident, MessageKind.UPDATE if news else MessageKind.HOLDING)
    return len(due)
