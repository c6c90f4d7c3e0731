"""A built-in sample incident, to preview the mail templates without a database.

`incidentd templates render TYPE` uses it when no `--incident` is given; the
tests render every template with the full and the minimal sample.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from daemon.comms.context import build_context
from daemon.comms.digest import DIGEST
from daemon.config import Config

KEY = "INC-123"


def sample_incident(now: datetime, *, full: bool = True) -> dict[str, Any]:
    """An incident's plain values: every field set (`full`), or only the required ones."""
    start = now - timedelta(hours=2, minutes=10)
    values: dict[str, Any] = {
        "key": KEY, "title": "Card payments fail at checkout", "description": "",
        "status": "triaged", "severity": None, "priority": None, "impact": None,
        "urgency": None, "category": None, "service": None, "location": None,
        "reporter": None, "source": None, "integration": None, "lists": [], "labels": {},
        "assignee": None, "response_plan": None, "root_cause": None,
        "resolution_summary": None, "discovered_at": None, "reported_at": start,
        "triaged_at": start, "acknowledged_at": None, "contained_at": None,
        "resolved_at": None, "closed_at": None, "eta": None, "next_update_at": None,
        "updates_sent": 0, "cadence_seconds": None, "impact_statement": None,
        "dismiss_reason": None, "duplicate_of": None,
    }
    if full:
        values.update({
            "description": "Customers see 'payment declined' for every card payment.\n"
                           "Invoices and bank transfers work.",
            "status": "contained", "severity": "high", "priority": 1, "impact": "high",
            "urgency": "high", "category": "service disruption", "service": "payments",
            "location": "Frankfurt data centre", "reporter": "alertmanager",
            "source": "webhook", "integration": "alertmanager", "lists": ["oncall"],
            "assignee": "alice@example.org", "response_plan": "payments",
            "root_cause": "The gateway's TLS certificate expired.",
            "resolution_summary": "Renewed the certificate; payments flow again.",
            "acknowledged_at": start + timedelta(minutes=6),
            "contained_at": start + timedelta(minutes=40),
            "resolved_at": now - timedelta(minutes=5), "closed_at": now,
            "eta": now - timedelta(minutes=20), "next_update_at": now + timedelta(minutes=30),
            "updates_sent": 4,
            "impact_statement": "About 40 % of orders could not be paid for 2 hours.",
            "dismiss_reason": "duplicate of INC-122", "duplicate_of": "INC-122",
        })
    return values


def sample_timeline(now: datetime) -> list[dict[str, Any]]:
    """A few timeline entries of the full sample."""
    start = now - timedelta(hours=2, minutes=10)

    def entry(minutes: int, actor: str, kind: str, text: str = "", old: str | None = None,
              new: str | None = None) -> dict[str, Any]:
        return {"at": start + timedelta(minutes=minutes), "actor": actor, "kind": kind,
                "text": text, "old": old, "new": new}

    return [
        entry(0, "alertmanager", "opened", "Reported via webhook"),
        entry(6, "alice", "acknowledged", "Acknowledged by alice", new="alice"),
        entry(6, "alice", "status", "", old="triaged", new="responding"),
        entry(30, "bob", "investigation", "The gateway refuses our TLS handshake: expired"),
        entry(40, "bob", "containment", "Routed card payments through the backup gateway"),
        entry(40, "bob", "status", "Backup gateway carries the load", old="responding",
              new="contained"),
        entry(95, "alice", "eta", "Vendor renews the certificate", old=None,
              new=(now - timedelta(minutes=20)).isoformat()),
        entry(110, "alice", "note", "Waiting for the vendor's confirmation"),
    ]


def sample_context(config: Config, kind: str, now: datetime, *, full: bool = True
                   ) -> dict[str, Any]:
    """The template context of mail `kind` about the sample incident."""
    incident = sample_incident(now, full=full)
    if kind == DIGEST:
        items = []
        if full:
            items.append({**incident, "latest": sample_timeline(now)[-1],
                          "age_seconds": 7800.0, "eta_passed": True})
        return {"list_name": "oncall", "day": now.date().isoformat(), "incidents": items,
                "now": now, "timezone": config.digest.timezone,
                "contact": config.notify.contact, "mailbox": config.mailbox.addresses[0]}
    timeline = sample_timeline(now) if full else []
    context = build_context(config, incident, timeline, now=now,
                            since=now - timedelta(minutes=100) if full else None,
                            alerts={"total": 3 if full else 0, "firing": 1 if full else 0},
                            interval_seconds=1800.0)
    context["kind"] = kind
    return context
