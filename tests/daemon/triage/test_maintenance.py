"""Maintenance windows and silences: schedules (one-off, weekly, cron) across DST changes;
matching reports are stored as suppressed and listed, never open incidents or send mail."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import func, select

from daemon.cli import main
from daemon.config import Config
from daemon.keys import SESSIONS
from daemon.store.models import Incident, Outbox
from daemon.store.models import Report as ReportRow
from daemon.triage.maintenance import MaintenanceWindow
from tests.daemon.api.client import Api
from tests.daemon.test_end_to_end import post_webhook, processed
from tests.support import (
    ADMIN_TOKEN,
    ALERTMANAGER_TOKEN,
    GENERIC_TOKEN,
    READ_TOKEN,
    RESPOND_TOKEN,
    FakeClock,
    make_config,
    migrate,
    running_daemon,
)


def window(**fields: Any) -> MaintenanceWindow:
    return MaintenanceWindow.model_validate({"name": "w", **fields})


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


ONE_OFF = window(starts_at="2026-03-02T22:00:00+01:00", duration="2h")
# Sunday 01:00-04:00 Berlin: on 2026-03-29 the clocks jump from 02:00 to 03:00 in between
SUNDAY_NIGHT = window(days="sun", **{"from": "01:00", "to": "04:00"}, timezone="Europe/Berlin")
NIGHTLY = window(cron="30 1 * * *", duration="45m", timezone="Europe/Berlin")
AT_0230 = window(cron="30 2 * * *", duration="30m", timezone="Europe/Berlin")
BOUNDED = window(days="mon-fri", **{"from": "00:00", "to": "24:00"},
                 starts_at="2026-03-02T00:00:00Z", ends_at="2026-03-04T00:00:00Z")


@pytest.mark.parametrize(("schedule", "when", "active"), [
    (ONE_OFF, utc(2026, 3, 2, 20, 59), False),
    (ONE_OFF, utc(2026, 3, 2, 21, 0), True),
    (ONE_OFF, utc(2026, 3, 2, 22, 59), True),
    (ONE_OFF, utc(2026, 3, 2, 23, 0), False),
    # winter (UTC+1): 01:00-04:00 local is 00:00-03:00 UTC
    (SUNDAY_NIGHT, utc(2026, 3, 22, 2, 59), True),
    (SUNDAY_NIGHT, utc(2026, 3, 22, 3, 0), False),
    # the night of the change: 01:00 CET is 00:00 UTC, 04:00 CEST is 02:00 UTC
    (SUNDAY_NIGHT, utc(2026, 3, 28, 23, 59), False),
    (SUNDAY_NIGHT, utc(2026, 3, 29, 0, 0), True),
    (SUNDAY_NIGHT, utc(2026, 3, 29, 1, 59), True),
    (SUNDAY_NIGHT, utc(2026, 3, 29, 2, 0), False),
    # cron 01:30 local for 45 minutes: 00:30 UTC in winter, 23:30 UTC the day before in summer
    (NIGHTLY, utc(2026, 3, 28, 0, 40), True),
    (NIGHTLY, utc(2026, 3, 28, 1, 15), False),
    (NIGHTLY, utc(2026, 3, 29, 0, 40), True),  # 01:40 CET, just before the jump
    (NIGHTLY, utc(2026, 3, 29, 23, 40), True),  # 01:40 CEST on the 30th
    (NIGHTLY, utc(2026, 3, 30, 0, 40), False),  # 02:40 CEST: over
    (NIGHTLY, utc(2026, 10, 25, 0, 20), False),  # 02:20 CEST, autumn night
    (NIGHTLY, utc(2026, 10, 24, 23, 40), True),  # 01:40 CEST on the 25th
    # 02:30 does not exist on 2026-03-29; the occurrence starts at 03:00 CEST (01:00 UTC)
    (AT_0230, utc(2026, 3, 29, 0, 45), False),
    (AT_0230, utc(2026, 3, 29, 1, 10), True),
    (AT_0230, utc(2026, 3, 29, 1, 30), False),
    # 02:30 happens twice on 2026-10-25 (CEST, then CET): both occurrences count
    (AT_0230, utc(2026, 10, 25, 0, 40), True),
    (AT_0230, utc(2026, 10, 25, 1, 10), False),
    (AT_0230, utc(2026, 10, 25, 1, 40), True),
    (BOUNDED, utc(2026, 3, 3, 12, 0), True),
    (BOUNDED, utc(2026, 3, 4, 12, 0), False),  # past ends_at, though a weekday
])
def test_schedules(schedule: MaintenanceWindow, when: datetime, active: bool) -> None:
    assert schedule.active_at(when) is active


@pytest.mark.parametrize(("fields", "message"), [
    ({"starts_at": "2026-03-02T10:00:00Z"}, "needs ends_at or duration"),
    ({}, "a one-off window needs starts_at"),
    ({"cron": "0 22 * * sat"}, "needs the duration of each occurrence"),
    ({"cron": "every night", "duration": "1h"}, "is not a cron expression"),
    ({"days": "sat", "from": "22:00"}, "needs days, from and to"),
    ({"days": "funday", "from": "22:00", "to": "23:00"}, "days are mon"),
    ({"days": "sat", "from": "22:00", "to": "23:00", "timezone": "Mars/Olympus"},
     "unknown time zone"),
    ({"starts_at": "2026-03-02T10:00:00Z", "ends_at": "2026-03-02T09:00:00Z"},
     "ends before it starts"),
    ({"starts_at": "2026-03-02T10:00:00", "duration": "1h"}, "timezone"),
])
def test_invalid_windows_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        window(**fields)


MAINTENANCE = [{
    "name": "db-upgrade",
    "comment": "Postgres 17 upgrade",
    "match": {"labels": {"service": "db"}},
    "starts_at": "2026-03-02T08:00:00Z", "ends_at": "2026-03-02T12:00:00Z",
}, {
    "name": "sunday-night",
    "match": {"integration": ["alertmanager"]},
    "days": ["sun"], "from": "01:00", "to": "04:00", "timezone": "Europe/Berlin",
}]


async def _generic(daemon: Any, payload: dict[str, Any]) -> dict[str, Any]:
    return await processed(daemon, (await post_webhook(
        daemon, "generic", json.dumps(payload).encode(), GENERIC_TOKEN))["intake_id"])


async def _count(daemon: Any, model: Any, *where: Any) -> int:
    async with daemon.app[SESSIONS]() as session:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return int(await session.scalar(query) or 0)


async def test_windows_and_silences_suppress_matching_reports(tmp_path: Path,
                                                              db_url: str) -> None:
    config = make_config(tmp_path / "data", db_url, maintenance=MAINTENANCE)
    await migrate(config)
    clock = FakeClock()  # Monday 2026-03-02 09:00 UTC: inside db-upgrade
    async with running_daemon(config, clock) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        quiet = await _generic(daemon, {"title": "Replication lag", "dedup_key": "lag",
                                        "labels": {"service": "db"}, "severity": "critical"})
        assert (quiet["status"], quiet["incidents"]) == ("parsed", [])
        assert [r["outcome"] for r in quiet["reports"]] == ["suppressed"]
        loud = await _generic(daemon, {"title": "Web 500s", "dedup_key": "web",
                                       "labels": {"service": "web"}})
        assert loud["incidents"] == ["INC-1"]

        # a silence made at run time, by a responder
        status, silence = await api.call("POST", "/api/v1/silences", token=RESPOND_TOKEN, body={
            "name": "web deploy", "match": {"labels_regex": {"service": "web|cdn"}},
            "duration": "30m", "comment": "deploying 4.2"})
        assert status == 201, silence
        assert (silence["active"], silence["created_by"]) == (True, "responder")
        cdn = await _generic(daemon, {"title": "CDN errors", "dedup_key": "cdn",
                                      "labels": {"service": "cdn"}})
        assert cdn["incidents"] == []
        # the incident opened before the silence still takes its updates
        again = await _generic(daemon, {"title": "Web 500s", "dedup_key": "web",
                                        "labels": {"service": "web"}, "status": "resolved"})
        assert again["incidents"] == ["INC-1"]

        status, listed = await api.call("GET", "/api/v1/suppressed", token=READ_TOKEN)
        assert status == 200
        assert [(r["title"], r["suppressed_by"]) for r in listed["reports"]] == [
            ("CDN errors", f"silence #{silence['id']} web deploy"),
            ("Replication lag", "maintenance db-upgrade"),
        ]
        assert await _count(daemon, Incident) == 1
        assert await _count(daemon, Outbox) == 2  # INC-1 opened and resolved; nothing else

        status, silences = await api.call("GET", "/api/v1/silences", token=READ_TOKEN)
        assert [(s["name"], s["source"], s["active"]) for s in silences["silences"]] == [
            ("web deploy", "api", True), ("db-upgrade", "config", True),
            ("sunday-night", "config", False)]
        assert (await api.call("DELETE", f"/api/v1/silences/{silence['id']}",
                               token=RESPOND_TOKEN))[0] == 403
        status, expired = await api.call("DELETE", f"/api/v1/silences/{silence['id']}",
                                         token=ADMIN_TOKEN)
        assert (status, expired["active"], expired["expired_by"]) == (200, False, "admin")
        cdn = await _generic(daemon, {"title": "CDN errors", "dedup_key": "cdn",
                                      "labels": {"service": "cdn"}})
        assert cdn["incidents"] == ["INC-2"]  # the silence is over
        status, silences = await api.call("GET", "/api/v1/silences?all=true",
                                          token=READ_TOKEN)
        assert [s["name"] for s in silences["silences"] if s["expired"]] == ["web deploy"]

        # the weekly window on the night the clocks go forward (03:30 CEST = 01:30 UTC)
        clock.current = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        am = (Path(__file__).parents[2] / "fixtures" / "webhooks" / "alertmanager"
              / "alertmonitor-grouped-firing-3-alerts.json").read_bytes()
        night = await processed(daemon, (await post_webhook(
            daemon, "alertmanager", am, ALERTMANAGER_TOKEN))["intake_id"])
        assert [r["outcome"] for r in night["reports"]] == ["suppressed"] * 3
        clock.current = datetime(2026, 3, 29, 2, 0, tzinfo=UTC)  # 04:00 CEST: over
        morning = await processed(daemon, (await post_webhook(
            daemon, "alertmanager", am, ALERTMANAGER_TOKEN))["intake_id"])
        assert morning["incidents"] == ["INC-3"]
        assert await _count(daemon, ReportRow, ReportRow.outcome == "suppressed") == 5


async def test_silence_refusals(sqlite_config: Config) -> None:
    async with running_daemon(sqlite_config) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        for body, field in [
            ({"name": "x", "match": {"labels": {"a": "b"}}, "days": "sat", "from": "22:00",
              "to": "23:00"}, "ends_at"),
            ({"name": "x", "match": {"title": "(["}, "duration": "1h"}, "match.title"),
            ({"name": "x", "match": {"during": "nope"}, "duration": "1h"}, "match.during"),
            ({"name": "x", "bogus": 1, "duration": "1h"}, "bogus"),
            ({"name": "everything", "duration": "1h"}, "match"),
            ({"name": "x", "ends_at": "2020-01-01T00:00:00Z",
              "starts_at": "2019-01-01T00:00:00Z"}, "ends_at"),
        ]:
            status, answer = await api.call("POST", "/api/v1/silences", token=RESPOND_TOKEN,
                                            body=body)
            assert (status, answer["field"]) == (422, field), answer
        assert (await api.call("POST", "/api/v1/silences", token=READ_TOKEN,
                               body={"name": "x", "duration": "1h"}))[0] == 403


async def test_a_silence_expired_before_it_began(
        sqlite_config: Config, caplog: pytest.LogCaptureFixture) -> None:
    async with running_daemon(sqlite_config) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        starts = daemon.clock.now() + timedelta(hours=2)
        for starts_at in (starts, daemon.clock.now()):  # later, and this very moment
            status, silence = await api.call("POST", "/api/v1/silences", body={
                "name": "db upgrade", "match": {"labels": {"job": "db"}},
                "starts_at": starts_at.isoformat(), "duration": "1h"})
            assert status == 201, silence
            status, expired = await api.call("DELETE", f"/api/v1/silences/{silence['id']}")
            assert status == 200
            assert expired["ends_at"] == expired["starts_at"]
            assert (expired["expired"], expired["active"]) == (True, False)
            assert expired["describe"] == "expired before it began"
        status, listed = await api.call("GET", "/api/v1/silences?all=true")
        assert [s["describe"] for s in listed["silences"]] == ["expired before it began"] * 2
        status, listed = await api.call("GET", "/api/v1/silences")  # those still to come
        assert (status, listed["silences"]) == (200, [])
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_silences_and_suppressed_on_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n'
                    '[integrations.generic]\ntype = "generic"\ntoken = "t"\n')
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(main, [*args, "--config", str(path)], env={"USER": "dana"},
                             catch_exceptions=False)

    assert invoke("db", "upgrade").exit_code == 0
    added = invoke("silences", "add", "nightly-backup", "--label", "job=backup",
                   "--integration", "generic", "--cron", "0 1 * * *", "--duration", "2h",
                   "--timezone", "Europe/Berlin", "--ends", "2099-01-01T00:00:00Z", "--json")
    assert added.exit_code == 0, added.output
    (silence,) = json.loads(added.output)["silences"]
    assert silence["match"] == {"labels": {"job": "backup"}, "integration": ["generic"]}
    assert silence["schedule"] == {"cron": "0 1 * * *", "duration": 7200.0,
                                   "timezone": "Europe/Berlin"}
    assert silence["created_by"] == "dana"
    listed = invoke("silences", "list")
    assert f"#{silence['id']}" in listed.output
    assert "cron 0 1 * * * (Europe/Berlin) for 2:00:00" in listed.output
    refused = invoke("silences", "add", "everything", "--duration", "1h")
    assert refused.exit_code == 2
    assert "give what to match" in refused.output
    bad = invoke("silences", "add", "x", "--label", "a=b", "--days", "sat", "--from", "22:00",
                 "--to", "23:00", "--json")
    assert bad.exit_code == 1
    assert json.loads(bad.stderr)["field"] == "ends_at"
    expired = invoke("silences", "expire", str(silence["id"]))
    assert expired.exit_code == 0
    assert "ended" in expired.output
    assert invoke("silences", "expire", "99").exit_code == 1
    assert invoke("incidents", "list", "--suppressed").output == "no suppressed reports\n"


async def test_incidents_list_suppressed(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    config = make_config(tmp_path / "data", f"sqlite+aiosqlite:///{db}",
                         maintenance=MAINTENANCE)
    await migrate(config)
    from tests.daemon.lifecycle.support import Store

    store = Store(config, FakeClock())
    await store.webhook({"title": "Disk full", "dedup_key": "d"})
    # suppressed rows open nothing; Store.webhook insists on an incident, so go around it
    from daemon.process import process_intake
    from daemon.store.models import Intake
    from daemon.work import Work

    def suppressed(session: Any) -> None:
        intake = Intake(received_at=store.clock.now(), source="webhook", integration="generic",
                        raw=json.dumps({"title": "Vacuum slow", "labels": {"service": "db"},
                                        "dedup_key": "v"}).encode(),
                        sha256="0" * 64, status="accepted", content_type="application/json")
        session.add(intake)
        session.flush()
        outcome = process_intake(Work(session=session, config=config, now=store.clock.now()),
                                 store.renderer, intake)
        assert outcome.incident_keys == ()

    async with store.sessions.begin() as session:
        await session.run_sync(suppressed)
    await store.close()
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n')
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["incidents", "list", "--suppressed", "--config", str(path)],
        catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["REPORT", "INTAKE", "RECEIVED", "SUPPRESSED", "BY", "TITLE"]
    assert lines[1].endswith("maintenance db-upgrade       Vacuum slow")
    assert len(lines) == 2
