"""The intake writer batches concurrent reports and answers each with its own id."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from daemon.config import Config
from daemon.intake.writer import IntakeRecord, IntakeWriter, StoreUnavailable, _SqliteStore
from daemon.store.db import create_engine
from daemon.store.models import Intake
from tests.support import make_config, migrate


def numbered(count: int) -> list[IntakeRecord]:
    """`count` webhook records, each with a body of its own."""
    return [IntakeRecord(received_at=datetime.now(UTC), source="webhook", integration="x",
                         raw=f'{{"n": {n}}}'.encode()) for n in range(count)]


async def stored_bodies(config: Config) -> dict[int, bytes]:
    """Every stored intake row's raw body, by id."""
    engine = create_engine(config.database_url)
    async with engine.connect() as connection:
        stored = dict((await connection.execute(text("SELECT id, raw FROM intake"))).all())
    await engine.dispose()
    return stored


async def test_each_submitter_gets_the_id_of_its_own_row(config: Config) -> None:
    writer = IntakeWriter(config.database_url)
    writer.start()
    try:
        records = numbered(300)
        ids = await asyncio.gather(*(writer.submit(record) for record in records))
        assert writer.batches < len(records)  # concurrent submissions share commits
    finally:
        await writer.close()
    stored = await stored_bodies(config)
    assert len(set(ids)) == len(records)
    assert [stored[i] for i in ids] == [r.raw for r in records]


async def test_a_closed_writer_refuses(config: Config) -> None:
    writer = IntakeWriter(config.database_url)
    writer.start()
    await writer.close()
    record = IntakeRecord(received_at=datetime.now(UTC), source="smtp", raw=b"x")
    with pytest.raises(StoreUnavailable, match="shutting down"):
        await writer.submit(record)


async def test_rows_read_back_exactly_as_submitted(config: Config) -> None:
    """The batch insert stores what the ORM reads: times, lists, mappings, digests."""
    received = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
    mail = IntakeRecord(received_at=received, source="smtp", raw=b"Subject: x\r\n\r\nbody",
                        peer="192.0.2.7", mail_from="alice@example.org",
                        rcpt_to=["incidents@example.org", "ops@example.org"],
                        details={"spf": "pass", "size": 18}, auth_user="alice")
    hook = IntakeRecord(received_at=received, source="webhook", raw=b'{"a": 1}',
                        integration="alertmanager", content_type="application/json")
    writer = IntakeWriter(config.database_url)
    writer.start()
    try:
        mail_id, hook_id = await asyncio.gather(writer.submit(mail), writer.submit(hook))
    finally:
        await writer.close()
    engine = create_engine(config.database_url)
    async with AsyncSession(engine) as session:
        stored_mail = await session.get_one(Intake, mail_id)
        stored_hook = await session.get_one(Intake, hook_id)
    await engine.dispose()
    assert (stored_mail.received_at, stored_mail.source, stored_mail.peer,
            stored_mail.mail_from, stored_mail.rcpt_to, stored_mail.details,
            stored_mail.auth_user, stored_mail.status, stored_mail.raw) == (
        received, "smtp", "192.0.2.7", "alice@example.org",
        ["incidents@example.org", "ops@example.org"], {"spf": "pass", "size": 18}, "alice",
        "accepted", b"Subject: x\r\n\r\nbody")
    assert stored_mail.sha256 == hashlib.sha256(b"Subject: x\r\n\r\nbody").hexdigest()
    assert (stored_hook.integration, stored_hook.content_type, stored_hook.rcpt_to,
            stored_hook.details, stored_hook.mail_from) == (
        "alertmanager", "application/json", None, None, None)


async def test_a_failed_commit_fails_its_batch_and_the_next_one_succeeds(
        config: Config) -> None:
    writer = IntakeWriter(config.database_url)
    writer.start()
    engine = create_engine(config.database_url)
    record = IntakeRecord(received_at=datetime.now(UTC), source="webhook", raw=b"{}")
    try:
        assert await writer.submit(record) == 1
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE intake RENAME TO intake_away"))
        with pytest.raises(StoreUnavailable):
            await writer.submit(record)
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE intake_away RENAME TO intake"))
        assert await writer.submit(record) == 2
    finally:
        await writer.close()
        await engine.dispose()


async def test_a_batch_larger_than_one_statement_allows_still_commits_as_one(
        tmp_path: Path) -> None:
    """SQLite before 3.32 takes 999 parameters per statement: big batches are split."""
    config = make_config(tmp_path)
    await migrate(config)
    writer = IntakeWriter(config.database_url)
    assert isinstance(writer._store, _SqliteStore)  # the SQLite path is what is tested

    def old_limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)

    event.listen(writer._store._engine, "connect", old_limit)
    writer.start()
    try:
        records = numbered(400)
        ids = await asyncio.gather(*(writer.submit(record) for record in records))
        assert writer.batches < 10  # far more rows per batch than one statement takes
    finally:
        await writer.close()
    stored = await stored_bodies(config)
    assert [stored[i] for i in ids] == [r.raw for r in records]


async def test_text_no_encoder_takes_is_stored_escaped(config: Config) -> None:
    """Bytes that are not UTF-8 arrive from aiosmtpd and aiohttp as lone surrogates."""
    record = IntakeRecord(received_at=datetime.now(UTC), source="smtp", raw=b"x",
                          mail_from="a\udcff@example.org", rcpt_to=["\udcfe@example.org"],
                          content_type="application/x\udcff+json", peer="192.0.2.1",
                          details={"helo\udcff": ["\udcff"]})
    writer = IntakeWriter(config.database_url)
    writer.start()
    try:
        intake_id = await writer.submit(record)
    finally:
        await writer.close()
    engine = create_engine(config.database_url)
    async with AsyncSession(engine) as session:
        stored = await session.get_one(Intake, intake_id)
    await engine.dispose()
    assert (stored.mail_from, stored.rcpt_to, stored.content_type, stored.details) == (
        "a\\udcff@example.org", ["\\udcfe@example.org"], "application/x\\udcff+json",
        {"helo\\udcff": ["\\udcff"]})


async def test_one_report_that_cannot_be_stored_does_not_fail_the_others(
        config: Config) -> None:
    poison = IntakeRecord(received_at=datetime.now(UTC), source="webhook", raw=b"{}",
                          details={"not JSON": {1, 2}})  # as an unforeseen bad value would
    records = numbered(5)
    writer = IntakeWriter(config.database_url)
    writer.start()
    try:
        answers = await asyncio.gather(*(writer.submit(r) for r in [*records[:2], poison,
                                                                     *records[2:]]),
                                       return_exceptions=True)
        assert writer.batches == 5  # the batch failed, then each was committed alone
    finally:
        await writer.close()
    assert isinstance(answers.pop(2), StoreUnavailable)
    stored = await stored_bodies(config)
    assert [stored[i] for i in answers] == [r.raw for r in records]
