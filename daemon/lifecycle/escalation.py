"""Escalation: mail a plan's escalation list when nobody acknowledged the incident in time.

Activating a plan with `acknowledge_within` sets `incident.escalate_at`. The
scheduler calls `escalate_due` periodically; each due incident is claimed
(SKIP LOCKED on PostgreSQL, so two daemons never both take it), stamped
`escalated_at` in the same transaction as its mail is queued, and so
escalated once. Acknowledging first (or a person moving the incident on,
which counts as acknowledging) means it is not escalated at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from daemon.comms import Renderer
from daemon.comms.team import expand, send_escalation
from daemon.lifecycle.timeline import record
from daemon.store import repo
from daemon.store.models import OPEN_STATUSES, Incident
from daemon.work import SYSTEM, Work


def claim_due_escalations(work: Work, *, limit: int = 50) -> Sequence[Incident]:
    """Open incidents past their acknowledgement deadline, not escalated yet, locked."""
    query = (select(Incident)
             .where(Incident.escalate_at <= work.now, Incident.escalated_at.is_(None),
                    Incident.status.in_(OPEN_STATUSES))
             .order_by(Incident.escalate_at).limit(limit))
    if repo.skip_locked(work.session):
        query = query.with_for_update(skip_locked=True)
    return work.session.scalars(query).all()


def escalate_due(work: Work, renderer: Renderer) -> int:
    """Queue the escalation mail of every due, unacknowledged incident; return how many."""
    sent = 0
    for incident in claim_due_escalations(work):
        incident.escalated_at = work.now
        if incident.acknowledged_at is not None:
            continue  # acknowledged in time; nothing to do (stamped so it is not asked again)
        plan = work.config.plans.get(incident.response_plan or "")
        if plan is None:
            record(work, incident, SYSTEM, "escalated",
                   f"Not acknowledged in time, but plan {incident.response_plan} is no longer "
                   "configured; nobody to escalate to")
            continue
        recipients = expand(work.config, plan.escalate_to)
        if recipients:
            send_escalation(work, renderer, incident, incident.response_plan or "", recipients)
            sent += 1
        record(work, incident, SYSTEM, "escalated",
               f"Not acknowledged by {incident.escalate_at:%Y-%m-%d %H:%M} UTC; escalated to "
               f"{', '.join(recipients) or 'nobody (empty escalation list)'}",
               new=", ".join(recipients) or None,
               data={"plan": incident.response_plan, "recipients": recipients})
    return sent
