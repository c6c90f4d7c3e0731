"""The outbox: messages written in the transaction that caused them.

The scheduler delivers them later (`daemon.comms.delivery`), each claimed by
one deliverer at a time. Operators list them and requeue failed ones here.
"""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.comms.recipients import Delivery
from daemon.comms.render import RenderedMail
from daemon.config import Config
from daemon.store.models import Incident, Outbox, OutboxState
from daemon.work import Work

LOOP_HEADER = "X-Incidentd-Loop"


class OutboxError(Exception):
    """An outbox operation was refused; `status` is the HTTP-like reason (404, 409)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def sender_address(config: Config) -> str:
    """The bare address of the configured sender."""
    return email.utils.parseaddr(config.notify.sender)[1] or "incidentd@localhost"


def enqueue(
    work: Work,
    incident: Incident | None,
    kind: str,
    mail: RenderedMail,
    copies: Sequence[Delivery],
    *,
    thread: Sequence[str] | None = None,
) -> list[Outbox]:
    """Build the message and add one outbox row per copy (not committed here).

    Quiet hours may hold some copies back; each copy is its own message with
    its own Message-ID. Mail about an incident threads under the incident's
    first mail. `thread` (the References of a mail being answered, its
    Message-ID last) threads an answer to that mail instead, and leaves the
    incident's thread alone.
    """
    return [_add(work, incident, kind, mail, copy, thread) for copy in copies]


def to_header(config: Config, incident: Incident | None, recipients: Sequence[str]) -> str:
    """What `To:` shows: the recipient, or, for several, an empty named group.

    Stakeholder lists mix teams, managers and outside parties; listing them
    all would hand each one the others' addresses. The envelope still carries
    every recipient, as for Bcc.
    """
    if len(recipients) <= 1 or config.notify.disclose_recipients:
        return ", ".join(recipients)
    name = f"{incident.key} stakeholders" if incident is not None else "incidentd recipients"
    return f"{name}:;"


def immediately(work: Work, addresses: Sequence[str]) -> list[Delivery]:
    """One copy to `addresses`, due now (none without addresses)."""
    return [Delivery(work.now, tuple(addresses))] if addresses else []


def _add(work: Work, incident: Incident | None, kind: str, mail: RenderedMail,
         copy: Delivery, thread: Sequence[str] | None) -> Outbox:
    config = work.config
    sender = sender_address(config)
    domain = sender.rpartition("@")[2] or config.server.hostname
    message_id = email.utils.make_msgid(idstring=kind, domain=domain)
    message = EmailMessage()
    message["From"] = config.notify.sender
    message["To"] = to_header(config, incident, copy.recipients)
    message["Subject"] = mail.subject
    message["Date"] = email.utils.format_datetime(max(work.now, copy.at))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message[LOOP_HEADER] = config.server.hostname
    message["X-Incidentd-Kind"] = kind  # lets mail filters sort notices from updates
    if incident is not None:
        message["X-Incidentd-Incident"] = incident.key
    if thread is not None:
        if thread:
            message["In-Reply-To"] = thread[-1]
            message["References"] = " ".join(thread)
    elif incident is not None:
        if incident.thread_message_id:
            message["In-Reply-To"] = incident.thread_message_id
            message["References"] = incident.thread_message_id
        else:
            incident.thread_message_id = message_id  # the first mail roots the thread
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    row = Outbox(
        incident_id=incident.id if incident is not None else None,
        kind=kind,
        message_id=message_id,
        envelope_from=sender,
        recipients=list(copy.recipients),
        subject=mail.subject,
        raw=message.as_bytes(policy=email.policy.SMTP),
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=copy.at,
        due_at=copy.at,
        created_at=work.now,
    )
    work.session.add(row)
    return row


def outbox_values(row: Outbox) -> dict[str, Any]:
    """One outbox row as plain values (without the message itself)."""
    return {"id": row.id, "incident": f"INC-{row.incident_id}" if row.incident_id else None,
            "kind": row.kind, "message_id": row.message_id, "subject": row.subject,
            "recipients": list(row.recipients), "state": row.state, "attempts": row.attempts,
            "created_at": row.created_at, "due_at": row.due_at or row.created_at,
            "next_attempt_at": row.next_attempt_at, "sent_at": row.sent_at,
            "claimed_by": row.claimed_by, "last_error": row.last_error}


def list_outbox(session: Session, *, state: str | None = None, incident_id: int | None = None,
                limit: int = 100) -> list[dict[str, Any]]:
    """Outbox rows, newest first, optionally of one state or incident."""
    query = select(Outbox).order_by(Outbox.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Outbox.state == state)
    if incident_id is not None:
        query = query.where(Outbox.incident_id == incident_id)
    return [outbox_values(row) for row in session.scalars(query)]


def requeue(session: Session, *, outbox_id: int, now: datetime) -> dict[str, Any]:
    """Send a failed message again: pending now, with a fresh retry budget."""
    row = session.get(Outbox, outbox_id, with_for_update=True)
    if row is None:
        raise OutboxError(404, f"no outbox message {outbox_id}")
    if row.state != OutboxState.FAILED:
        raise OutboxError(409, f"outbox message {outbox_id} is {row.state}; only failed "
                               "messages are requeued")
    row.state = OutboxState.PENDING
    row.next_attempt_at = now
    row.due_at = now  # retry_max_age counts from the requeue
    row.attempts = 0
    row.claimed_by = None
    row.claimed_until = None
    row.last_error = f"requeued at {now:%Y-%m-%d %H:%M:%S} UTC; before: {row.last_error}"
    return outbox_values(row)
