"""The single intake writer: batches concurrent raw reports into one commit each.

A handler calls `submit()` and gets the intake id only once the row is
committed, so a sender is never acknowledged for something that could still be
lost. Batching the inserts of concurrent requests into one transaction (one
fsync) is what lets durable intake keep pace with the listeners.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from daemon.intake.signature import Claim
from daemon.intake.text import valid_json, valid_text
from daemon.logs import Throttle
from daemon.store.claims import SignatureClaim
from daemon.store.db import create_engine, create_sync_engine, is_sqlite
from daemon.store.models import Intake, IntakeStatus

log = logging.getLogger(__name__)
# A store that is down fails every commit; one line per 10 s says so, with a count.
log.addFilter(Throttle())

MAX_BATCH = 500


class StoreUnavailable(Exception):
    """The raw report could not be committed; the sender must retry later."""


class Replayed(Exception):
    """A report with the same signed request was stored already (by any daemon)."""


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
    claim: Claim | None = None  # a signed request's replay claim, stored with the report

    def claim_row(self) -> tuple[str, str, datetime] | None:
        """The `signature_claim` row: integration and HMAC in hex (its key), and expiry."""
        if self.claim is None:
            return None
        return self.integration or "", self.claim.key.hex(), self.claim.until

    def values(self) -> tuple[Any, ...]:
        """Column values for the `intake` table, in the order of `_COLUMNS`.

        Text from the sender (an SMTP address) may hold bytes that are not
        UTF-8; they are stored escaped, as one such row would otherwise fail the
        whole batch it was committed with.
        """
        return (
            self.received_at,
            self.source,
            _text(self.integration),
            _text(self.peer),
            _text(self.content_type),
            _text(self.mail_from),
            [valid_text(a) for a in self.rcpt_to] if self.rcpt_to is not None else None,
            _text(self.auth_user),
            self.raw,
            hashlib.sha256(self.raw).hexdigest(),
            IntakeStatus.ACCEPTED.value,
            valid_json(dict(self.details)) if self.details else None,
        )


def _text(value: str | None) -> str | None:
    return None if value is None else valid_text(value)


_COLUMNS = ("received_at", "source", "integration", "peer", "content_type", "mail_from",
            "rcpt_to", "auth_user", "raw", "sha256", "status", "details")


_Pending = tuple[IntakeRecord, "asyncio.Future[int]"]
# Per record of a batch: its intake id, or None when its claim was taken (a replay).
_Ids = list[int | None]


def _unclaimed(records: list[IntakeRecord], taken: set[int]) -> list[IntakeRecord]:
    """The records to store: those whose claim was not taken already."""
    return [record for position, record in enumerate(records) if position not in taken]


def _ids(new_ids: Sequence[int], taken: set[int], count: int) -> _Ids:
    """The ids of the stored records, in batch order, with None where a claim was taken."""
    stored = iter(new_ids)
    return [None if position in taken else next(stored) for position in range(count)]


class _SqliteStore:
    """Durable batch inserts on SQLite from one dedicated thread and connection.

    One thread hop per batch, instead of several per statement through
    aiosqlite, keeps the event loop free for the listeners. The batch goes to
    the driver as multi-row INSERTs built from a statement compiled once, with
    the columns' own bind processors, so rows are stored exactly as the ORM
    would store them at a fraction of its per-row cost; the row values and
    digests are computed in the thread.
    """

    def __init__(self, url: str) -> None:
        self._engine = create_sync_engine(url)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-writer")
        dialect = self._engine.dialect
        compiled = insert(Intake).compile(dialect=dialect, column_keys=list(_COLUMNS))
        self._prefix, values = str(compiled).split(" VALUES ")
        self._values = values.strip()
        columns = Intake.__table__.columns
        order = compiled.positiontup or []
        self._positions = [_COLUMNS.index(name) for name in order]
        processors = [columns[name].type.dialect_impl(dialect).bind_processor(dialect)
                      for name in order]
        self._processors = [(index, process) for index, process in enumerate(processors)
                            if process is not None]  # dates and JSON; strings go as they are
        self._connection: Any = None  # the DBAPI connection, used by the thread only
        claim = insert(SignatureClaim).prefix_with("OR IGNORE").compile(
            dialect=dialect, column_keys=["integration", "digest", "expires_at"])
        if list(claim.positiontup or []) != ["integration", "digest", "expires_at"]:
            raise RuntimeError("unexpected parameter order for signature_claim")
        self._claim_sql = str(claim)
        expires = SignatureClaim.__table__.columns["expires_at"].type.dialect_impl(dialect)
        self._claim_expiry: Callable[[Any], Any] = (
            expires.bind_processor(dialect) or (lambda value: value))

    def _claim(self, cursor: Any, records: list[IntakeRecord]) -> set[int]:
        """Take the batch's replay claims; return the positions whose claim was taken already."""
        taken = set()
        for position, record in enumerate(records):
            row = record.claim_row()
            if row is None:
                continue
            integration, digest, until = row
            cursor.execute(self._claim_sql, (integration, digest, self._claim_expiry(until)))
            if cursor.rowcount == 0:  # OR IGNORE: the row was there
                taken.add(position)
        return taken

    def _parameters(self, records: list[IntakeRecord]) -> list[Any]:
        flat: list[Any] = []
        for record in records:
            values = record.values()
            row = [values[position] for position in self._positions]
            for index, process in self._processors:
                if row[index] is not None:
                    row[index] = process(row[index])
            flat.extend(row)
        return flat

    def _statement(self, rows: int) -> str:
        return f"{self._prefix} VALUES {', '.join([self._values] * rows)}"

    def _insert(self, records: list[IntakeRecord]) -> _Ids:
        """Insert the batch in one transaction and derive the ids.

        SQLite cannot return ids in parameter order for a batch, and one
        statement per row is what makes per-request commits slow. Inside this
        transaction we hold the database's only write lock, and a table without
        AUTOINCREMENT gives each new row the highest rowid plus one, so the
        batch's ids are the consecutive numbers ending at last_insert_rowid().
        Replay claims go first, in the same transaction; a record whose claim
        is taken is not stored.
        """
        if self._connection is None:
            self._connection = self._engine.raw_connection()
        connection = self._connection
        width = len(_COLUMNS)
        # As few statements as the build allows: the driver gives up the
        # interpreter lock around each statement it steps, and an executemany
        # would have to win it back from the busy event loop once per row.
        # SQLite before 3.32 allows only 999 parameters per statement.
        per_statement = max(1, connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
        try:
            cursor = connection.cursor()
            taken = self._claim(cursor, records)
            stored = _unclaimed(records, taken)
            parameters = self._parameters(stored)
            for start in range(0, len(stored), per_statement):
                rows = min(per_statement, len(stored) - start)
                cursor.execute(self._statement(rows),
                               parameters[start * width:(start + rows) * width])
            last = int(cursor.lastrowid or 0)  # the rowid of the batch's last row
            cursor.close()
            connection.commit()
        except Exception:
            self._discard_transaction()
            raise
        return _ids(range(last - len(stored) + 1, last + 1), taken, len(records))

    def _discard_transaction(self) -> None:
        try:
            self._connection.rollback()
        except Exception:  # noqa: BLE001 - a connection that cannot roll back is replaced
            with contextlib.suppress(Exception):
                self._connection.invalidate()
            self._connection = None

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def insert(self, records: list[IntakeRecord]) -> _Ids:
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, self._insert, records)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=True)
        self._engine.dispose()


