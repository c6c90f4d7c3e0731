"""Delivering the outbox: claim due messages, hand them to the notifier, record the outcome.

At most once: a message is marked `sending` (committed) before the attempt
and `sent` after it. If the process dies between the two, nobody knows
whether the relay took it; when its lease runs out the message is marked
failed with that reason instead of being sent a second time. An operator
who knows better requeues it (`incidentd outbox retry ID`).

Temporary failures (4xx, network, disk full) retry with exponential back-off
and jitter until `retry_max_age` after the message became due; permanent
ones (5xx) fail at once. On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`,
so several daemons deliver side by side without sending anything twice.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.clock import Clock
from daemon.config import Config
from daemon.store import repo
from daemon.store.models import Outbox, OutboxState
from notifiers import (
    Notifier,
    OutgoingMessage,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than any relay timeout


def next_attempt(config: Config, attempts: int, now: datetime) -> datetime:
    """Exponential back-off with ±20 % jitter, capped at `retry_max_interval`."""
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
    """Claim due messages, deliver them, record the outcome; return how many were sent."""
    now = clock.now()
    async with sessions.begin() as session:
        await session.run_sync(_fail_stale_claims, now)
        claimed = await session.run_sync(_claim, now, instance, limit)
    sent = 0
    for row_id, message in claimed:
        error: str | None = None
        permanent = False
        refused: Mapping[str, str] | None = None
        try:
            refused = await notifier.deliver(message)
        except PermanentDeliveryError as exc:
            error, permanent = str(exc), True
        except TemporaryDeliveryError as exc:
            error = str(exc)
        async with sessions.begin() as session:
            row = await session.get(Outbox, row_id)
            assert row is not None
            _record_outcome(config, row, clock.now(), error, permanent, refused or {})
        if error is None:
            sent += 1
            log.info("outbox sent id=%d message_id=%s recipients=%d refused=%d", row_id,
                     message.message_id, len(message.recipients), len(refused or {}))
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
                    permanent: bool, refused: Mapping[str, str]) -> None:
    row.claimed_until = None
    if error is None:
        row.state = OutboxState.SENT
        row.sent_at = now
        # the others got it, so it is not sent again; the refusals stay visible
        row.last_error = ("refused: " + "; ".join(f"{a}: {why}" for a, why in refused.items())
                          if refused else None)
        return
    row.last_error = error
    too_old = now - (row.due_at or row.created_at) >= config.notify.retry_max_age
    if permanent or too_old:
        row.state = OutboxState.FAILED
        if too_old and not permanent:
            row.last_error = f"gave up after {row.attempts} attempts: {error}"
        return
    row.state = OutboxState.PENDING
    row.next_attempt_at = next_attempt(config, row.attempts, now)
