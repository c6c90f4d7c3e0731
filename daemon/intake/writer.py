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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, text

from daemon.store.db import create_engine, create_sync_engine, is_sqlite
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
    details: Mapping[str, Any] | None = None  # what intake learnt beside the raw bytes
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
            "details": dict(self.details) if self.details else None,
        }


_Pending = tuple[IntakeRecord, "asyncio.Future[int]"]


def _insert_sqlite(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert with one executemany and derive the ids.

    SQLite cannot return ids in parameter order for a batch, and one statement
    per row is what makes per-request commits slow. Inside this transaction we
    hold the database's only write lock, and a table without AUTOINCREMENT
    gives each new row the highest rowid plus one, so the batch's ids are the
    consecutive numbers ending at last_insert_rowid().
    """
    connection.execute(insert(Intake), rows)
    last = connection.execute(text("SELECT last_insert_rowid()")).scalar_one()
    return list(range(int(last) - len(rows) + 1, int(last) + 1))


class _SqliteStore:
    """Durable batch inserts on SQLite from one dedicated thread.

    One thread hop per batch, instead of several per statement through
    aiosqlite, keeps the event loop free for the listeners.
    """

    def __init__(self, url: str) -> None:
        self._engine = create_sync_engine(url)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-writer")

    def _insert(self, rows: list[dict[str, Any]]) -> list[int]:
        with self._engine.begin() as connection:
            return _insert_sqlite(connection, rows)

    async def insert(self, rows: list[dict[str, Any]]) -> list[int]:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._insert, rows)

    async def close(self) -> None:
        self._thread.shutdown(wait=True)
        self._engine.dispose()


class _AsyncStore:
    """Batch inserts returning ids in order (PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)

    async def insert(self, rows: list[dict[str, Any]]) -> list[int]:
        async with self._engine.begin() as connection:
            result = await connection.execute(
                insert(Intake).returning(Intake.id, sort_by_parameter_order=True), rows)
            return [row[0] for row in result]

    async def close(self) -> None:
        await self._engine.dispose()


class IntakeWriter:
    """Owns all intake inserts; `submit()` resolves after the commit."""

    def __init__(
        self,
        url: str,
        *,
        on_commit: Callable[[], None] | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._store: _SqliteStore | _AsyncStore = (
            _SqliteStore(url) if is_sqlite(url) else _AsyncStore(url))
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
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._store.close()

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
            ids = await self._store.insert([record.row() for record, _ in batch])
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
