"""The intake writer batches concurrent reports and answers each with its own id."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from daemon.config import Config
from daemon.intake.writer import IntakeRecord, IntakeWriter, StoreUnavailable
from daemon.store.db import create_engine


async def test_each_submitter_gets_the_id_of_its_own_row(config: Config) -> None:
    writer = IntakeWriter(config.database_url)
    writer.start()
    try:
        records = [IntakeRecord(received_at=datetime.now(UTC), source="webhook",
                                integration="x", raw=f'{{"n": {n}}}'.encode())
                   for n in range(300)]
        ids = await asyncio.gather(*(writer.submit(record) for record in records))
        assert writer.batches < len(records)  # concurrent submissions share commits
    finally:
        await writer.close()
    engine = create_engine(config.database_url)
    async with engine.connect() as connection:
        stored = dict((await connection.execute(text("SELECT id, raw FROM intake"))).all())
    await engine.dispose()
    assert len(set(ids)) == len(records)
    assert [stored[i] for i in ids] == [r.raw for r in records]


async def test_a_closed_writer_refuses(config: Config) -> None:
    writer = IntakeWriter(config.database_url)
    writer.start()
    await writer.close()
    record = IntakeRecord(received_at=datetime.now(UTC), source="smtp", raw=b"x")
    with pytest.raises(StoreUnavailable, match="shutting down"):
        await writer.submit(record)
