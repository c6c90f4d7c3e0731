"""What templates see: plain values about an incident, never ORM objects.

`mail_context` gathers them from the store; `build_context` turns plain
values into the template context, so that previews of a sample incident
(`daemon.comms.sample`) render through exactly the same path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from daemon.comms.cadence import update_interval
from daemon.config import Config
from daemon.store import repo
from daemon.store.models import Incident, Timeline
from daemon.work import Work

# Timeline entries that change a fact shown in the mail ("what changed").
FIELD_KINDS = frozenset({
    "status", "priority", "severity", "impact", "urgency", "eta", "assigned", "title",
    "category", "service", "location", "services", "impact_statement", "resolution_summary",
    "root_cause", "restored", "cadence",
})
# What people did about it ("actions taken").
ACTION_KINDS = frozenset({"containment", "investigation", "acknowledged", "task", "action"})
# Bookkeeping stakeholders need not hear about; it does not count as news either.
INTERNAL_KINDS = frozenset({"recipients", "reminder", "opened", "triaged", "review"})

LABELS = {
    "eta": "ETA", "assigned": "Assignee", "services": "Affected services",
    "impact_statement": "Impact", "resolution_summary": "Resolution",
    "root_cause": "Root cause", "restored": "Service restored", "cadence": "Update interval",
}


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
        "cadence_seconds": incident.cadence_seconds,
        "impact_statement": incident.impact_statement,
        "dismiss_reason": incident.dismiss_reason,
        "duplicate_of": f"INC-{incident.duplicate_of_id}" if incident.duplicate_of_id else None,
    }


def entry_values(entry: Timeline) -> dict[str, Any]:
    """A timeline entry as plain values."""
    return {"at": entry.at, "actor": entry.actor, "kind": entry.kind, "text": entry.text,
            "old": entry.old, "new": entry.new}


def _readable(value: str | None, zone: str) -> str | None:
    """Times on the timeline are ISO 8601; mails show them like every other time."""
    if not value or len(value) < 16 or value[4] != "-" or "T" not in value:
        return value
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    if when.tzinfo is None:
        return value
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def describe_change(entry: Mapping[str, Any], zone: str = "UTC") -> str:
    """One sentence for a field change on the timeline."""
    label = LABELS.get(entry["kind"], entry["kind"].replace("_", " ").capitalize())
    old, new = _readable(entry["old"], zone), _readable(entry["new"], zone)
    if entry["kind"] == "root_cause":
        return f"{label}: {entry['text']}"
    if old and new:
        sentence = f"{label} changed from {old} to {new}"
    elif new:
        sentence = f"{label} set to {new}"
    else:
        sentence = f"{label} cleared"
    why = (entry["text"] or "").strip()
    return f"{sentence} by {entry['actor']}" + (f": {why}" if why else "")


def has_news(entries: Sequence[Mapping[str, Any]], since: datetime | None) -> bool:
    """True when something stakeholders care about happened after `since`."""
    return any(e["kind"] not in INTERNAL_KINDS and (since is None or e["at"] > since)
               for e in entries)


def build_context(config: Config, incident: Mapping[str, Any],
                  timeline: Sequence[Mapping[str, Any]], *, now: datetime,
                  since: datetime | None, alerts: Mapping[str, int],
                  interval_seconds: float) -> dict[str, Any]:
    """The template context from plain values."""
    recent = [e for e in timeline if since is None or e["at"] > since]
    duration = None
    if incident["resolved_at"] is not None:
        duration = (incident["resolved_at"] - incident["reported_at"]).total_seconds()
    return {
        "incident": dict(incident),
        "changes": [describe_change(e, config.notify.timezone) for e in recent
                    if e["kind"] in FIELD_KINDS],
        "news": [dict(e) for e in recent
                 if e["kind"] not in FIELD_KINDS and e["kind"] not in INTERNAL_KINDS][-15:],
        "actions_taken": [dict(e) for e in timeline if e["kind"] in ACTION_KINDS][-10:],
        "since": since,
        "alerts": dict(alerts),
        "now": now,
        "eta_passed": incident["eta"] is not None and incident["eta"] < now,
        "duration_seconds": duration,
        "interval_seconds": interval_seconds,
        "mailbox": config.mailbox.addresses[0],
        "contact": config.notify.contact,
        "instructions": config.instructions.for_incident(
            plan=incident["response_plan"], category=incident["category"]),
        "timezone": config.notify.timezone,
    }


def mail_context(work: Work, incident: Incident, *, since: datetime | None = None
                 ) -> dict[str, Any]:
    """Everything a mail template may use about `incident`, from the store."""
    timeline = [entry_values(e) for e in repo.get_timeline(work.session,
                                                           incident_id=incident.id)]
    alerts = repo.get_alerts(work.session, incident_id=incident.id)
    counts = {"total": len(alerts), "firing": sum(1 for a in alerts if a.status != "resolved")}
    return build_context(work.config, incident_values(incident), timeline, now=work.now,
                         since=since, alerts=counts,
                         interval_seconds=update_interval(work.config,
                                                          incident).total_seconds())
