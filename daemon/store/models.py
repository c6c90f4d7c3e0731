"""The tables that last (DESIGN §3), as SQLAlchemy 2 typed models.

ORM objects never leave `daemon`: the API and CLI turn them into plain dicts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daemon.store.base import Base, Id

INCIDENT_KEY_PREFIX = "INC-"
MAX_ID_DIGITS = 18  # row ids are 64-bit integers; any 18 digits fit
MAX_ROW_ID = 10**MAX_ID_DIGITS - 1


class IntakeStatus(StrEnum):
    """Where a raw report is in the pipeline."""

    ACCEPTED = "accepted"  # stored and acknowledged, not processed yet
    PARSED = "parsed"  # turned into reports
    QUARANTINED = "quarantined"  # could not be parsed; see reason
    IGNORED = "ignored"  # understood, but not an incident (auto-reply, handshake, …)


class IncidentStatus(StrEnum):
    """The SOP's incident statuses."""

    REPORTED = "reported"
    TRIAGED = "triaged"
    RESPONDING = "responding"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DISMISSED = "dismissed"


OPEN_STATUSES = (
    IncidentStatus.REPORTED,
    IncidentStatus.TRIAGED,
    IncidentStatus.RESPONDING,
    IncidentStatus.CONTAINED,
)


class OutboxState(StrEnum):
    """Delivery state of an outgoing message."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a deliverer; the lease says until when
    SENT = "sent"
    FAILED = "failed"  # permanent failure or retry age exceeded


class Intake(Base):
    """A raw report exactly as received; committed before the sender is acknowledged."""

    __tablename__ = "intake"
    __table_args__ = (Index("ix_intake_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))  # smtp | webhook | api
    integration: Mapped[str | None] = mapped_column(String(128))
    peer: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(255))
    mail_from: Mapped[str | None] = mapped_column(String(512))
    rcpt_to: Mapped[list[Any] | None]
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))  # shown, not searched: no index
    status: Mapped[str] = mapped_column(String(16), default=IntakeStatus.ACCEPTED)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None]
    processed_at: Mapped[datetime | None]
    # Added by migration 0004: the SMTP AUTH user that submitted the mail, if any.
    auth_user: Mapped[str | None] = mapped_column(String(255))


class Incident(Base):
    """An incident: what happened, its triage, its lifecycle timestamps."""

    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_status", "status"),
        Index("ix_incident_group", "group_key", "status"),
        Index("ix_incident_next_update", "next_update_at"),
        Index("ix_incident_escalate", "escalate_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.REPORTED)
    severity: Mapped[str | None] = mapped_column(String(8))
    impact: Mapped[str | None] = mapped_column(String(8))
    urgency: Mapped[str | None] = mapped_column(String(8))
    priority: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(255))
    location: Mapped[str | None] = mapped_column(String(255))
    reporter: Mapped[str | None] = mapped_column(String(512))
    source: Mapped[str | None] = mapped_column(String(16))
    integration: Mapped[str | None] = mapped_column(String(128))
    group_key: Mapped[str | None] = mapped_column(String(1024))
    lists: Mapped[list[Any]] = mapped_column(default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    discovered_at: Mapped[datetime | None]
    reported_at: Mapped[datetime]
    triaged_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(512))
    responding_at: Mapped[datetime | None]
    contained_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    eta: Mapped[datetime | None]
    response_plan: Mapped[str | None] = mapped_column(String(128))
    assignee: Mapped[str | None] = mapped_column(String(512))
    root_cause: Mapped[str | None] = mapped_column(Text)
    resolution_summary: Mapped[str | None] = mapped_column(Text)
    # Added by migration 0002 (lifecycle and review).
    root_cause_category: Mapped[str | None] = mapped_column(String(64))
    impact_statement: Mapped[str | None] = mapped_column(Text)
    affected_services: Mapped[list[Any] | None]
    restored_at: Mapped[datetime | None]
    review_reminded_at: Mapped[datetime | None]
    # True when a person set the priority; then impact/urgency changes keep it.
    priority_manual: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    next_update_at: Mapped[datetime | None]
    last_update_at: Mapped[datetime | None]
    updates_sent: Mapped[int] = mapped_column(Integer, default=0)
    thread_message_id: Mapped[str | None] = mapped_column(String(512))
    updated_at: Mapped[datetime]
    # Added by migration 0007 (comms): a response plan's update interval, which
    # wins over the priority's, and addresses added to or removed from this incident.
    cadence_seconds: Mapped[int | None] = mapped_column(Integer)
    recipients_added: Mapped[list[Any] | None]
    recipients_removed: Mapped[list[Any] | None]
    # Added by migration 0006 (response plans): unacknowledged by `escalate_at`,
    # mail the plan's escalation list (once; `escalated_at`).
    escalate_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    alerts: Mapped[list[Alert]] = relationship(back_populates="incident", lazy="raise")

    @property
    def key(self) -> str:
        """The human key, `INC-123`."""
        return f"{INCIDENT_KEY_PREFIX}{self.id}"

    @property
    def is_open(self) -> bool:
        """True until resolved, closed or dismissed."""
        return self.status in OPEN_STATUSES


def parse_row_id(text: str) -> int | None:
    """ASCII digits that fit a row id → the number; None for anything else.

    `str.isdigit()` alone lets through "³", which `int()` refuses.
    """
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS else None


def parse_incident_key(key: str) -> int | None:
    """`INC-123` (or `123`) → 123; None when it is not a key."""
    return parse_row_id(key.strip().upper().removeprefix(INCIDENT_KEY_PREFIX))


class Alert(Base):
    """One distinct monitoring signal (dedup key) on an incident."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_dedup", "dedup_key", "status"),
        Index("ix_alert_incident", "incident_id"),
        Index("ix_alert_flapping", "flapping", "changed_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    integration: Mapped[str | None] = mapped_column(String(128))
    dedup_key: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))  # firing | acknowledged | resolved
    title: Mapped[str] = mapped_column(String(500))
    severity: Mapped[str | None] = mapped_column(String(8))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    count: Mapped[int] = mapped_column(Integer, default=1)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    # Added by migration 0005 (monitoring integrations): the last firing/resolved
    # change, and the times of the recent changes that flap detection counts.
    changed_at: Mapped[datetime | None]
    flap_history: Mapped[list[Any] | None]

    incident: Mapped[Incident] = relationship(back_populates="alerts", lazy="raise")


