"""Who gets which mail: list filters, one mail per person, quiet hours, per-incident changes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from daemon import lifecycle
from daemon.cli import main
from daemon.comms.delivery import deliver_due
from daemon.comms.quiet import quiet_until
from daemon.config.comms import parse_quiet_hours
from daemon.store.models import IncidentStatus, OutboxState
from notifiers.maildir import MaildirNotifier
from tests.daemon.comms.support import outbox
from tests.daemon.lifecycle.support import ALICE, Store, get
from tests.support import (
    READ_TOKEN,
    RESPOND_TOKEN,
    FakeClock,
    auth,
    make_config,
    migrate,
    running_daemon,
)

LISTS = {
    "oncall": ["oncall@example.org", "lead@example.org"],
    "management": {"addresses": ["lead@example.org", "boss@example.org"], "min_priority": 2},
    "security": {"addresses": ["ciso@example.org"], "categories": ["Security Breach"]},
    "facilities": {"addresses": ["night@example.org", "lead@example.org"],
                   "severities": ["high", "medium"], "quiet_hours": "22:00-07:00",
                   "timezone": "Europe/Berlin"},
}
P3 = {"title": "Printer queue stuck", "impact": "medium", "urgency": "medium",
      "severity": "medium", "dedup_key": "printer"}
P1 = {"title": "Site down", "impact": "high", "urgency": "high", "severity": "high",
      "dedup_key": "site"}


@pytest.mark.parametrize(("window", "local", "expected"), [
    ("22:00-07:00", "2026-03-02 21:59", None),
    ("22:00-07:00", "2026-03-02 22:00", "2026-03-03 07:00"),
    ("22:00-07:00", "2026-03-03 03:30", "2026-03-03 07:00"),
    ("22:00-07:00", "2026-03-03 07:00", None),
    ("12:00-14:00", "2026-03-02 13:59", "2026-03-02 14:00"),
    ("12:00-14:00", "2026-03-02 14:00", None),
    ("22:00-07:00", "2026-03-28 23:00", "2026-03-29 07:00"),  # across the switch to CEST
])
def test_quiet_until(window: str, local: str, expected: str | None) -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    now = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=zone).astimezone(UTC)
    result = quiet_until(parse_quiet_hours(window), "Europe/Berlin", now)
    assert (result.astimezone(zone).strftime("%Y-%m-%d %H:%M") if result else None) == expected


async def store_with_lists(tmp_path: Path, clock: FakeClock) -> Store:
    config = make_config(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
                         **{"lists": LISTS, "triage.default_lists": list(LISTS)})
    await migrate(config)
    return Store(config, clock)


async def test_filters_pick_lists_and_a_person_on_several_gets_one_mail(tmp_path: Path
                                                                        ) -> None:
    clock = FakeClock()  # Monday 09:00 UTC: nobody's quiet hours
    store = await store_with_lists(tmp_path, clock)
    try:
        printer = await store.webhook(P3)
        # P3, medium: management wants P1-P2, security its category only
        assert await store.mails(printer) == [
            ("opened", ["oncall@example.org", "lead@example.org", "night@example.org"])]
        clock.advance(timedelta(minutes=5))
        await store.run(lambda w: lifecycle.apply_changes(w, get(w, printer), ALICE, {
            "priority": 2, "category": "security breach", "severity": "low"}))
        (_, recipients) = (await store.mails(printer))[-1]
        # escalated: management and security join; facilities wants high/medium only
        assert recipients == ["oncall@example.org", "lead@example.org", "boss@example.org",
                              "ciso@example.org"]
    finally:
        await store.close()


async def test_quiet_hours_hold_p3_mail_until_morning_and_deliver_it(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
    store = await store_with_lists(tmp_path, clock)
    notifier = MaildirNotifier(tmp_path / "mail")

    async def deliver() -> int:
        return await deliver_due(store.sessions, notifier, store.config, clock,
                                 instance="test")

    try:
        await store.webhook(P3)
        night = await outbox(store)
        # lead@ is also on oncall, which has no quiet hours: they get it now
        assert [(r.recipients, r.next_attempt_at) for r in night] == [
            (["oncall@example.org", "lead@example.org"], clock.now()),
            (["night@example.org"], datetime(2026, 3, 3, 6, 0, tzinfo=UTC))]  # 07:00 CET
        assert len({r.message_id for r in night}) == 2
        assert await deliver() == 1
        await store.webhook(P1)  # P1 and P2 are never held back
        urgent = (await outbox(store))[2:]
        assert [r.recipients for r in urgent] == [
            ["oncall@example.org", "lead@example.org", "boss@example.org",
             "night@example.org"]]
        assert await deliver() == 1
        clock.current = datetime(2026, 3, 3, 5, 59, tzinfo=UTC)
        assert await deliver() == 0
        clock.current = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
        assert await deliver() == 1  # held, not dropped
        rows = await outbox(store)
    finally:
        await store.close()
    assert [r.state for r in rows] == [OutboxState.SENT] * 3
    assert len(list((tmp_path / "mail" / "new").iterdir())) == 3


async def test_lifecycle_adds_and_removes_recipients_on_the_timeline(tmp_path: Path) -> None:
    clock = FakeClock()
    store = await store_with_lists(tmp_path, clock)
    try:
        incident_id = await store.webhook(P3)
        changes = await store.run(lambda w: lifecycle.change_recipients(
            w, get(w, incident_id), ALICE, add=["CFO@Example.org"],
            remove=["night@example.org"]))
        assert changes == ["+cfo@example.org", "-night@example.org"]
        again = await store.run(lambda w: lifecycle.add_recipient(
            w, get(w, incident_id), ALICE, "cfo@example.org"))
        assert again is False  # no change, no timeline entry
        with pytest.raises(lifecycle.FieldError, match="not a bare mail address"):
            await store.run(lambda w: lifecycle.add_recipient(w, get(w, incident_id), ALICE,
                                                              "Bob <bob@x>"))
        assert await store.mails(incident_id) == [("opened", [
            "oncall@example.org", "lead@example.org", "night@example.org"])]  # no mail
        clock.advance(timedelta(hours=4))
        await store.run(lambda w: lifecycle.change_status(w, get(w, incident_id),
                                                          IncidentStatus.RESPONDING, ALICE))
        (_, recipients) = (await store.mails(incident_id))[-1]
        assert recipients == ["oncall@example.org", "lead@example.org", "cfo@example.org"]
        kinds = await store.kinds(incident_id)
        assert kinds.count("recipients") == 2
    finally:
        await store.close()
    assert lifecycle.parse_recipient_changes("+a@example.org, -B@example.org c@x.org") == (
        ["a@example.org", "c@x.org"], ["b@example.org"])


async def test_recipients_over_the_api_and_the_cli(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
                         **{"lists": LISTS, "triage.default_lists": ["oncall"]})
    await migrate(config)
    from tests.daemon.api.client import Api

    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        key = await api.open_incident(P3)
        path = f"/api/v1/incidents/{key}/recipients"
        status, body = await api.call("POST", path, token=RESPOND_TOKEN,
                                      body={"addresses": ["cfo@example.org"]})
        assert status == 200, body
        assert body["changed"] == ["+cfo@example.org"]
        status, body = await api.call("DELETE", path, token=RESPOND_TOKEN,
                                      body={"addresses": ["lead@example.org"]})
        assert (status, body["changed"]) == (200, ["-lead@example.org"])
        status, body = await api.call("GET", path, token=READ_TOKEN)
        assert status == 200
        assert [(r["address"], r["lists"], r["added"], r["removed"])
                for r in body["recipients"]] == [
            ("oncall@example.org", ["oncall"], False, False),
            ("lead@example.org", ["oncall"], False, True),
            ("cfo@example.org", [], True, False)]
        status, body = await api.call("POST", path, token=READ_TOKEN,
                                      body={"addresses": ["x@example.org"]})
        assert status == 403
        status, body = await api.call("POST", path, token=RESPOND_TOKEN,
                                      body={"addresses": ["x@example.org"], "cc": "y"})
        assert (status, body["field"]) == (422, "cc")
        async with http.get(f"{daemon.url}/api/v1/incidents/{key}/timeline",
                            headers=auth(READ_TOKEN)) as response:
            timeline = (await response.json())["timeline"]
        assert [(e["kind"], e["actor"], e["new"]) for e in timeline
                if e["kind"] == "recipients"] == [("recipients", "responder",
                                                   "+cfo@example.org"),
                                                  ("recipients", "responder",
                                                   "-lead@example.org")]

    path_file = tmp_path / "incidentd.toml"
    path_file.write_text(f'[database]\nurl = "{config.database_url}"\n'
                         f'[lists]\noncall = {json.dumps(LISTS["oncall"])}\n',
                         encoding="utf-8")

    def cli(*args: str) -> Any:
        return CliRunner().invoke(main, ["incidents", "recipients", key, *args,
                                         "--config", str(path_file), "--actor", "carol"])

    result = await asyncio.to_thread(cli, "--add", "lead@example.org", "--remove",
                                     "cfo@example.org", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["recipients"]
    assert [(r["address"], r["removed"]) for r in rows] == [
        ("oncall@example.org", False), ("lead@example.org", False), ("cfo@example.org", True)]
    shown = await asyncio.to_thread(cli)
    assert "cfo@example.org" in shown.output
    assert "removed" in shown.output
    bad = await asyncio.to_thread(cli, "--add", "nobody", "--json")
    assert bad.exit_code == 1
    assert json.loads(bad.stderr)["field"] == "add"
