"""Helpers for the comms tests: a store with a relay configuration, outbox rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.comms.delivery import deliver_due
from daemon.config import Config
from daemon.notify import build_notifier
from daemon.store.models import Outbox
from tests.daemon.lifecycle.support import Store
from tests.support import FakeClock, make_config, migrate


async def relay_store(tmp_path: Path, port: int, clock: FakeClock, **overrides: Any) -> Store:
    """A migrated SQLite store whose notifier is the SMTP relay on `port`."""
    config = make_config(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
                         **{"notify.backend": "smtp", "notify.smtp.host": "127.0.0.1",
                            "notify.smtp.port": port, "notify.smtp.timeout": "5s",
                            **overrides})
    await migrate(config)
    return Store(config, clock)


async def deliver(store: Store, config: Config | None = None) -> int:
    """One outbox tick at the store's clock."""
    config = config or store.config
    return await deliver_due(store.sessions, build_notifier(config), config, store.clock,
                             instance="test")


async def outbox(store: Store) -> list[Outbox]:
    """Every outbox row, oldest first."""
    return await store.read(lambda s: list(s.scalars(select(Outbox).order_by(Outbox.id))))


def first(session: Session) -> Outbox:
    row = session.scalars(select(Outbox).order_by(Outbox.id)).first()
    assert row is not None
    return row
