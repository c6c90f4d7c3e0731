"""Reminders that a resolved P1/P2 incident still has no completed review.

The scheduler calls `remind_reviews` periodically; each incident is
reminded once (`review_reminded_at`), and on PostgreSQL the rows are
claimed with SKIP LOCKED so that two daemons never both send it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from daemon.comms import Renderer
from daemon.comms.review import send_review_reminder
from daemon.lifecycle.gates import DESCRIPTIONS, missing_for
from daemon.lifecycle.timeline import record
from daemon.store import repo
from daemon.store.models import Incident, IncidentStatus, Review
from daemon.work import SYSTEM, Work


def claim_due_reminders(work: Work, *, limit: int = 50) -> Sequence[Incident]:
    """Resolved gated incidents past the reminder delay, without a completed review."""
    config = work.config.lifecycle
    if not config.review_reminders or not config.gated_priorities:
        return []
    completed = exists(select(Review.id).where(Review.incident_id == Incident.id,
                                               Review.completed_at.is_not(None)))
    query = (select(Incident)
             .where(Incident.status == IncidentStatus.RESOLVED,
                    Incident.priority.in_(config.gated_priorities),
                    Incident.resolved_at <= work.now - config.review_reminder_after,
                    Incident.review_reminded_at.is_(None), ~completed)
             .order_by(Incident.resolved_at).limit(limit))
    session: Session = work.session
    if repo.skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


def remind_reviews(work: Work, renderer: Renderer) -> int:
    """Queue one reminder per due incident; return how many were queued."""
    sent = 0
    for incident in claim_due_reminders(work):
        missing = [DESCRIPTIONS[m] for m in missing_for(work, incident, IncidentStatus.CLOSED)]
        recipients = send_review_reminder(work, renderer, incident, missing)
        # stamped even without recipients: there is nobody to remind, and asking
        # again every tick would not change that
        incident.review_reminded_at = work.now
        record(work, incident, SYSTEM, "reminder",
               f"Review reminder sent to {', '.join(recipients)}" if recipients
               else "Review due, but nobody to remind (no assignee address, no lists)")
        sent += bool(recipients)
    return sent
