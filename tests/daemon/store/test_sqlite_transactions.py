"""SQLite transactions take the write lock first, so the pipeline can choose alert ids."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from daemon.store.db import Database
from daemon.store.models import Alert
from tests.conftest import FIXTURES
from tests.daemon.test_end_to_end import post_webhook, processed
from tests.support import ALERTMANAGER_TOKEN, make_config, migrate, running_daemon

GROUPED = FIXTURES / "webhooks" / "alertmanager" / "alertmonitor-grouped-firing-3-alerts.json"


async def test_a_transaction_holds_the_write_lock_before_its_first_write(
        tmp_path: Path) -> None:
    config = make_config(tmp_path)
    await migrate(config)
    database = Database(config.database_url)
    path = make_url(config.database_url).database
    assert path is not None

    def read_then_try_another_writer(session: Session) -> str:
        session.execute(text("SELECT count(*) FROM intake")).scalar_one()
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return str(exc)
        finally:
            other.close()
        return "another writer got in"

    try:
        assert await database.run(read_then_try_another_writer) == "database is locked"
    finally:
        await database.dispose()


@contextmanager
def alert_inserts() -> Iterator[list[tuple[bool, int]]]:
    """(executemany?, rows) of every INSERT INTO alert any engine runs meanwhile."""
    seen: list[tuple[bool, int]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               executemany: bool) -> None:
        if statement.startswith("INSERT INTO alert "):
            seen.append((executemany, len(parameters) if executemany else 1))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_a_rows_new_alerts_go_in_together_with_the_ids_sqlite_would_give(
        tmp_path: Path) -> None:
    config = make_config(tmp_path)
    await migrate(config)
    body = GROUPED.read_bytes()
    with alert_inserts() as inserts:
        async with running_daemon(config) as daemon:
            await processed(daemon, (await post_webhook(
                daemon, "alertmanager", body, ALERTMANAGER_TOKEN))["intake_id"])
            other = body.replace(b'"instance":"172.29.', b'"instance":"10.9.')  # new alerts
            assert other.count(b'"instance":"10.9.') == 3
            await processed(daemon, (await post_webhook(
                daemon, "alertmanager", other, ALERTMANAGER_TOKEN))["intake_id"])
    assert inserts == [(True, 3), (True, 3)]  # one executemany per intake row
    database = Database(config.database_url)
    try:
        ids = await database.run(lambda s: list(s.scalars(select(Alert.id).order_by(Alert.id))))
    finally:
        await database.dispose()
    assert ids == [1, 2, 3, 4, 5, 6]
