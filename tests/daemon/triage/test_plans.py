"""Response plans: activation by a rule and by hand (tasks, lists, team mail, responding);
escalation when nobody acknowledges in time, once, on a FakeClock."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon import lifecycle
from daemon.config import Config
from daemon.lifecycle.escalation import claim_due_escalations, escalate_due
from daemon.lifecycle.tasks import get_tasks
from daemon.store import repo
from daemon.store.models import Outbox
from daemon.work import Work
from tests.daemon.api.client import Api
from tests.daemon.lifecycle.support import ALICE, Store, get
from tests.support import RESPOND_TOKEN, FakeClock, make_config, migrate, running_daemon

LISTS = {"oncall": ["oncall@example.org"], "management": ["boss@example.org"],
         "security": ["sec1@example.org", "sec2@example.org"]}
PLANS = {
    "security-breach": {
        "description": "Contain, preserve evidence.",
        "team": ["security", "ciso@example.org"],
        "lists": ["management"],
        "tasks": [{"title": "Isolate affected systems", "due": "30m", "owner": "sec-lead"},
                  "Preserve logs"],
        "update_interval": "10m",
        "acknowledge_within": "15m",
        "escalate_to": ["management", "cto@example.org"],
    },
    "default": {"team": ["oncall"], "tasks": ["Assess impact"]},
}
RULES = [{"name": "breach", "match": {"keywords": ["ransomware", "breach"]},
          "set": {"severity": "high", "category": "security breach",
                  "plan": "security-breach"}}]


def plan_config(tmp_path: Path, db_url: str, **extra: Any) -> Config:
    return make_config(tmp_path / "data", db_url, lists=LISTS, plans=PLANS,
                       **{"triage.rules": RULES, **extra})


@pytest.fixture
async def plans(tmp_path: Path, db_url: str, clock: FakeClock) -> Any:
    config = plan_config(tmp_path, db_url)
    await migrate(config)
    store = Store(config, clock)
    yield store
    await store.close()


def _outbox(session: Session, incident_id: int) -> list[tuple[str, list[str], str]]:
    """(kind, recipients, subject and text body) of the incident's mails."""
    rows = session.scalars(select(Outbox).where(Outbox.incident_id == incident_id)
                           .order_by(Outbox.id)).all()
    return [(row.kind, list(row.recipients), _readable(row.raw)) for row in rows]


def _readable(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    headers = "".join(f"{name}: {value}\n" for name, value in message.items())
    return headers + "\n" + str(body.get_content())


async def test_a_rule_activates_its_plan_on_open(plans: Store) -> None:
    incident_id = await plans.webhook({"title": "Ransomware note on FS-2", "dedup_key": "fs2"})
    incident = await plans.incident(incident_id)
    assert incident.response_plan == "security-breach"
    assert incident.status == "responding"
    assert incident.acknowledged_at is None  # a rule moving it on is nobody acknowledging
    assert incident.lists == ["oncall", "management"]
    assert incident.cadence_seconds == 600
    now = plans.clock.now()
    assert incident.escalate_at == now + timedelta(minutes=15)
    assert incident.next_update_at is not None
    assert incident.next_update_at <= now + timedelta(minutes=10)

    tasks = await plans.read(lambda s: [(t.title, t.owner, t.due_at, t.created_by)
                                        for t in get_tasks(s, incident_id=incident_id)])
    assert tasks == [
        ("Isolate affected systems", "sec-lead", now + timedelta(
            minutes=30), "triage rules"),
        ("Preserve logs", None, None, "triage rules"),
    ]
    mails = await plans.read(lambda s: _outbox(s, incident_id))
    assert [(kind, recipients) for kind, recipients, _ in mails] == [
        ("opened", ["oncall@example.org", "boss@example.org"]),
        ("plan", ["sec1@example.org", "sec2@example.org", "ciso@example.org"]),
    ]
    plan_mail = mails[1][2]
    assert "Subject: [INC-1] P1 Response plan security-breach: Ransomware note on FS-2" \
        in plan_mail
    assert "Isolate affected systems (owner: sec-lead), due" in plan_mail
    assert "or the incident is escalated to management, cto@example.org" in plan_mail
    assert "In-Reply-To:" in plan_mail  # threaded under the opening mail
    timeline = await plans.read(lambda s: [(e.kind, e.actor, e.text) for e in
                                           repo.get_timeline(s, incident_id=incident_id)])
    kinds = [kind for kind, _, _ in timeline]
    assert kinds[:4] == ["opened", "triaged", "plan", "task"]
    assert ("plan", "triage rules", "Response plan security-breach activated (rule breach)") \
        in timeline
    assert kinds[-1] == "status"


async def test_escalation_mails_once_when_nobody_acknowledges(plans: Store) -> None:
    late = await plans.webhook({"title": "Breach of the HR share", "dedup_key": "hr"})
    acked = await plans.webhook({"title": "Breach of the wiki", "dedup_key": "wiki"})
    plans.advance(minutes=5)
    await plans.run(lambda w: lifecycle.acknowledge(w, get(w, acked), ALICE))
    plans.advance(minutes=9)  # 14 minutes in: not yet
    assert await plans.run(lambda w: escalate_due(w, plans.renderer)) == 0
    plans.advance(minutes=2)
    assert await plans.run(lambda w: escalate_due(w, plans.renderer)) == 1
    assert await plans.run(lambda w: escalate_due(w, plans.renderer)) == 0  # once
    plans.advance(hours=1)
    assert await plans.run(lambda w: escalate_due(w, plans.renderer)) == 0

    mails = await plans.read(lambda s: _outbox(s, late))
    escalation = [(r, raw) for kind, r, raw in mails if kind == "escalation"]
    assert len(escalation) == 1
    recipients, raw = escalation[0]
    assert recipients == ["boss@example.org", "cto@example.org"]
    assert "ESCALATED P1 Breach of the HR share" in raw
    assert "Nobody has acknowledged INC-1 by 2026-03-02 09:15 UTC" in raw
    assert not [kind for kind, _, _ in await plans.read(lambda s: _outbox(s, acked))
                if kind == "escalation"]
    entries = await plans.read(lambda s: [e.text for e in repo.get_timeline(
        s, incident_id=late) if e.kind == "escalated"])
    assert entries == ["Not acknowledged by 2026-03-02 09:15 UTC; escalated to "
                       "boss@example.org, cto@example.org"]


async def test_activating_by_hand_and_again(plans: Store) -> None:
    incident_id = await plans.webhook({"title": "Printer jam", "dedup_key": "printer"})
    assert (await plans.incident(incident_id)).status == "triaged"
    await plans.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE,
                                                      {"response_plan": "default"}))
    incident = await plans.incident(incident_id)
    assert (incident.response_plan, incident.status) == ("default", "responding")
    assert incident.acknowledged_at is not None  # a person moved it on
    assert incident.escalate_at is None  # the default plan has no deadline
    await plans.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE,
                                                      {"response_plan": "default"}))
    tasks = await plans.read(lambda s: [t.title for t in get_tasks(s, incident_id=incident_id)])
    assert tasks == ["Assess impact"]  # the same plan twice lays out its checklist once
    with pytest.raises(lifecycle.FieldError, match="unknown response plan 'nope'"):
        await plans.run(lambda w: lifecycle.apply_changes(w, get(w, incident_id), ALICE,
                                                          {"response_plan": "nope"}))


