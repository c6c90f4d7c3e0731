"""Helpers for the monitoring-integration tests: configurations, posting, waiting, reading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from daemon.config import Config
from daemon.keys import SESSIONS
from daemon.store.models import Alert, Incident, Intake, IntakeStatus, Outbox, Timeline
from daemon.store.models import Report as ReportRow
from tests.support import Daemon, make_config, migrate, wait_for

JSON = {"Content-Type": "application/json"}


async def configured(tmp_path: Path, db_url: str | None, integrations: dict[str, Any],
                     **overrides: Any) -> Config:
    """A migrated test configuration with exactly these integrations."""
    url = db_url or f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    config = make_config(tmp_path / "data", url, integrations=integrations, **overrides)
    await migrate(config)
    return config


async def post(daemon: Daemon, path: str, body: bytes | dict[str, Any],
               headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    """POST and return (status, decoded JSON answer, response headers)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    async with aiohttp.ClientSession() as http, http.post(
            f"{daemon.url}{path}", data=data, headers={**JSON, **(headers or {})}) as response:
        answer = await response.json() if response.content_type == "application/json" else None
        return response.status, answer, dict(response.headers)


async def scalar(daemon: Daemon, query: Any) -> Any:
    async with daemon.app[SESSIONS]() as session:
        return await session.scalar(query)


async def count(daemon: Daemon, model: Any, *where: Any) -> int:
    return int(await scalar(daemon, select(func.count()).select_from(model).where(*where)) or 0)


async def drained(daemon: Daemon, seconds: float = 30.0) -> None:
    """Wait until the pipeline has processed every stored intake row."""
    async def done() -> bool:
        return await count(daemon, Intake, Intake.status == IntakeStatus.ACCEPTED) == 0

    await wait_for(done, seconds, interval=0.1)


async def rows(daemon: Daemon, model: Any, *where: Any, order: Any = None) -> list[Any]:
    async with daemon.app[SESSIONS]() as session:
        query = select(model).where(*where).order_by(order if order is not None else model.id)
        return list((await session.scalars(query)).all())


async def intake(daemon: Daemon, intake_id: int) -> Intake:
    (row,) = await rows(daemon, Intake, Intake.id == intake_id)
    return row


async def reports(daemon: Daemon, intake_id: int) -> list[ReportRow]:
    return await rows(daemon, ReportRow, ReportRow.intake_id == intake_id,
                      order=ReportRow.position)


async def incidents(daemon: Daemon) -> list[Incident]:
    return await rows(daemon, Incident)


async def alerts(daemon: Daemon, *where: Any) -> list[Alert]:
    return await rows(daemon, Alert, *where)


async def timeline(daemon: Daemon, incident_id: int) -> list[Timeline]:
    return await rows(daemon, Timeline, Timeline.incident_id == incident_id)


async def outbox(daemon: Daemon) -> list[Outbox]:
    return await rows(daemon, Outbox)