class Report(Base):
    """One parsed report, linked to its raw intake row and to what it touched."""

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_incident", "incident_id"),
        Index("ix_report_intake", "intake_id"),
        Index("ix_report_message_id", "message_id"),
        Index("ix_report_outcome", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    message_id: Mapped[str | None] = mapped_column(String(512))
    sender: Mapped[str | None] = mapped_column(String(512))
    outcome: Mapped[str] = mapped_column(String(32))  # opened | updated | resolved | …
    data: Mapped[dict[str, Any]]
    # Added by migration 0006: with outcome "suppressed", what suppressed it
    # ("maintenance NAME", "silence #ID NAME" or "rule NAME").
    suppressed_by: Mapped[str | None] = mapped_column(String(255))

    alert: Mapped[Alert | None] = relationship(lazy="raise")


class Timeline(Base):
    """Every state change of an incident: who, when, what, why."""

    __tablename__ = "timeline"
    __table_args__ = (Index("ix_timeline_incident", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(512))
    source: Mapped[str] = mapped_column(String(16))  # api|cli|email|rule|monitoring|system
    kind: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None]


class Task(Base):
    """A response-plan checklist item or a review action item."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_incident", "incident_id"),
        Index("ix_task_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    kind: Mapped[str] = mapped_column(String(16), default="checklist")  # checklist|action
    title: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str | None] = mapped_column(String(512))
    due_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="open")  # open|done|skipped
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(512))


class Outbox(Base):
    """A rendered outgoing message and its delivery state."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_incident", "incident_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    kind: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(512), unique=True)
    envelope_from: Mapped[str] = mapped_column(String(512))
    recipients: Mapped[list[Any]]
    subject: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Added by migration 0007: when the message became due (quiet hours may hold
    # it back; a requeue restarts it); retries give up `retry_max_age` after it.
    due_at: Mapped[datetime | None]


class Review(Base):
    """The post-incident review."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("incident_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    findings: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_badly: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[list[Any]] = mapped_column(default=list)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StoredAttachment(Base):
    """A file that came with a report (email attachments)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_incident", "incident_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    filename: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    report: Mapped[Report] = relationship(lazy="raise")


class Silence(Base):
    """A maintenance window or silence: matching reports are stored, not raised."""

    __tablename__ = "silence"
    __table_args__ = (Index("ix_silence_ends", "ends_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    matchers: Mapped[dict[str, Any]]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]  # the expiry; expiring a silence sets it to now
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime]
    # Added by migration 0006: the recurring part (weekly or cron), None for one-off.
    schedule: Mapped[dict[str, Any] | None]
    expired_by: Mapped[str | None] = mapped_column(String(512))


class AutoReply(Base):
    """An automatic answer to a mail's sender (acknowledgement, command confirmation).

    Added by migration 0004; the per-sender rate limit counts these rows.
    """

    __tablename__ = "auto_reply"
    __table_args__ = (Index("ix_auto_reply_sender", "sender", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(32))  # ack | confirmation
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    at: Mapped[datetime]
