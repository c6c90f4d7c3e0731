"""The post-incident review: findings, what went well and badly, recommendations.

A recommendation marked as an action item becomes a task (kind `action`)
and stays linked to it. A review is completed once the incident is resolved
and the findings are written; a completed review is one of the gates for
closing a P1/P2 incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.lifecycle.errors import FieldError
from daemon.lifecycle.tasks import add_task
from daemon.lifecycle.timeline import note
from daemon.store.models import Incident, IncidentStatus, Review, Task
from daemon.work import Actor, Work


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation:
    """One recommendation; `action_item` turns it into a task with owner and due date."""

    text: str
    action_item: bool = False
    owner: str | None = None
    due_at: datetime | None = None


def get_review(session: Session, *, incident_id: int) -> Review | None:
    """The incident's review, if one was started."""
    return session.scalars(select(Review).where(Review.incident_id == incident_id)).first()


def _review_for(work: Work, incident: Incident) -> Review:
    review = get_review(work.session, incident_id=incident.id)
    if review is None:
        review = Review(incident_id=incident.id, findings="", went_well="", went_badly="",
                        recommendations=[], created_at=work.now, updated_at=work.now)
        work.session.add(review)
    return review


def update_review(
    work: Work,
    incident: Incident,
    actor: Actor,
    *,
    findings: str | None = None,
    went_well: str | None = None,
    went_badly: str | None = None,
    recommendations: Sequence[Recommendation] | None = None,
    completed: bool | None = None,
) -> Review:
    """Write the review (None leaves a part as it is); `completed` marks it (un)done."""
    if incident.status == IncidentStatus.DISMISSED:
        raise FieldError(f"{incident.key} was dismissed; it has no review", field="key")
    review = _review_for(work, incident)
    if completed is False and incident.status == IncidentStatus.CLOSED:
        raise FieldError(f"{incident.key} is closed; its review stays complete",
                         field="completed")
    if findings is not None:
        review.findings = findings
    if went_well is not None:
        review.went_well = went_well
    if went_badly is not None:
        review.went_badly = went_badly
    if recommendations is not None:
        review.recommendations = _recommendations(work, incident, actor, review,
                                                  recommendations)
    review.updated_at = work.now
    text = "Post-incident review updated"
    if completed and review.completed_at is None:
        missing = []
        if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            missing.append(f"the incident resolved (it is {incident.status})")
        if not review.findings.strip():
            missing.append("findings")
        if missing:
            raise FieldError(f"the review cannot be completed yet; it needs "
                             f"{' and '.join(missing)}", field="completed")
        review.completed_at = work.now
        review.completed_by = actor.name
        text = "Post-incident review completed"
    elif completed is False and review.completed_at is not None:
        review.completed_at = None
        review.completed_by = None
        text = "Post-incident review reopened"
    note(work, incident, actor, text, kind="review")
    return review


def _recommendations(work: Work, incident: Incident, actor: Actor, review: Review,
                     given: Sequence[Recommendation]) -> list[dict[str, Any]]:
    # A recommendation keeps its task when its text is unchanged, so saving the
    # review again does not create the same action item twice.
    linked = {r.get("text"): r.get("task_id") for r in review.recommendations or []
              if r.get("task_id")}
    result = []
    for item in given:
        entry: dict[str, Any] = {"text": item.text, "task_id": linked.get(item.text)}
        if item.action_item and entry["task_id"] is None:
            task = add_task(work, incident, actor, item.text, kind="action",
                            owner=item.owner, due_at=item.due_at)
            entry["task_id"] = task.id
        result.append(entry)
    return result


def action_items(session: Session, *, incident_id: int) -> Sequence[Task]:
    """The review's action items (tasks of kind `action`)."""
    return session.scalars(select(Task).where(Task.incident_id == incident_id,
                                              Task.kind == "action")
                           .order_by(Task.id)).all()
