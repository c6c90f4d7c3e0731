"""Incidents, timeline entries, tasks and reviews as plain dicts (API, CLI, templates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from daemon.comms.context import incident_values
from daemon.store.models import (
    INCIDENT_KEY_PREFIX,
    Alert,
    Incident,
    Report,
    Review,
    StoredAttachment,
    Task,
    Timeline,
)


def incident_json(incident: Incident) -> dict[str, Any]:
    """Everything about the incident itself (not its alerts or timeline)."""
    data = incident_values(incident)
    data.update({
        "acknowledged_by": incident.acknowledged_by,
        "responding_at": incident.responding_at,
        "dismissed_at": incident.dismissed_at,
        "dismiss_reason": incident.dismiss_reason,
        "duplicate_of": (f"{INCIDENT_KEY_PREFIX}{incident.duplicate_of_id}"
                         if incident.duplicate_of_id else None),
        "impact_statement": incident.impact_statement,
        "affected_services": list(incident.affected_services or []),
        "root_cause_category": incident.root_cause_category,
        "restored_at": incident.restored_at,
        "priority_manual": bool(incident.priority_manual),
        "escalate_at": incident.escalate_at,
        "escalated_at": incident.escalated_at,
    })
    return data


def timeline_json(entry: Timeline) -> dict[str, Any]:
    """One timeline entry."""
    return {"id": entry.id, "at": entry.at, "actor": entry.actor, "source": entry.source,
            "kind": entry.kind, "old": entry.old, "new": entry.new, "text": entry.text,
            "data": entry.data}


def task_json(task: Task, now: datetime) -> dict[str, Any]:
    """One task; `overdue` when open past its due date."""
    return {"id": task.id, "incident": f"{INCIDENT_KEY_PREFIX}{task.incident_id}",
            "kind": task.kind, "title": task.title, "owner": task.owner, "due_at": task.due_at,
            "state": task.state, "created_at": task.created_at, "created_by": task.created_by,
            "done_at": task.done_at,
            "overdue": task.state == "open" and task.due_at is not None and task.due_at < now}


def review_json(review: Review | None) -> dict[str, Any]:
    """The review's content (empty when none was started)."""
    if review is None:
        return {"findings": "", "went_well": "", "went_badly": "", "recommendations": [],
                "completed": False, "completed_at": None, "completed_by": None,
                "created_at": None, "updated_at": None}
    return {"findings": review.findings, "went_well": review.went_well,
            "went_badly": review.went_badly,
            "recommendations": [dict(r) for r in review.recommendations or []],
            "completed": review.completed_at is not None,
            "completed_at": review.completed_at, "completed_by": review.completed_by,
            "created_at": review.created_at, "updated_at": review.updated_at}


def alert_json(alert: Alert) -> dict[str, Any]:
    """One alert."""
    return {"dedup_key": alert.dedup_key, "integration": alert.integration,
            "status": alert.status, "title": alert.title, "severity": alert.severity,
            "count": alert.count, "first_seen": alert.first_seen, "last_seen": alert.last_seen,
            "resolved_at": alert.resolved_at, "flapping": bool(alert.flapping)}


def report_json(report: Report) -> dict[str, Any]:
    """One parsed report that fed the incident."""
    return {"id": report.id, "intake_id": report.intake_id, "source": report.source,
            "status": report.status, "title": report.title, "sender": report.sender,
            "occurred_at": report.occurred_at, "received_at": report.received_at,
            "outcome": report.outcome}


def attachment_json(attachment: StoredAttachment, report: Report) -> dict[str, Any]:
    """One attachment's metadata and where to download it (the data itself never inline)."""
    key = f"{INCIDENT_KEY_PREFIX}{attachment.incident_id}"
    return {"id": attachment.id, "filename": attachment.filename,
            "content_type": attachment.content_type, "size": attachment.size,
            "sha256": attachment.sha256, "truncated": attachment.truncated,
            "report_id": report.id, "sender": report.sender,
            "received_at": report.received_at,
            "url": f"/api/v1/incidents/{key}/attachments/{attachment.id}"}
