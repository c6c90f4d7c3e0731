"""The single intake writer: batches concurrent raw reports into one commit each.

A handler calls `submit()` and gets the intake id only once the row is
committed, so a sender is never acknowledged for something that could still be
lost. Batching the inserts of concurrent requests into one transaction (one
fsync) is what lets durable intake keep pace with the listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daemon.store.models import Intake, IntakeStatus

log = logging.getLogger(__name__)

MAX_BATCH = 500


class StoreUnavailable(Exception):
    """The raw report could not be committed; the sender must retry later."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IntakeRecord:
    """A raw report as received, ready to be stored."""

    received_at: datetime
    source: str  # smtp | webhook | api
    raw: bytes = field(repr=False)
    integration: str | None = None
    peer: str | None = None
    content_type: str | None = None
    mail_from: str | None = None
    rcpt_to: Sequence[str] | None = None
    auth_user: str | None = None  # the SMTP AUTH user, when the sender logged in

    def row(self) -> dict[str, Any]:
        """Column values for the `intake` table."""
        return {
            "received_at": self.received_at,
            "source": self.source,
            "integration": self.integration,
            "peer": self.peer,
            "content_type": self.content_type,
            "mail_from": self.mail_from,
            "rcpt_to": list(self.rcpt_to) if self.rcpt_to is not None else None,
            "auth_user": self.auth_user,
            "raw": self.raw,
            "sha256": hashlib.sha256(self.raw).hexdigest(),
            "status": IntakeStatus.ACCEPTED.value,
        }


_Pending = tuple[IntakeRecord, "asyncio.Future[int]"]


class IntakeWriter:
    """Owns all intake inserts; `submit()` resolves after the commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        on_commit: Callable[[], None] | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._engine = engine
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.rows = 0

    def start(self) -> None:
        """Start the writer task."""
        self._task = asyncio.create_task(self._run(), name="intake-writer")

    async def close(self) -> None:
        """Refuse new submissions, commit what is queued, stop."""
        self._closing = True
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def submit(self, record: IntakeRecord) -> int:
        """Store `record`; return its intake id once committed.

        Raises `StoreUnavailable` when the commit fails or the writer is closing.
        """
        if self._closing or self._task is None:
            raise StoreUnavailable("intake is shutting down")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((record, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(
                    insert(Intake).returning(Intake.id, sort_by_parameter_order=True),
                    [record.row() for record, _ in batch],
                )
                ids = [row[0] for row in result]
        except Exception as exc:  # noqa: BLE001 - any failure to commit means "retry later"
            log.error("intake commit failed for %d report(s): %s", len(batch), exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(StoreUnavailable(str(exc)))
            return
        self.batches += 1
        self.rows += len(batch)
        for (_, future), intake_id in zip(batch, ids, strict=True):
            if not future.done():  # the client may have gone away; the row stays
                future.set_result(intake_id)
        if self._on_commit is not None:
            self._on_commit()