async def test_plan_cadence_sets_the_next_updates(plans: Store) -> None:
    incident_id = await plans.webhook({"title": "breach", "dedup_key": "b"})
    start = plans.clock.now()
    plans.advance(minutes=10)
    from daemon.comms import send_due_updates

    assert await plans.run(lambda w: send_due_updates(w, plans.renderer)) == 1
    incident = await plans.incident(incident_id)
    # every 10 minutes, the plan's cadence, not the 30 minutes of P1
    assert incident.next_update_at == start + timedelta(minutes=20)


@pytest.mark.postgres
async def test_two_instances_never_claim_the_same_escalation(tmp_path: Path,
                                                             clock: FakeClock) -> None:
    from tests.support import pg_database_url, skip_without_pg

    skip_without_pg()
    async with pg_database_url() as url:
        config = plan_config(tmp_path, url)
        await migrate(config)
        store = Store(config, clock)
        try:
            await store.webhook({"title": "breach", "dedup_key": "b"})
            clock.advance(timedelta(minutes=20))
            async with store.sessions.begin() as first, store.sessions.begin() as second:
                now = clock.now()
                mine = await first.run_sync(lambda s: claim_due_escalations(
                    Work(session=s, config=config, now=now)))
                theirs = await second.run_sync(lambda s: claim_due_escalations(
                    Work(session=s, config=config, now=now)))
            assert (len(mine), len(theirs)) == (1, 0)
        finally:
            await store.close()


async def test_escalation_job_and_patch_over_http(tmp_path: Path, clock: FakeClock) -> None:
    from daemon.app import SCHEDULER

    config = plan_config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    await migrate(config)
    async with running_daemon(config, clock) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        key = await api.open_incident({"title": "Server down", "dedup_key": "srv"})
        status, body = await api.call("PATCH", f"/api/v1/incidents/{key}",
                                      token=RESPOND_TOKEN,
                                      body={"response_plan": "security-breach"})
        assert status == 200, body
        assert (body["response_plan"], body["status"]) == ("security-breach", "responding")
        # a person activated it: that is an acknowledgement, so no deadline runs
        assert body["escalate_at"] is None
        status, body = await api.call("PATCH", f"/api/v1/incidents/{key}",
                                      token=RESPOND_TOKEN, body={"response_plan": "x"})
        assert (status, body["field"]) == (422, "response_plan")

        other = await api.open_incident({"title": "Ransomware!", "dedup_key": "rw"})
        clock.advance(timedelta(minutes=16))
        assert await daemon.app[SCHEDULER].tick_escalations() == 1
        assert await daemon.app[SCHEDULER].tick_escalations() == 0
        _, timeline = await api.call("GET", f"/api/v1/incidents/{other}/timeline")
        assert "escalated" in [e["kind"] for e in timeline["timeline"]]


def test_a_broken_plan_template_is_caught_before_it_is_used(tmp_path: Path) -> None:
    from daemon.comms import Renderer
    from daemon.ops.templates import TemplateProblem, check_templates

    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "plan.subject.j2").write_text("{{ plan.nmae }}")
    config = make_config(tmp_path / "data")
    assert "escalation" in check_templates(Renderer(None), config)
    with pytest.raises(TemplateProblem, match="mail template 'plan'"):
        check_templates(Renderer(tmp_path), config)
