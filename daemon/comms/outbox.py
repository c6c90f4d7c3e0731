"""The outbox: messages written in the transaction that caused them.

The scheduler delivers them later, each claimed by one deliverer at a time.
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.clock import Clock
from daemon.comms.render import RenderedMail
from daemon.config import Config
from daemon.store import repo
from daemon.store.models import Incident, Outbox, OutboxState
from daemon.work import Work
from notifiers import (
    Notifier,
    OutgoingMessage,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)

log = logging.getLogger(__name__)

LOOP_HEADER = "X-Incidentd-Loop"
LEASE = timedelta(minutes=5)  # longer than any relay timeout


def sender_address(config: Config) -> str:
    """The bare address of the configured sender."""
    return email.utils.parseaddr(config.notify.sender)[1] or "incidentd@localhost"


def enqueue(
    work: Work,
    incident: Incident | None,
    kind: str,
    mail: RenderedMail,
    recipients: Sequence[str],
    *,
    thread: Sequence[str] | None = None,
) -> Outbox:
    """Build the message and add it to the outbox (not committed here).

    Mail about an incident threads under the incident's first mail. `thread`
    (the References of a mail being answered, its Message-ID last) threads an
    answer to that mail instead, and leaves the incident's thread alone.
    """
    config = work.config
    sender = sender_address(config)
    domain = sender.rpartition("@")[2] or config.server.hostname
    message_id = email.utils.make_msgid(idstring=kind, domain=domain)
    message = EmailMessage()
    message["From"] = config.notify.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = mail.subject
    message["Date"] = email.utils.format_datetime(work.now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message[LOOP_HEADER] = config.server.hostname
    if incident is not None:
        message["X-Incidentd-Incident"] = incident.key
        message["X-Incidentd-Kind"] = kind  # lets mail filters sort notices from updates
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
        recipients=list(recipients),
        subject=mail.subject,
        raw=message.as_bytes(policy=email.policy.SMTP),
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=work.now,
        created_at=work.now,
    )
    work.session.add(row)
    return row


def next_attempt(config: Config, attempts: int, now: datetime) -> datetime:
    """Exponential back-off with jitter, capped at `retry_max_interval`."""
    base = config.notify.retry_initial.total_seconds() * (2 ** max(attempts - 1, 0))
    capped = min(base, config.notify.retry_max_interval.total_seconds())
    return now + timedelta(seconds=capped * random.uniform(0.8, 1.2))  # noqa: S311


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    notifier: Notifier,
    config: Config,
    clock: Clock,
    *,
    instance: str,
    limit: int = 20,
) -> int:
    """Claim due messages, deliver them, record the outcome; return how many were sent.

    At most once: a message is marked `sending` (committed) before the attempt
    and `sent` after. If the daemon dies between the two, the outcome is
    unknown; the stale claim is then marked failed rather than sent twice.
    """
    now = clock.now()
    async with sessions.begin() as session:
        await session.run_sync(_fail_stale_claims, now)
        claimed = await session.run_sync(_claim, now, instance, limit)
    sent = 0
    for row_id, message in claimed:
        error: str | None = None
        permanent = False
        try:
            await notifier.deliver(message)
        except PermanentDeliveryError as exc:
            error, permanent = str(exc), True
        except TemporaryDeliveryError as exc:
            error = str(exc)
        async with sessions.begin() as session:
            row = await session.get(Outbox, row_id)
            assert row is not None
            _record_outcome(config, row, clock.now(), error, permanent)
        if error is None:
            sent += 1
            log.info("outbox sent id=%d message_id=%s recipients=%d", row_id,
                     message.message_id, len(message.recipients))
        else:
            log.warning("outbox delivery failed id=%d permanent=%s error=%s",
                        row_id, permanent, error)
    return sent


def _claim(session: Session, now: datetime, instance: str, limit: int
           ) -> list[tuple[int, OutgoingMessage]]:
    claimed = []
    for row in repo.claim_due_outbox(session, now=now, limit=limit):
        row.state = OutboxState.SENDING
        row.claimed_by = instance
        row.claimed_until = now + LEASE
        row.attempts += 1
        claimed.append((row.id, OutgoingMessage(
            message_id=row.message_id, envelope_from=row.envelope_from,
            recipients=tuple(row.recipients), raw=row.raw)))
    return claimed


def _fail_stale_claims(session: Session, now: datetime) -> None:
    for row in repo.get_stale_sending(session, now=now):
        row.state = OutboxState.FAILED
        row.last_error = (f"delivery outcome unknown: {row.claimed_by} stopped while sending; "
                          "not resent to avoid a duplicate (requeue it to send again)")
        log.error("outbox id=%d outcome unknown after a crash; marked failed", row.id)


def _record_outcome(config: Config, row: Outbox, now: datetime, error: str | None,
                    permanent: bool) -> None:
    row.claimed_until = None
    if error is None:
        row.state = OutboxState.SENT
        row.sent_at = now
        row.last_error = None
        return
    row.last_error = error
    too_old = now - row.created_at >= config.notify.retry_max_age
    if permanent or too_old:
        row.state = OutboxState.FAILED
        if too_old and not permanent:
            row.last_error = f"gave up after {row.attempts} attempts: {error}"
        return
    row.state = OutboxState.PENDING
    row.next_attempt_at = next_attempt(config, row.attempts, now)
