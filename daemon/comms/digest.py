"""The daily digest: the open incidents of each list, once a day at a set local time.

A list's digest holds the open incidents it is a stakeholder of (named on
the incident, filters passed). The day's digest of a list is claimed by
inserting its `digest_run` row: the unique key (list, day) lets exactly one
of several daemons send it. A daemon that was down at the digest time sends
the day's digest when it starts, but never one of an earlier day.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.comms.context import entry_values, incident_values
from daemon.comms.outbox import enqueue, immediately
from daemon.comms.recipients import lists_for
from daemon.comms.render import Renderer
from daemon.config import Config
from daemon.store import repo
from daemon.store.claims import DigestRun
from daemon.store.models import OPEN_STATUSES, Incident
from daemon.work import Work

log = logging.getLogger(__name__)

DIGEST = "digest"
# Timeline entries that say what is going on (the "latest" line of each incident).
NEWSWORTHY = ("note", "investigation", "containment", "status", "eta", "update", "alert")


def due_day(config: Config, now: datetime) -> date | None:
    """The local day whose digest is due at `now` (None before today's digest time)."""
    local = now.astimezone(ZoneInfo(config.digest.timezone))
    return local.date() if local.time().replace(tzinfo=None) >= config.digest.time else None


def already_sent(session: Session, *, list_name: str, day: date) -> bool:
    """True when the list's digest of `day` was claimed already."""
    query = select(DigestRun.id).where(DigestRun.list_name == list_name,
                                       DigestRun.day == day.isoformat())
    return session.scalar(query) is not None


def open_incidents_for(session: Session, config: Config, list_name: str) -> list[Incident]:
    """The open incidents `list_name` hears about, most urgent first."""
    incidents = session.scalars(select(Incident).where(Incident.status.in_(OPEN_STATUSES))
                                .order_by(Incident.priority, Incident.reported_at)).all()
    return [i for i in incidents if list_name in lists_for(config, i)]


def digest_context(work: Work, list_name: str, day: date,
                   incidents: list[Incident]) -> dict[str, Any]:
    """The template context of one list's digest."""
    items = []
    for incident in incidents:
        values = incident_values(incident)
        timeline = repo.get_timeline(work.session, incident_id=incident.id)
        latest = [e for e in timeline if e.kind in NEWSWORTHY and e.text]
        values["latest"] = entry_values(latest[-1]) if latest else None
        values["age_seconds"] = (work.now - incident.reported_at).total_seconds()
        values["eta_passed"] = incident.eta is not None and incident.eta < work.now
        items.append(values)
    return {"list_name": list_name, "day": day.isoformat(), "incidents": items,
            "now": work.now, "timezone": work.config.digest.timezone,
            "contact": work.config.notify.contact, "mailbox": work.config.mailbox.addresses[0]}


def send_digest(work: Work, renderer: Renderer, list_name: str, day: date,
                instance: str) -> bool:
    """Claim and queue `list_name`'s digest of `day`; False when there is nothing to send.

    The claim row is added even when nothing is sent, so that the decision is
    made once a day. A concurrent claim fails at commit (unique key): the
    caller rolls the whole unit back, mail included.
    """
    incidents = open_incidents_for(work.session, work.config, list_name)
    work.session.add(DigestRun(list_name=list_name, day=day.isoformat(), instance=instance,
                               incidents=len(incidents), created_at=work.now))
    work.session.flush()  # the unique key is checked here, before any mail is queued
    addresses = [a for a in work.config.lists[list_name].addresses]
    if not addresses or (not incidents and not work.config.digest.send_empty):
        return False
    mail = renderer.render(DIGEST, digest_context(work, list_name, day, incidents))
    enqueue(work, None, DIGEST, mail, immediately(work, addresses))
    log.info("digest for %s of %s queued: %d incident(s), %d recipient(s)", list_name, day,
             len(incidents), len(addresses))
    return True
