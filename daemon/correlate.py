"""Correlate: decide whether a report opens an incident or joins an existing one.

In this order: the same dedup key as an alert on an open incident; a reply to a
mail we sent (In-Reply-To/References) or an `[INC-n]` tag in the subject; the
same group key as an open incident reported within the grouping window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from daemon.store import repo
from daemon.store.models import Alert, Incident, Outbox, parse_incident_key
from daemon.work import Work
from parsers import Report

SUBJECT_TAG = re.compile(r"\[(INC-\d{1,18})\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Match:
    """What a report belongs to; both None for a new incident."""

    incident: Incident | None
    alert: Alert | None
    reason: str


NO_MATCH = Match(None, None, "new")


def scoped_group_key(scope: str, report: Report) -> str | None:
    """Group keys are only meaningful within one integration (or channel)."""
    return f"{scope}:{report.group_key}" if report.group_key else None


def correlate(work: Work, report: Report, *, scope: str, integration: str | None) -> Match:
    """Find the alert and/or incident `report` belongs to."""
    if report.dedup_key:
        alert = repo.get_open_alert(work.session, integration=integration,
                                    dedup_key=report.dedup_key)
        if alert is not None:
            return Match(repo.get_incident(work.session, incident_id=alert.incident_id), alert,
                         "dedup key")
    if report.email is not None:
        incident = _thread(work, report)
        if incident is not None:
            return Match(incident, None, "reply")
    group_key = scoped_group_key(scope, report)
    if group_key:
        incident = repo.get_open_incident_by_group(
            work.session, group_key=group_key, since=work.now - work.config.correlate.group_window)
        if incident is not None:
            return Match(incident, None, "group key")
    return NO_MATCH


def _thread(work: Work, report: Report) -> Incident | None:
    """A reply to one of our mails, or a subject tagged with an incident key."""
    assert report.email is not None
    ids = [*report.email.in_reply_to, *reversed(report.email.references)]
    if ids:
        query = select(Outbox.incident_id).where(Outbox.message_id.in_(ids),
                                                 Outbox.incident_id.is_not(None)).limit(1)
        incident_id = work.session.scalar(query)
        if incident_id is not None:
            return repo.get_incident(work.session, incident_id=incident_id)
    for tag in SUBJECT_TAG.findall(report.email.subject):
        number = parse_incident_key(tag)
        if number is not None and (incident := repo.get_incident(work.session,
                                                                 incident_id=number)):
            return incident
    return None
