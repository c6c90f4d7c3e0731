"""Queries, keyword-only and named for what they return. Helpers never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, defer

from daemon.store.models import (
    OPEN_STATUSES,
    Alert,
    AutoReply,
    Incident,
    IncidentStatus,
    Intake,
    IntakeStatus,
    Outbox,
    OutboxState,
    Report,
    StoredAttachment,
    Timeline,
)

CHUNK = 500  # bound IN lists; Alertmanager can send thousands of alerts at once


def skip_locked(session: Session) -> bool:
    """PostgreSQL claims rows with FOR UPDATE SKIP LOCKED; SQLite has one writer anyway."""
    return session.get_bind().dialect.name == "postgresql"


def get_accepted_intake_ids(session: Session, *, after_id: int = 0, limit: int = 100
                            ) -> Sequence[int]:
    """Ids of intake rows still waiting for the pipeline, in received order."""
    query = (select(Intake.id).where(Intake.status == IntakeStatus.ACCEPTED,
                                     Intake.id > after_id)
             .order_by(Intake.id).limit(limit))
    return session.scalars(query).all()


# The pipeline's per-row queries are built once: building a statement and its
# cache key costs more than running it on a small store. Values come as bind
# parameters ("expanding" ones for IN lists).
_CLAIM = select(Intake).where(Intake.id == bindparam("intake_id"),
                              Intake.status == IntakeStatus.ACCEPTED)
_CLAIM_SKIP_LOCKED = _CLAIM.with_for_update(skip_locked=True)


def claim_intake(session: Session, *, intake_id: int) -> Intake | None:
    """Lock an accepted intake row for processing; None if gone or taken."""
    query = _CLAIM_SKIP_LOCKED if skip_locked(session) else _CLAIM
    return session.scalars(query, {"intake_id": intake_id}).first()


def get_incident(session: Session, *, incident_id: int) -> Incident | None:
    """The incident with this id."""
    return session.get(Incident, incident_id)


_OPEN_BY_GROUPS = (select(Incident)
                   .where(Incident.group_key.in_(bindparam("keys", expanding=True)),
                          Incident.status.in_(OPEN_STATUSES),
                          Incident.reported_at >= bindparam("since"))
                   .order_by(Incident.id))


def get_open_incidents_by_groups(session: Session, *, group_keys: Iterable[str],
                                 since: datetime) -> dict[str, Incident]:
    """The newest open incident reported after `since` for each group key."""
    found: dict[str, Incident] = {}
    keys = sorted(set(group_keys))
    for start in range(0, len(keys), CHUNK):
        chunk = {"keys": keys[start:start + CHUNK], "since": since}
        for incident in session.scalars(_OPEN_BY_GROUPS, chunk):
            assert incident.group_key is not None
            found[incident.group_key] = incident
    return found


def count_unresolved_alerts(session: Session, *, incident_id: int) -> int:
    """Alerts of the incident that are not resolved."""
    query = select(func.count()).select_from(Alert).where(
        Alert.incident_id == incident_id, Alert.status != "resolved")
    return int(session.scalar(query) or 0)


def get_alerts(session: Session, *, incident_id: int) -> Sequence[Alert]:
    """Alerts of an incident, oldest first."""
    return session.scalars(select(Alert).where(Alert.incident_id == incident_id)
                           .order_by(Alert.id)).all()


def get_timeline(session: Session, *, incident_id: int) -> Sequence[Timeline]:
    """Timeline entries of an incident, oldest first."""
    return session.scalars(select(Timeline).where(Timeline.incident_id == incident_id)
                           .order_by(Timeline.id)).all()


def get_reports_for_intake(session: Session, *, intake_id: int) -> Sequence[Report]:
    """Reports parsed from one intake row."""
    return session.scalars(select(Report).where(Report.intake_id == intake_id)
                           .order_by(Report.position)).all()


def get_incidents(
    session: Session,
    *,
    statuses: Sequence[str] = (),
    priority: int | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Incident]:
    """Incidents, newest first, filtered."""
    query = select(Incident).order_by(Incident.id.desc()).limit(limit).offset(offset)
    if statuses:
        query = query.where(Incident.status.in_(statuses))
    if priority is not None:
        query = query.where(Incident.priority == priority)
    if since is not None:
        query = query.where(Incident.reported_at >= since)
    return session.scalars(query).all()


def claim_due_updates(session: Session, *, now: datetime, limit: int = 100
                      ) -> Sequence[Incident]:
    """Open incidents whose next status update is due, locked for this transaction."""
    query = (select(Incident)
             .where(Incident.status.in_(OPEN_STATUSES), Incident.next_update_at <= now)
             .order_by(Incident.next_update_at).limit(limit))
    if skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


def claim_due_outbox(session: Session, *, now: datetime, limit: int = 20) -> Sequence[Outbox]:
    """Pending messages whose next attempt is due, locked for this transaction."""
    query = (select(Outbox)
             .where(Outbox.state == OutboxState.PENDING, Outbox.next_attempt_at <= now)
             .order_by(Outbox.next_attempt_at, Outbox.id).limit(limit))
    if skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


def get_stale_sending(session: Session, *, now: datetime) -> Sequence[Outbox]:
    """Messages claimed for sending whose lease ran out (the sender died mid-send)."""
    query = select(Outbox).where(Outbox.state == OutboxState.SENDING,
                                 Outbox.claimed_until < now)
    if skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


# --- monitoring integrations: dedup across a recent resolution, services, flapping -----------

def _recent_alerts(integration: ColumnElement[bool]) -> Select[Alert, Incident]:
    recent = or_(Incident.status.in_(OPEN_STATUSES),
                 and_(Incident.status == IncidentStatus.RESOLVED,
                      Incident.resolved_at >= bindparam("since")))
    return (select(Alert, Incident).join(Incident, Alert.incident_id == Incident.id)
            .where(Alert.dedup_key.in_(bindparam("keys", expanding=True)), integration, recent)
            .order_by(Alert.id))


_RECENT_ALERTS = _recent_alerts(Alert.integration == bindparam("integration"))
_RECENT_ALERTS_OF_NO_INTEGRATION = _recent_alerts(Alert.integration.is_(None))


def get_recent_alerts(session: Session, *, integration: str | None, dedup_keys: Iterable[str],
                      resolved_since: datetime) -> dict[str, tuple[Alert, Incident]]:
    """Per dedup key, the alert on an open incident, else on one resolved since then.

    An alert that fires again soon after its incident was resolved belongs to
    that incident (it is reopened), which keeps a flapping alert on one incident.
    """
    found: dict[str, tuple[Alert, Incident]] = {}
    keys = sorted(set(dedup_keys))
    query = _RECENT_ALERTS_OF_NO_INTEGRATION if integration is None else _RECENT_ALERTS
    for start in range(0, len(keys), CHUNK):
        chunk = {"keys": keys[start:start + CHUNK], "integration": integration,
                 "since": resolved_since}
        for alert, incident in session.execute(query, chunk):
            held = found.get(alert.dedup_key)
            if held is None or incident.is_open or not held[1].is_open:
                found[alert.dedup_key] = (alert, incident)  # open first, then the newest
    return found


def get_open_incidents_by_services(session: Session, *, services: Iterable[str],
                                   since: datetime) -> dict[str, Incident]:
    """Per service (lower-cased), the newest open incident of it reported after `since`."""
    found: dict[str, Incident] = {}
    names = sorted({service.lower() for service in services})
    for start in range(0, len(names), CHUNK):
        query = (select(Incident)
                 .where(func.lower(Incident.service).in_(names[start:start + CHUNK]),
                        Incident.status.in_(OPEN_STATUSES), Incident.reported_at >= since)
                 .order_by(Incident.id))
        for incident in session.scalars(query):
            assert incident.service is not None
            found[incident.service.lower()] = incident
    return found


def get_flapping_incident_ids(session: Session, *, incident_ids: Iterable[int]) -> set[int]:
    """Those of `incident_ids` that have a flapping alert."""
    ids = sorted(set(incident_ids))
    if not ids:
        return set()
    query = (select(Alert.incident_id).distinct()
             .where(Alert.incident_id.in_(ids), Alert.flapping.is_(True)))
    return set(session.scalars(query))


def claim_settled_alerts(session: Session, *, changed_before: datetime, limit: int = 100
                         ) -> Sequence[Alert]:
    """Flapping alerts unchanged since `changed_before`, locked for this transaction."""
    query = (select(Alert)
             .where(Alert.flapping.is_(True), Alert.changed_at <= changed_before)
             .order_by(Alert.changed_at, Alert.id).limit(limit))
    if skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()
def get_incident_ids_by_message_ids(session: Session, *, message_ids: Sequence[str]
                                    ) -> dict[str, int]:
    """Message-ID → incident id, for mails we sent and mails that reported an incident."""
    found: dict[str, int] = {}
    ids = list(message_ids)
    if not ids:
        return found
    reported = select(Report.message_id, Report.incident_id).where(
        Report.message_id.in_(ids), Report.incident_id.is_not(None)).order_by(Report.id)
    sent = select(Outbox.message_id, Outbox.incident_id).where(
        Outbox.message_id.in_(ids), Outbox.incident_id.is_not(None))
    for query in (reported, sent):
        for message_id, incident_id in session.execute(query):
            if message_id is not None and incident_id is not None:
                found.setdefault(message_id, incident_id)
    return found


def has_report_with_message_id(session: Session, *, message_id: str, sender: str | None
                               ) -> bool:
    """Whether a report with this Message-ID from this sender is stored already."""
    query = select(Report.id).where(
        Report.message_id == message_id,
        Report.sender == sender if sender is not None else Report.sender.is_(None)).limit(1)
    return session.scalar(query) is not None


def get_outbox_by_message_id(session: Session, *, message_id: str) -> Outbox | None:
    """The outgoing message with this Message-ID."""
    return session.scalars(select(Outbox).where(Outbox.message_id == message_id)).first()


def count_auto_replies(session: Session, *, sender: str, since: datetime) -> int:
    """Automatic answers sent to `sender` since `since`."""
    query = select(func.count()).select_from(AutoReply).where(
        AutoReply.sender == sender, AutoReply.at >= since)
    return int(session.scalar(query) or 0)


def get_attachments(session: Session, *, incident_id: int
                    ) -> Sequence[tuple[StoredAttachment, Report]]:
    """The incident's attachments with their reports, oldest first, without their data."""
    query = (select(StoredAttachment, Report)
             .join(Report, StoredAttachment.report_id == Report.id)
             .options(defer(StoredAttachment.data, raiseload=True))
             .where(StoredAttachment.incident_id == incident_id)
             .order_by(StoredAttachment.id))
    return [(attachment, report) for attachment, report in session.execute(query)]


def get_attachment(session: Session, *, incident_id: int, attachment_id: int
                   ) -> StoredAttachment | None:
    """One attachment of the incident, with its data."""
    return session.scalars(select(StoredAttachment).where(
        StoredAttachment.id == attachment_id,
        StoredAttachment.incident_id == incident_id)).first()
