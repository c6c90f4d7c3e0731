"""Changing incidents through the API, over real HTTP, on each store."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from sqlalchemy import select

from daemon.config import Config
from daemon.keys import SESSIONS
from daemon.store.models import Outbox
from tests.daemon.api.client import Api
from tests.support import running_daemon


async def outbox_kinds(api: Api, key: str) -> list[str]:
    number = int(key.removeprefix("INC-"))
    async with api.daemon.app[SESSIONS]() as session:
        rows = await session.scalars(select(Outbox.kind).where(Outbox.incident_id == number)
                                     .order_by(Outbox.id))
        return list(rows)


async def test_incident_lifecycle_over_the_api(config: Config) -> None:
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        key = await api.open_incident({"title": "Checkout down", "severity": "critical",
                                       "dedup_key": "checkout"})
        path = f"/api/v1/incidents/{key}"

        status, error = await api.call("PATCH", path, body={"colour": "red"})
        assert status == 422
        assert error["field"] == "colour"
        assert error["error"].startswith("unknown field 'colour'")
        status, error = await api.call("PATCH", path, body={"priority": 7})
        assert (status, error["field"]) == (422, "priority")
        status, error = await api.call("PATCH", path, body={"status": "closed"})
        assert status == 409
        assert error["allowed"] == ["responding", "contained", "resolved", "dismissed"]
        status, error = await api.call("PATCH", path, body={"status": "contained"})
        assert (status, error["missing"]) == (409, ["containment"])
        status, error = await api.call("PATCH", path, raw=b"{nope")
        assert (status, error["field"]) == (400, "body")
        status, error = await api.call("PATCH", "/api/v1/incidents/INC-999",
                                       body={"note": "x"})
        assert (status, error["field"]) == (404, "key")

        # a refused change leaves nothing behind: the valid note was not applied either
        status, _ = await api.call("PATCH", path, body={"note": "half", "status": "closed"})
        assert status == 409
        _, timeline = await api.call("GET", f"{path}/timeline")
        assert [e["kind"] for e in timeline["timeline"]] == ["opened", "triaged"]

        status, incident = await api.call("PATCH", path, body={
            "acknowledge": True, "eta": "2h", "impact": "low", "comment": "on it"})
        assert status == 200
        assert incident["status"] == "responding"
        assert incident["acknowledged_by"] == "admin"
        assert incident["priority"] == 3  # low impact, high urgency
        eta = daemon.clock.now() + timedelta(hours=2)
        assert incident["eta"] == eta.isoformat()

        status, entry = await api.call("POST", f"{path}/notes", body={
            "kind": "containment", "text": "Switched traffic to the standby"})
        assert (status, entry["kind"]) == (201, "containment")
        status, incident = await api.call("PATCH", path, body={"status": "contained",
                                                               "priority": 1})
        assert (status, incident["status"], incident["priority"]) == (200, "contained", 1)

        status, task = await api.call("POST", f"{path}/tasks", body={
            "title": "Check the payment queue", "owner": "bob", "due_at": "1h"})
        assert status == 201
        assert (task["state"], task["overdue"]) == ("open", False)
        daemon.clock.advance(timedelta(hours=3))
        status, overdue = await api.call("GET", "/api/v1/tasks/overdue")
        assert [t["id"] for t in overdue["tasks"]] == [task["id"]]
        status, task = await api.call("PATCH", f"{path}/tasks/{task['id']}",
                                      body={"state": "done"})
        assert (status, task["state"]) == (200, "done")
        status, error = await api.call("PATCH", f"{path}/tasks/999", body={"state": "done"})
        assert (status, error["field"]) == (404, "task_id")

        status, incident = await api.call("PATCH", path, body={
            "status": "resolved", "resolution_summary": "Rolled back the deploy",
            "root_cause": {"category": "change", "text": "A schema change locked a table"}})
        assert (status, incident["status"]) == (200, "resolved")
        status, error = await api.call("PATCH", path, body={"status": "closed"})
        assert (status, error["missing"]) == (409, ["review"])

        status, report = await api.call("PUT", f"{path}/review", body={
            "findings": "Schema changes ran without a lock timeout",
            "recommendations": [{"text": "Set a lock timeout", "action_item": True,
                                 "owner": "dba", "due_at": "7d"}, "Rehearse failover"],
            "completed": True})
        assert status == 200
        assert report["review"]["completed"] is True
        assert [t["title"] for t in report["action_items"]] == ["Set a lock timeout"]
        status, incident = await api.call("PATCH", path, body={"status": "closed"})
        assert (status, incident["status"]) == (200, "closed")

        status, markdown = await api.call("GET", f"{path}/review.md")
        assert status == 200
        assert markdown.startswith(f"# Post-incident review: {key} — Checkout down")
        status, html = await api.call("GET", f"{path}/review.html")
        assert status == 200
        assert "<h2>SOP phases</h2>" in html
        status, sent = await api.call("POST", f"{path}/review/send")
        assert status == 202
        assert sent["recipients"] == ["oncall@example.org", "lead@example.org"]
        # one mail per change that matters: acknowledged with ETA, contained as P1,
        # resolved, closed (a short closure notice); notes and tasks wait for the next update
        assert await outbox_kinds(api, key) == [
            "opened", "update", "update", "resolved", "closed", "review"]


async def test_dismiss_as_duplicate_over_the_api(config: Config) -> None:
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        first = await api.open_incident({"title": "VPN down", "dedup_key": "vpn-1"})
        second = await api.open_incident({"title": "Cannot reach VPN", "dedup_key": "vpn-2"})
        status, error = await api.call("PATCH", f"/api/v1/incidents/{second}",
                                       body={"duplicate_of": first})
        assert (status, error["field"]) == (422, "duplicate_of")
        status, incident = await api.call("PATCH", f"/api/v1/incidents/{second}", body={
            "status": "dismissed", "duplicate_of": first, "reason": "same outage"})
        assert status == 200
        assert incident["duplicate_of"] == first
        _, merged = await api.call("GET", f"/api/v1/incidents/{first}")
        assert [a["dedup_key"] for a in merged["alerts"]] == ["vpn-1", "vpn-2"]
        status, error = await api.call("PATCH", f"/api/v1/incidents/{second}", body={
            "status": "responding", "reason": "oops"})
        assert (status, error["error"]) == (409, "cannot change status from dismissed to "
                                                 "responding; dismissed is final")
