"""What templates see: plain values about an incident, never ORM objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from daemon.store import repo
from daemon.store.models import Incident
from daemon.work import Work


def incident_values(incident: Incident) -> dict[str, Any]:
    """The incident's fields as a dict (also the API's representation)."""
    return {
        "key": incident.key,
        "title": incident.title,
        "description": incident.description,
        "status": incident.status,
        "severity": incident.severity,
        "priority": incident.priority,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "category": incident.category,
        "service": incident.service,
        "location": incident.location,
        "reporter": incident.reporter,
        "source": incident.source,
        "integration": incident.integration,
        "lists": list(incident.lists or []),
        "labels": dict(incident.labels or {}),
        "assignee": incident.assignee,
        "response_plan": incident.response_plan,
        "root_cause": incident.root_cause,
        "resolution_summary": incident.resolution_summary,
        "discovered_at": incident.discovered_at,
        "reported_at": incident.reported_at,
        "triaged_at": incident.triaged_at,
        "acknowledged_at": incident.acknowledged_at,
        "contained_at": incident.contained_at,
        "resolved_at": incident.resolved_at,
        "closed_at": incident.closed_at,
        "eta": incident.eta,
        "next_update_at": incident.next_update_at,
        "updates_sent": incident.updates_sent,
    }


def mail_context(
    work: Work,
    incident: Incident,
    *,
    changes: Sequence[str] = (),
    since: datetime | None = None,
) -> dict[str, Any]:
    """Everything a mail template may use."""
    timeline = repo.get_timeline(work.session, incident_id=incident.id)
    recent = [entry for entry in timeline if since is None or entry.at > since]
    alerts = repo.get_alerts(work.session, incident_id=incident.id)
    duration = None
    if incident.resolved_at is not None:
        duration = (incident.resolved_at - incident.reported_at).total_seconds()
    return {
        "incident": incident_values(incident),
        "changes": list(changes),
        "actions": [{"at": e.at, "actor": e.actor, "kind": e.kind, "text": e.text,
                     "old": e.old, "new": e.new} for e in recent[-15:]],
        "alerts": {"total": len(alerts),
                   "firing": sum(1 for a in alerts if a.status != "resolved")},
        "now": work.now,
        "eta_passed": incident.eta is not None and incident.eta < work.now,
        "duration_seconds": duration,
        "mailbox": work.config.mailbox.addresses[0],
    }
