"""Retention: what may be removed from the store, and removing it in small batches.

What is safe (the README's Operations section says the same):

- **Intake** older than `[retention] intake`:
  - never a row still `accepted` (not processed yet: removing it loses a report);
  - rows no report points to (quarantined, ignored, parsed into nothing) are
    deleted;
  - rows whose reports all belong to incidents that are no longer open
    (resolved, closed, dismissed) keep their row, hash and reports, so the
    incident's history stays whole, but their raw bytes are emptied;
  - rows with a report on an open incident are left alone entirely.
- **Outbox** `sent` rows older than `[retention] outbox` are deleted, except
  those of open incidents and each incident's first mail (the thread root):
  replies to our mail are matched to incidents through these message ids.
  `pending`, `sending` and `failed` rows are never removed.

Each batch is its own short transaction, so the daemon keeps working while a
large backlog is trimmed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.config.ops import RetentionConfig
from daemon.store.models import (
    OPEN_STATUSES,
    Incident,
    Intake,
    IntakeStatus,
    Outbox,
    OutboxState,
    Report,
)

log = logging.getLogger(__name__)

BATCH = 500
PRUNED_REASON = "raw report removed by retention"  # on rows whose bytes were emptied
FINISHED = (IntakeStatus.PARSED, IntakeStatus.QUARANTINED, IntakeStatus.IGNORED)


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """How many rows one retention run removed or emptied."""

    intake_deleted: int = 0
    intake_emptied: int = 0
    outbox_deleted: int = 0

    def __add__(self, other: RetentionResult) -> RetentionResult:
        return RetentionResult(self.intake_deleted + other.intake_deleted,
                               self.intake_emptied + other.intake_emptied,
                               self.outbox_deleted + other.outbox_deleted)

    @property
    def total(self) -> int:
        """Rows touched."""
        return self.intake_deleted + self.intake_emptied + self.outbox_deleted


def _has_report() -> Any:
    return exists().where(Report.intake_id == Intake.id)


def _has_open_report() -> Any:
    return (exists().where(Report.intake_id == Intake.id)
            .where(Report.incident_id == Incident.id)
            .where(Incident.status.in_(OPEN_STATUSES)))


def deletable_intake(before: datetime, after_id: int = 0) -> Select[int]:
    """Finished intake rows older than `before` that no report points to."""
    return (select(Intake.id).where(Intake.id > after_id, Intake.received_at < before,
                                    Intake.status.in_(FINISHED), not_(_has_report()))
            .order_by(Intake.id))


def emptiable_intake(before: datetime, after_id: int = 0) -> Select[int]:
    """Parsed rows older than `before` with raw bytes, no report of theirs on an open incident."""
    return (select(Intake.id).where(Intake.id > after_id, Intake.received_at < before,
                                    Intake.status == IntakeStatus.PARSED,
                                    func.length(Intake.raw) > 0,
                                    _has_report(), not_(_has_open_report()))
            .order_by(Intake.id))


def deletable_outbox(before: datetime, after_id: int = 0) -> Select[int]:
    """Sent messages older than `before`, not of an open incident, not a thread root."""
    open_incident = (exists().where(Incident.id == Outbox.incident_id)
                     .where(Incident.status.in_(OPEN_STATUSES)))
    # NOT IN over one uncorrelated subquery: the database builds the set of roots
    # once (incident.thread_message_id has no index; a correlated probe per row
    # would scan the incident table for every sent message).
    roots = select(Incident.thread_message_id).where(Incident.thread_message_id.is_not(None))
    return (select(Outbox.id).where(Outbox.id > after_id, Outbox.state == OutboxState.SENT,
                                    Outbox.sent_at < before, not_(open_incident),
                                    Outbox.message_id.not_in(roots))
            .order_by(Outbox.id))


_KINDS = {"intake_deleted": ("intake", deletable_intake),
          "intake_emptied": ("intake", emptiable_intake),
          "outbox_deleted": ("outbox", deletable_outbox)}


@dataclass(slots=True)
class Cursor:
    """Where a run is: the last id done per kind, and the kinds with nothing left."""

    last: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)


def _queries(config: RetentionConfig, now: datetime, cursor: Cursor | None = None
             ) -> dict[str, Select[int]]:
    cursor = cursor or Cursor()
    queries = {}
    for name, (table, query) in _KINDS.items():
        age = getattr(config, table)
        if age is not None and name not in cursor.done:
            queries[name] = query(now - age, cursor.last.get(name, 0))
    return queries


def count_removable(session: Session, config: RetentionConfig, now: datetime
                    ) -> RetentionResult:
    """What a run would remove now (a dry run)."""
    counts = {name: int(session.scalar(select(func.count()).select_from(query.subquery()))
                        or 0)
              for name, query in _queries(config, now).items()}
    return RetentionResult(**counts)


def run_batch(session: Session, config: RetentionConfig, now: datetime, *,
              cursor: Cursor | None = None, limit: int = BATCH) -> RetentionResult:
    """One batch of each kind in the caller's transaction; counts what it did.

    With a `cursor`, each batch starts where the previous one stopped and a
    kind that came up short is not searched again: without it, every batch
    would rescan the rows that were kept.
    """
    ids = {name: list(session.scalars(query.limit(limit)))
           for name, query in _queries(config, now, cursor).items()}
    if cursor is not None:
        for name, found in ids.items():
            if found:
                cursor.last[name] = found[-1]
            if len(found) < limit:
                cursor.done.add(name)
    if ids.get("intake_deleted"):
        session.execute(delete(Intake).where(Intake.id.in_(ids["intake_deleted"])))
    if ids.get("intake_emptied"):
        session.execute(update(Intake).where(Intake.id.in_(ids["intake_emptied"]))
                        .values(raw=b"", reason=PRUNED_REASON))
    if ids.get("outbox_deleted"):
        session.execute(delete(Outbox).where(Outbox.id.in_(ids["outbox_deleted"])))
    return RetentionResult(**{name: len(found) for name, found in ids.items()})


async def apply_retention(sessions: async_sessionmaker[AsyncSession], config: RetentionConfig,
                          now: datetime, *, dry_run: bool = False) -> RetentionResult:
    """Remove what retention allows, batch by batch (a dry run only counts)."""
    if dry_run:
        async with sessions() as session:
            return await session.run_sync(lambda s: count_removable(s, config, now))
    total = RetentionResult()
    cursor = Cursor()
    while True:
        async with sessions.begin() as session:
            result = await session.run_sync(lambda s: run_batch(s, config, now, cursor=cursor))
        total += result
        if result.total == 0:
            break
    if total.total:
        log.info("retention removed intake_deleted=%d intake_emptied=%d outbox_deleted=%d",
                 total.intake_deleted, total.intake_emptied, total.outbox_deleted)
    return total
