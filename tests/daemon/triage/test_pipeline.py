"""Triage in the pipeline: a rule's suppress and drop_duplicates, integration lists, the
title prefix and assignee, and what the timeline records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.process import Outcome, process_intake
from daemon.store import repo
from daemon.store.models import Incident, Intake, Outbox
from daemon.store.models import Report as ReportRow
from daemon.work import Work
from tests.daemon.lifecycle.support import Store
from tests.support import FakeClock, make_config, migrate

RULES = [
    {"name": "probes", "match": {"labels": {"probe": "synthetic"}}, "set": {"suppress": True}},
    {"name": "user-reports", "match": {"source": "webhook", "title": "^user:"},
     "set": {"drop_duplicates": True, "title_prefix": "[helpdesk]",
             "assignee": "helpdesk@example.org"}},
]


@pytest.fixture
async def store(tmp_path: Path, db_url: str, clock: FakeClock) -> Any:
    config = make_config(tmp_path / "data", db_url, **{
        "triage.rules": RULES,
        "integrations": {"generic": {"type": "generic", "token": "t",
                                     "lists": ["management"]}}})
    await migrate(config)
    result = Store(config, clock)
    yield result
    await result.close()


async def _process(store: Store, payload: dict[str, Any]) -> Outcome:
    def run(session: Session) -> Outcome:
        intake = Intake(received_at=store.clock.now(), source="webhook", integration="generic",
                        raw=json.dumps(payload).encode(), sha256="0" * 64, status="accepted",
                        content_type="application/json")
        session.add(intake)
        session.flush()
        return process_intake(Work(session=session, config=store.config,
                                   now=store.clock.now()), store.renderer, intake)

    async with store.sessions.begin() as session:
        return await session.run_sync(run)


async def test_rule_suppression_and_dropped_duplicates(store: Store) -> None:
    probe = await _process(store, {"title": "Login check failed", "dedup_key": "p",
                                   "labels": {"probe": "synthetic"}})
    assert probe.incident_keys == ()
    assert probe.queued == 0
    first = await _process(store, {"title": "user: VPN keeps dropping"})
    (key,) = first.incident_keys
    store.advance(minutes=10)
    second = await _process(store, {"title": "USER: vpn keeps dropping"})
    assert second.incident_keys == (key,)  # joined, silently
    assert second.queued == 0
    other = await _process(store, {"title": "user: printer offline"})
    assert other.incident_keys != (key,)

    def load(session: Session) -> Any:
        rows = session.scalars(select(ReportRow).order_by(ReportRow.id)).all()
        incident = session.scalars(select(Incident).order_by(Incident.id)).first()
        assert incident is not None
        timeline = repo.get_timeline(session, incident_id=incident.id)
        mails = session.scalars(select(Outbox).where(Outbox.incident_id == incident.id)).all()
        return ([(r.outcome, r.suppressed_by, r.incident_id) for r in rows], incident,
                [(e.kind, e.data) for e in timeline], [m.recipients for m in mails])

    rows, incident, timeline, mails = await store.read(load)
    assert rows == [("suppressed", "rule probes", None), ("opened", None, incident.id),
                    ("duplicate", None, incident.id), ("opened", None, incident.id + 1)]
    assert incident.title == "[helpdesk] user: VPN keeps dropping"
    assert incident.assignee == "helpdesk@example.org"
    assert incident.lists == ["oncall", "management"]  # default and the integration's
    assert [kind for kind, _ in timeline] == ["opened", "triaged"]  # the duplicate added none
    data = timeline[1][1]
    assert data["hits"] == ["user-reports"]
    assert data["misses"] == ["probes"]
    assert data["defaults"]["category"] == "monitoring alert"
    assert data["result"]["priority"] == 3
    assert data["inputs"] == {"severity": None, "impact": None, "urgency": None,
                              "raw_severity": None, "service": None}
    assert mails == [["oncall@example.org", "lead@example.org", "boss@example.org"]]