class _AsyncStore:
    """Batch inserts returning ids in order (PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)

    async def insert(self, records: list[IntakeRecord]) -> _Ids:
        async with self._engine.begin() as connection:
            taken = await self._claim(connection, records)
            stored = _unclaimed(records, taken)
            new_ids: list[int] = []
            if stored:
                rows = [dict(zip(_COLUMNS, record.values(), strict=True)) for record in stored]
                result = await connection.execute(
                    insert(Intake).returning(Intake.id, sort_by_parameter_order=True), rows)
                new_ids = [row[0] for row in result]
        return _ids(new_ids, taken, len(records))

    @staticmethod
    async def _claim(connection: AsyncConnection, records: list[IntakeRecord]) -> set[int]:
        """Take the batch's replay claims; return the positions whose claim was taken already.

        A concurrent transaction inserting the same claim makes this one wait
        for it (the primary key), so of two daemons exactly one stores the report.
        """
        taken: set[int] = set()
        wanted: dict[tuple[str, str], int] = {}
        rows: list[dict[str, Any]] = []
        for position, record in enumerate(records):
            row = record.claim_row()
            if row is None:
                continue
            integration, digest, until = row
            if (integration, digest) in wanted:  # the same request twice in one batch
                taken.add(position)
                continue
            wanted[integration, digest] = position
            rows.append({"integration": integration, "digest": digest, "expires_at": until})
        if not rows:
            return taken
        statement = (pg_insert(SignatureClaim).values(rows).on_conflict_do_nothing()
                     .returning(SignatureClaim.integration, SignatureClaim.digest))
        inserted = {(row[0], row[1]) for row in await connection.execute(statement)}
        taken |= {position for key, position in wanted.items() if key not in inserted}
        return taken

    async def close(self) -> None:
        await self._engine.dispose()


def store_down(exc: BaseException) -> bool:
    """Whether `exc` says the store cannot take anything now (rather than this data)."""
    if isinstance(exc, sqlite3.OperationalError | OSError | OperationalError | InterfaceError):
        return True  # locked, disk I/O, disk full; connection refused, lost or timed out
    if type(exc) is sqlite3.DatabaseError:  # "database disk image is malformed"
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


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
        self._pending: collections.deque[_Pending] = collections.deque()
        self._wakeup = asyncio.Event()
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
        self._wakeup.set()
        if self._task is not None:
            await self._task  # it returns once everything submitted is committed
            self._task = None
        await self._store.close()

    async def submit(self, record: IntakeRecord) -> int:
        """Store `record`; return its intake id once committed.

        Raises `StoreUnavailable` when the commit fails or the writer is closing,
        and `Replayed` when the record's signature claim was taken already.
        """
        if self._closing or self._task is None:
            raise StoreUnavailable("intake is shutting down")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((record, future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        pending = self._pending
        while True:
            if not pending:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await self._commit([pending.popleft()
                                for _ in range(min(len(pending), self._max_batch))])

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            ids = await self._store.insert([record for record, _ in batch])
        except Exception as exc:  # noqa: BLE001 - any failure to commit means "retry later"
            if len(batch) > 1 and not store_down(exc):
                # Perhaps one report's values: the others must not pay for it.
                log.error("intake commit failed for a batch of %d, storing them one by one: %s",
                          len(batch), exc)
                for pending in batch:
                    await self._commit([pending])
                return
            log.error("intake commit failed for %d report(s): %s", len(batch), exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(StoreUnavailable(str(exc)))
            return
        self.batches += 1
        for (_, future), intake_id in zip(batch, ids, strict=True):
            if intake_id is None:
                if not future.done():
                    future.set_exception(Replayed("replayed signature"))
                continue
            self.rows += 1
            if not future.done():  # the client may have gone away; the row stays
                future.set_result(intake_id)
        if self._on_commit is not None:
            self._on_commit()
