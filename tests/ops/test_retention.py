"""Retention removes exactly what is safe to remove."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from daemon.config import Config
from daemon.ops.retention import PRUNED_REASON, apply_retention
from daemon.store.db import create_engine, session_factory
from daemon.store.models import Incident, Intake, Outbox, Report
from tests.support import FakeClock

OLD = timedelta(days=200)
RECENT = timedelta(days=1)


async def test_retention_removes_only_what_is_safe(config: Config) -> None:
    clock = FakeClock()
    now = clock.now()
    engine = create_engine(config.database_url)
    sessions = session_factory(engine)
    ids: dict[str, int] = {}
    try:
        async with sessions.begin() as session:
            def incident(title: str, status: str, root: str | None = None) -> Incident:
                row = Incident(title=title, status=status, reported_at=now - OLD,
                               updated_at=now, thread_message_id=root, lists=[], labels={})
                session.add(row)
                return row

            open_incident = incident("open", "responding")
            closed = incident("closed", "closed", root="<root@x>")
            await session.flush()

            def intake(name: str, status: str, age: timedelta) -> Intake:
                row = Intake(received_at=now - age, source="webhook", raw=b"{}", sha256="0",
                             status=status)
                session.add(row)
                return row

            rows = {
                "accepted_old": intake("accepted_old", "accepted", OLD),
                "quarantined_old": intake("quarantined_old", "quarantined", OLD),
                "ignored_old": intake("ignored_old", "ignored", OLD),
                "quarantined_new": intake("quarantined_new", "quarantined", RECENT),
                "open_old": intake("open_old", "parsed", OLD),
                "closed_old": intake("closed_old", "parsed", OLD),
                "closed_new": intake("closed_new", "parsed", RECENT),
                "unmatched_old": intake("unmatched_old", "parsed", OLD),
            }
            await session.flush()
            for name, incident_id in (("open_old", open_incident.id),
                                      ("closed_old", closed.id), ("closed_new", closed.id),
                                      ("unmatched_old", None)):
                session.add(Report(intake_id=rows[name].id, incident_id=incident_id, source="x",
                                   status="firing", title=name, occurred_at=now,
                                   received_at=now, outcome="opened", data={}))

            def outbox(name: str, state: str, age: timedelta, incident_id: int | None,
                       message_id: str | None = None) -> Outbox:
                row = Outbox(incident_id=incident_id, kind="update",
                             message_id=message_id or f"<{name}@x>", envelope_from="a@x",
                             recipients=["b@x"], subject=name, raw=b"...", state=state,
                             attempts=1, next_attempt_at=now - age, created_at=now - age,
                             sent_at=now - age if state == "sent" else None)
                session.add(row)
                return row

            mails = {
                "sent_closed_old": outbox("sent_closed_old", "sent", OLD, closed.id),
                "sent_root_old": outbox("sent_root_old", "sent", OLD, closed.id, "<root@x>"),
                "sent_open_old": outbox("sent_open_old", "sent", OLD, open_incident.id),
                "sent_none_old": outbox("sent_none_old", "sent", OLD, None),
                "sent_closed_new": outbox("sent_closed_new", "sent", RECENT, closed.id),
                "failed_old": outbox("failed_old", "failed", OLD, closed.id),
                "pending_old": outbox("pending_old", "pending", OLD, closed.id),
            }
            await session.flush()
            ids = {name: row.id for name, row in {**rows, **mails}.items()}

        dry = await apply_retention(sessions, config.retention, now, dry_run=True)
        assert (dry.intake_deleted, dry.intake_emptied, dry.outbox_deleted) == (2, 2, 2)

        result = await apply_retention(sessions, config.retention, now)
        assert result == dry

        async with sessions() as session:
            intake_rows: dict[int, Any] = {
                row.id: row for row in await session.scalars(select(Intake))}
            outbox_ids = set(await session.scalars(select(Outbox.id)))
            reports = len((await session.scalars(select(Report))).all())
        assert {n for n in rows if ids[n] not in intake_rows} == {"quarantined_old",
                                                                   "ignored_old"}
        assert {n for n in mails if ids[n] not in outbox_ids} == {"sent_closed_old",
                                                                   "sent_none_old"}
        emptied = {name for name in rows if ids[name] in intake_rows
                   and intake_rows[ids[name]].raw == b""}
        assert emptied == {"closed_old", "unmatched_old"}
        assert intake_rows[ids["closed_old"]].reason == PRUNED_REASON
        assert intake_rows[ids["open_old"]].raw == b"{}"
        assert intake_rows[ids["accepted_old"]].raw == b"{}"
        assert reports == 4  # incident history stays whole

        again = await apply_retention(sessions, config.retention, now)
        assert again.total == 0
    finally:
        await engine.dispose()


async def test_retention_off_keeps_everything(config: Config) -> None:
    from daemon.config.ops import RetentionConfig

    off = RetentionConfig.model_validate({"intake": "off", "outbox": "off"})
    engine = create_engine(config.database_url)
    try:
        result = await apply_retention(session_factory(engine), off, FakeClock().now())
    finally:
        await engine.dispose()
    assert result.total == 0
