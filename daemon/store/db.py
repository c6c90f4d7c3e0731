"""Engine and session set-up for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as _sync_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

T = TypeVar("T")

_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def json_dumps(value: Any) -> str:
    """JSON columns' text, written by orjson (several times faster than `json`).

    orjson writes NaN and infinities as null, which PostgreSQL accepts and the
    standard encoder's NaN it does not; what orjson refuses (integers beyond
    64 bits) goes through the standard encoder.
    """
    try:
        return orjson.dumps(value, option=_JSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value)


def json_loads(text: str | bytes) -> Any:
    """The reverse of `json_dumps`, reading rows either encoder wrote."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


# Session.info key: the session's transaction holds the database's only write
# lock (SQLite, BEGIN IMMEDIATE), so nobody else inserts while it runs.
WRITE_LOCKED = "write_locked"


def is_sqlite(url: str) -> bool:
    """True for SQLite URLs."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False, durable: bool = False) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout and foreign keys.

    `durable` makes every SQLite commit reach the disk (synchronous=FULL) before
    it returns: the intake writer needs that, because a commit is an
    acknowledgement. Everything else can be replayed from intake and runs with
    synchronous=NORMAL, which in WAL mode loses nothing when the process dies
    (only a power cut can drop the newest processing, which is then redone).
    """
    parsed = make_url(url)
    # Error messages would otherwise quote statement parameters: raw report
    # bodies and addresses. `[database] echo` is for debugging and shows them.
    options: dict[str, Any] = {"echo": echo, "hide_parameters": not echo,
                               "json_serializer": json_dumps, "json_deserializer": json_loads}
    if is_sqlite(url):
        _make_parent(parsed.database)
        options["connect_args"] = {"timeout": 30}
    else:
        options.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(parsed, **options)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _pragmas("FULL" if durable else "NORMAL"))
    return engine


def create_sync_engine(url: str, *, echo: bool = False, durable: bool = True,
                       immediate: bool = False) -> Engine:
    """A blocking SQLite engine (standard sqlite3 driver) for work done in a thread.

    With `immediate`, every transaction starts with BEGIN IMMEDIATE: it takes
    SQLite's write lock before its first read, so what a transaction reads
    cannot change before it writes, and ids it allocates cannot be taken (see
    `daemon.work.Work.alert_id`). The driver would otherwise run the reads
    before the first write outside any transaction.
    """
    parsed = make_url(url)
    if not is_sqlite(url):
        raise ValueError("the blocking engine is for SQLite only")
    _make_parent(parsed.database)
    engine = _sync_engine(parsed.set(drivername="sqlite+pysqlite"), echo=echo,
                          hide_parameters=not echo, connect_args={"timeout": 30},
                          json_serializer=json_dumps, json_deserializer=json_loads)
    event.listen(engine, "connect", _pragmas("FULL" if durable else "NORMAL"))
    if immediate:
        event.listen(engine, "connect", _driver_leaves_transactions_to_us)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def _driver_leaves_transactions_to_us(dbapi_connection: Any,
                                      _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _make_parent(database: str | None) -> None:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


# Taken by a new database only; one that exists keeps its own. Intake rows carry
# raw bodies of a few KB, and a row just over half a page gets a page to itself:
# a 1.9 KB webhook stored with its columns takes a 4 KB page alone, but three
# share an 8 KB one, so a commit writes fewer WAL frames (3.6 write calls per
# stored webhook at 4 KB, 1.6 at 8 KB; `bench/`).
PAGE_SIZE = 8192


def _pragmas(synchronous: str) -> Callable[[Any, ConnectionPoolEntry], None]:
    def apply(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")  # before WAL writes the header
        # WAL lets readers (API, CLI) run beside the single writer.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return apply


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (we read them to answer)."""
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """The daemon's database: an async engine plus a way to run a transaction.

    `run(fn)` calls `fn(session)` inside one transaction and commits. On
    PostgreSQL it runs on the async engine. On SQLite it runs the whole
    transaction in a worker thread with the standard sqlite3 driver: SQLite
    calls are blocking C calls anyway, and sending each statement through
    aiosqlite's thread costs more than the statement itself.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessions = session_factory(self.engine)
        self._sync_sessions: sessionmaker[Session] | None = None
        self._sync_engine: Engine | None = None
        if is_sqlite(url):
            self._sync_engine = create_sync_engine(url, echo=echo, durable=False,
                                                   immediate=True)
            self._sync_sessions = sessionmaker(self._sync_engine, expire_on_commit=False,
                                               info={WRITE_LOCKED: True})

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(session, *args)` in a transaction; commit unless it raises."""
        sync_sessions = self._sync_sessions
        if sync_sessions is None:
            async with self.sessions.begin() as session:
                return await session.run_sync(fn, *args)

        def in_thread() -> T:
            with sync_sessions.begin() as session:
                return fn(session, *args)

        return await asyncio.to_thread(in_thread)

    async def dispose(self) -> None:
        """Close every connection."""
        await self.engine.dispose()
        if self._sync_engine is not None:
            self._sync_engine.dispose()
