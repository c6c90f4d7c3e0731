"""Configured dedup keys, grouping windows, service joins across sources, auto-resolve."""

from __future__ import annotations

import json
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.daemon.integrations.support import (
    alerts,
    configured,
    drained,
    incidents,
    post,
    timeline,
)
from tests.support import MAILBOX, Daemon, running_daemon, smtp_call

BEARER = {"Authorization": "Bearer t0ken"}


def generic(**extra: Any) -> dict[str, Any]:
    return {"type": "generic", "token": "t0ken", **extra}


async def send(daemon: Daemon, integration: str, **fields: Any) -> None:
    body = json.dumps({"severity": "warning", **fields}).encode()
    status, answer, _ = await post(daemon, f"/api/v1/webhooks/{integration}", body, BEARER)
    assert status == 202, answer
    await drained(daemon)


async def test_dedup_key_from_configured_fields(tmp_path: Path) -> None:
    config = await configured(tmp_path, None, {
        "fallback": generic(dedup_fields=["labels.host", "labels.check"]),
        "override": generic(dedup_fields=["labels.host"], dedup_fields_override=True),
    })
    async with running_daemon(config) as daemon:
        # Without a key in the payload, the fields make one; repeats land on one alert.
        for _ in range(2):
            await send(daemon, "fallback", title="Disk full", labels={"host": "db-1",
                                                                     "check": "disk"})
        await send(daemon, "fallback", title="Disk full", labels={"host": "db-2",
                                                                 "check": "disk"})
        # A key in the payload is kept.
        await send(daemon, "fallback", title="Load", dedup_key="given",
                   labels={"host": "db-1", "check": "disk"})
        # With the override, payload keys are replaced: one alert per host.
        await send(daemon, "override", title="Ping 1", dedup_key="run-1", labels={"host": "x"})
        await send(daemon, "override", title="Ping 2", dedup_key="run-2", labels={"host": "x"})
        found = {(a.integration, a.dedup_key): a.count for a in await alerts(daemon)}
        computed = [key for (name, key) in found if name == "fallback" and key != "given"]
        assert len(computed) == 2
        assert all(key.startswith("fp:") for key in computed)
        assert sorted(found[("fallback", key)] for key in computed) == [1, 2]
        assert found[("fallback", "given")] == 1
        (override_key,) = [key for (name, key) in found if name == "override"]
        assert found[("override", override_key)] == 2


async def test_group_by_labels_within_the_integrations_window(tmp_path: Path) -> None:
    config = await configured(tmp_path, None, {
        "short": generic(group_by=["cluster", "service"], group_window="10m"),
        "long": generic(group_by=["cluster"]),  # [correlate] group_window: 1h
    })
    async with running_daemon(config) as daemon:
        await send(daemon, "short", title="CPU high", dedup_key="cpu", service="api",
                   labels={"cluster": "prod"})
        await send(daemon, "short", title="Memory high", dedup_key="mem", service="api",
                   labels={"cluster": "prod"})
        await send(daemon, "short", title="Memory high", dedup_key="mem-web", service="web",
                   labels={"cluster": "prod"})
        await send(daemon, "long", title="Disk", dedup_key="disk", labels={"cluster": "prod"})
        daemon.clock.advance(timedelta(minutes=11))
        await send(daemon, "short", title="Swap high", dedup_key="swap", service="api",
                   labels={"cluster": "prod"})
        await send(daemon, "long", title="Inodes", dedup_key="inodes",
                   labels={"cluster": "prod"})
        by_incident: dict[int, set[str]] = {}
        for alert in await alerts(daemon):
            by_incident.setdefault(alert.incident_id, set()).add(alert.dedup_key)
        assert sorted(map(sorted, by_incident.values())) == [
            ["cpu", "mem"], ["disk", "inodes"], ["mem-web"], ["swap"]]
        keys = {i.group_key for i in await incidents(daemon)}
        assert "short:cluster=prod,service=api" in keys
        assert "long:cluster=prod" in keys


async def test_mail_and_webhook_about_one_service_join_one_incident(tmp_path: Path,
                                                                    db_url: str) -> None:
    config = await configured(tmp_path, db_url, {
        "apm": generic(),
        "uptime": generic(join_by_service=False),
    }, **{"correlate.join_by_service": True})
    message = EmailMessage()
    message["From"] = "alice@example.org"
    message["To"] = MAILBOX
    message["Subject"] = "Customers cannot pay"
    message.set_content("Service: Payments\nImpact: high\n\nThe card form spins forever.")
    async with running_daemon(config) as daemon:
        await send(daemon, "apm", title="Payment API latency", dedup_key="lat",
                   service="payments")
        assert await smtp_call(daemon.smtp_port, lambda c: c.send_message(message)) == {}
        await drained(daemon)
        await send(daemon, "apm", title="Payment API errors", dedup_key="err",
                   service="PAYMENTS")
        await send(daemon, "uptime", title="Payments page down", dedup_key="up",
                   service="payments")
        await send(daemon, "apm", title="Search slow", dedup_key="search", service="search")
        found = await incidents(daemon)
        assert [i.title for i in found] == ["Payment API latency", "Payments page down",
                                            "Search slow"]
        first = found[0]
        assert {a.dedup_key for a in await alerts(daemon) if a.incident_id == first.id} == {
            "lat", "err"}
        notes = [e for e in await timeline(daemon, first.id) if e.kind == "update"]
        assert [n.data["via"] for n in notes] == ["service"]  # the mail, on the same incident
        # Past the grouping window, the same service opens a new incident.
        daemon.clock.advance(timedelta(hours=1, minutes=1))
        await send(daemon, "apm", title="Payment API latency again", dedup_key="lat2",
                   service="payments")
        assert len(await incidents(daemon)) == 4


async def test_auto_resolve_can_be_turned_off_per_integration(tmp_path: Path) -> None:
    config = await configured(tmp_path, None, {
        "auto": generic(), "manual": generic(auto_resolve=False)})
    async with running_daemon(config) as daemon:
        for name in ("auto", "manual"):
            await send(daemon, name, title=f"{name} check", dedup_key="check")
            await send(daemon, name, title=f"{name} check", dedup_key="check", status="resolved")
        statuses = {i.integration: i.status for i in await incidents(daemon)}
        assert statuses == {"auto": "resolved", "manual": "triaged"}
        assert {a.status for a in await alerts(daemon)} == {"resolved"}
