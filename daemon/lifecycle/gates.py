"""SOP gates: what must be on record before an incident may enter a status.

They apply to the priorities in `[lifecycle] gated_priorities` (P1 and P2 by
default): `contained` needs a containment note; `closed` needs a root cause
(category and text), a resolution summary and a completed post-incident review.
"""

from __future__ import annotations

from sqlalchemy import func, select

from daemon.lifecycle.errors import GateError
from daemon.store.models import Incident, IncidentStatus, Review, Timeline
from daemon.work import Work

# What is missing → how to say it.
DESCRIPTIONS = {
    "containment": "a containment note (what was done to contain it)",
    "root_cause_category": "a root cause category",
    "root_cause": "a root cause",
    "resolution_summary": "a resolution summary",
    "review": "a completed post-incident review",
}


def has_containment(work: Work, incident: Incident) -> bool:
    """True when at least one containment action is on the timeline."""
    query = select(func.count()).select_from(Timeline).where(
        Timeline.incident_id == incident.id, Timeline.kind == "containment")
    return bool(work.session.scalar(query))


def review_completed(work: Work, incident: Incident) -> bool:
    """True when the incident's review is marked complete."""
    query = select(Review.completed_at).where(Review.incident_id == incident.id)
    return work.session.scalar(query) is not None


def missing_for(work: Work, incident: Incident, new: IncidentStatus) -> list[str]:
    """What the gates of `new` still need for this incident (empty when none apply)."""
    if not work.config.lifecycle.gated(incident.priority):
        return []
    missing = []
    if new is IncidentStatus.CONTAINED and not has_containment(work, incident):
        missing.append("containment")
    if new is IncidentStatus.CLOSED:
        if not incident.root_cause_category:
            missing.append("root_cause_category")
        if not (incident.root_cause or "").strip():
            missing.append("root_cause")
        if not (incident.resolution_summary or "").strip():
            missing.append("resolution_summary")
        if not review_completed(work, incident):
            missing.append("review")
    return missing


def check_gates(work: Work, incident: Incident, new: IncidentStatus) -> None:
    """Raise `GateError` naming everything that is missing for `new`."""
    missing = missing_for(work, incident, new)
    if missing:
        needs = ", ".join(DESCRIPTIONS[m] for m in missing)
        raise GateError(f"cannot change status to {new}: a P{incident.priority} incident "
                        f"first needs {needs}", missing)
