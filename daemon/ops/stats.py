"""The state of the store in a few cheap, indexed queries.

Shared by `/metrics` (collected at scrape time), `/readyz` and systemd's
`STATUS=` line. Every query filters on an indexed status column and never
counts the ever-growing parsed intake or sent outbox rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.store.models import (
    OPEN_STATUSES,
    Incident,
    Intake,
    IntakeStatus,
    Outbox,
    OutboxState,
)

# Outbox states worth a gauge; `sent` grows without bound (retention trims it).
OUTBOX_STATES = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED)


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts and ages that tell an operator whether work is flowing."""

    open_by_priority: dict[str, int] = field(default_factory=dict)  # "1".."4", "none"
    accepted: int = 0
    oldest_accepted_at: datetime | None = None
    quarantined: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    oldest_pending_at: datetime | None = None

    @property
    def open_incidents(self) -> int:
        """All open incidents."""
        return sum(self.open_by_priority.values())

    def summary(self) -> str:
        """One line for `systemctl status`."""
        return (f"{self.open_incidents} open incident(s); intake backlog {self.accepted}; "
                f"outbox {self.outbox.get(OutboxState.PENDING, 0)} pending, "
                f"{self.outbox.get(OutboxState.FAILED, 0)} failed; "
                f"{self.quarantined} quarantined")


def read_stats(session: Session) -> StoreStats:
    """Query the store (any backend)."""
    by_priority: dict[str, int] = {}
    rows = session.execute(select(Incident.priority, func.count())
                           .where(Incident.status.in_(OPEN_STATUSES))
                           .group_by(Incident.priority))
    for priority, count in rows:
        key = str(priority) if priority is not None else "none"
        by_priority[key] = by_priority.get(key, 0) + int(count)
    accepted, oldest = session.execute(
        select(func.count(), func.min(Intake.received_at))
        .where(Intake.status == IntakeStatus.ACCEPTED)).one()
    quarantined = session.scalar(select(func.count()).select_from(Intake)
                                 .where(Intake.status == IntakeStatus.QUARANTINED))
    outbox = {state.value: 0 for state in OUTBOX_STATES}
    for state, count in session.execute(select(Outbox.state, func.count())
                                        .where(Outbox.state.in_(OUTBOX_STATES))
                                        .group_by(Outbox.state)):
        outbox[state] = int(count)
    oldest_pending = session.scalar(select(func.min(Outbox.created_at))
                                    .where(Outbox.state == OutboxState.PENDING))
    return StoreStats(open_by_priority=by_priority, accepted=int(accepted),
                      oldest_accepted_at=oldest, quarantined=int(quarantined or 0),
                      outbox=outbox, oldest_pending_at=oldest_pending)


async def collect_stats(sessions: async_sessionmaker[AsyncSession]) -> StoreStats:
    """`read_stats` on a fresh session."""
    async with sessions() as session:
        return await session.run_sync(read_stats)
