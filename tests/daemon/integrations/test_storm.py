"""An alert storm: 500 alerts of 5 groups, posted at once, become 5 incidents and 500 alerts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from daemon.store.models import Alert, Incident, Report
from tests.daemon.integrations.support import alerts, configured, count, drained, incidents, scalar
from tests.support import Daemon, running_daemon

GROUPS = ["DiskFull", "HighLatency", "NodeDown", "OOMKilled", "CertExpiry"]
PER_GROUP = 100


def alert(group: str, host: int, status: str = "firing") -> bytes:
    return json.dumps({"title": f"{group} on host-{host}", "status": status,
                       "severity": "critical", "service": "platform",
                       "labels": {"alertname": group, "instance": f"host-{host}"}}).encode()


async def post_all(daemon: Daemon, bodies: list[bytes]) -> list[int]:
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def one(body: bytes) -> int:
            async with http.post(f"{daemon.url}/api/v1/webhooks/storm", data=body, headers={
                    "Authorization": "Bearer storm", "Content-Type": "application/json"}) as r:
                assert r.status == 202, await r.text()
                return int((await r.json())["intake_id"])

        return await asyncio.gather(*(one(body) for body in bodies))


async def test_storm_of_500_alerts_in_5_groups(tmp_path: Path, db_url: str) -> None:
    integration: dict[str, Any] = {
        "type": "generic", "token": "storm",
        # The tool sends no ids: the alert is its name and instance, the group its name.
        "dedup_fields": ["labels.alertname", "labels.instance"], "group_by": ["alertname"]}
    config = await configured(tmp_path, db_url, {"storm": integration})
    firing = [alert(group, host) for host in range(PER_GROUP) for group in GROUPS]
    async with running_daemon(config) as daemon:
        ids = await post_all(daemon, firing)
        assert len(set(ids)) == 500
        await drained(daemon, 120)
        opened = await incidents(daemon)
        assert len(opened) == 5
        assert sorted(i.labels["alertname"] for i in opened) == sorted(GROUPS)
        stored = await alerts(daemon)
        assert len(stored) == 500
        assert len({a.dedup_key for a in stored}) == 500  # no duplicates, none lost
        per_incident = await _alerts_per_incident(daemon)
        assert sorted(per_incident.values()) == [PER_GROUP] * 5
        for incident in opened:  # each incident holds exactly its own group's alerts
            titles = {a.title.split(" on ")[0] for a in stored if a.incident_id == incident.id}
            assert titles == {incident.labels["alertname"]}
        assert await count(daemon, Report) == 500

        # The same storm again only counts repeats; then everything resolves.
        await post_all(daemon, firing[:20])
        await post_all(daemon, [alert(g, h, "resolved") for h in range(PER_GROUP)
                                for g in GROUPS])
        await drained(daemon, 120)
        assert await count(daemon, Incident) == 5
        assert await count(daemon, Alert) == 500
        assert await count(daemon, Alert, Alert.status != "resolved") == 0
        assert {i.status for i in await incidents(daemon)} == {"resolved"}
        assert await scalar(daemon, select(func.sum(Alert.count))) == 520


async def _alerts_per_incident(daemon: Daemon) -> dict[int, int]:
    result: dict[int, int] = {}
    for row in await alerts(daemon):
        result[row.incident_id] = result.get(row.incident_id, 0) + 1
    return result
