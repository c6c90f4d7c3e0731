"""Metrics across incidents: counts, MTTA, MTTR, time to contain, update cadence, open ages."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.comms.cadence import update_interval
from daemon.config import Config
from daemon.reporting.phases import UPDATE_KINDS, adherence, mean_median
from daemon.store.models import OPEN_STATUSES, Incident, Outbox, OutboxState

# Open incidents by how long ago they were reported: (label, upper bound).
AGE_BUCKETS = (
    ("under 1h", timedelta(hours=1)),
    ("1h-4h", timedelta(hours=4)),
    ("4h-24h", timedelta(days=1)),
    ("1d-7d", timedelta(days=7)),
    ("over 7d", None),
)


def _count(values: list[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _age_bucket(age: timedelta) -> str:
    for label, bound in AGE_BUCKETS:
        if bound is None or age < bound:
            return label
    raise AssertionError("the last bucket has no bound")


def compute_stats(session: Session, config: Config, *, now: datetime,
                  since: datetime) -> dict[str, Any]:
    """Metrics over the incidents reported since `since`, plus all open incidents by age."""
    incidents = session.scalars(select(Incident).where(Incident.reported_at >= since)
                                .order_by(Incident.id)).all()
    mails: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    query = (select(Outbox.incident_id, Outbox.kind, Outbox.created_at)
             .join(Incident, Outbox.incident_id == Incident.id)
             .where(Incident.reported_at >= since, Outbox.kind.in_(UPDATE_KINDS),
                    Outbox.state != OutboxState.FAILED))
    for incident_id, kind, at in session.execute(query):
        if incident_id is not None:
            mails[incident_id].append((kind, at))
    due = on_time = 0
    for incident in incidents:
        result = adherence(incident, mails.get(incident.id, []),
                           interval=update_interval(config, incident),
                           grace=config.lifecycle.update_grace, now=now)
        if result is not None:
            due += result.due
            on_time += result.on_time
    open_ages = session.scalars(select(Incident.reported_at)
                                .where(Incident.status.in_(OPEN_STATUSES))).all()
    buckets = dict.fromkeys((label for label, _ in AGE_BUCKETS), 0)
    for reported_at in open_ages:
        buckets[_age_bucket(now - reported_at)] += 1

    def spans(attribute: str) -> list[float]:
        return [(getattr(i, attribute) - i.reported_at).total_seconds() for i in incidents
                if getattr(i, attribute) is not None]

    return {
        "since": since,
        "until": now,
        "incidents": len(incidents),
        "by_status": _count([i.status for i in incidents]),
        "by_severity": _count([i.severity or "unknown" for i in incidents]),
        "by_priority": _count([f"P{i.priority}" if i.priority else "unknown"
                               for i in incidents]),
        "by_category": _count([i.category or "uncategorised" for i in incidents]),
        "by_source": _count([i.source or "unknown" for i in incidents]),
        "mtta_seconds": mean_median(spans("acknowledged_at")),
        "mttr_seconds": mean_median(spans("resolved_at")),
        "time_to_contain_seconds": mean_median(spans("contained_at")),
        "updates": {"due": due, "on_time": on_time,
                    "percent_on_time": round(100.0 * on_time / due, 1) if due else None},
        "open_by_age": buckets,
        "open": len(open_ages),
    }
