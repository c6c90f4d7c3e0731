"""Incidents: list, show."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from daemon.api.common import requires, respond
from daemon.api.stats import parse_since
from daemon.keys import CLOCK, SESSIONS
from daemon.reporting.views import incident_json, timeline_json
from daemon.store import repo
from daemon.store.models import IncidentStatus, parse_incident_key
from daemon.web import json_error


def _parse_filters(request: web.Request) -> dict[str, Any]:
    query = request.query
    filters: dict[str, Any] = {}
    if "status" in query:
        statuses = [s.strip() for s in query["status"].split(",") if s.strip()]
        if statuses == ["open"]:
            statuses = ["reported", "triaged", "responding", "contained"]
        for status in statuses:
            if status not in IncidentStatus.__members__.values():
                raise ValueError(f"status: unknown status {status!r}")
        filters["statuses"] = statuses
    if "priority" in query:
        if query["priority"] not in ("1", "2", "3", "4"):
            raise ValueError("priority: must be 1, 2, 3 or 4")
        filters["priority"] = int(query["priority"])
    if "since" in query:
        filters["since"] = parse_since(query["since"], request.app[CLOCK].now())
    if "limit" in query:
        if not query["limit"].isdecimal() or not 1 <= int(query["limit"]) <= 1000:
            raise ValueError("limit: must be 1 to 1000")
        filters["limit"] = int(query["limit"])
    return filters


@requires("read")
async def list_incidents(request: web.Request) -> web.Response:
    """Incidents, newest first: ?status=open|a,b &priority=1 &since=24h &limit=100."""
    try:
        filters = _parse_filters(request)
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        return json_error(400, message, field=field)
    async with request.app[SESSIONS]() as session:
        incidents = await session.run_sync(lambda s: [
            incident_json(i) for i in repo.get_incidents(s, **filters)])
    return respond({"incidents": incidents})


@requires("read")
async def get_incident(request: web.Request) -> web.Response:
    """One incident with its alerts and timeline."""
    key = request.match_info["key"]
    number = parse_incident_key(key)
    if number is None:
        return json_error(400, f"{key!r} is not an incident key like INC-12", field="key")

    def load(session: Session) -> dict[str, Any] | None:
        incident = repo.get_incident(session, incident_id=number)
        if incident is None:
            return None
        data = incident_json(incident)
        data["alerts"] = [{"dedup_key": a.dedup_key, "status": a.status, "title": a.title,
                           "severity": a.severity, "count": a.count,
                           "first_seen": a.first_seen, "last_seen": a.last_seen,
                           "resolved_at": a.resolved_at, "flapping": bool(a.flapping)}
                          for a in repo.get_alerts(session, incident_id=number)]
        data["timeline"] = [timeline_json(entry)  # as /timeline shows them
                            for entry in repo.get_timeline(session, incident_id=number)]
        return data

    async with request.app[SESSIONS]() as session:
        data = await session.run_sync(load)
    if data is None:
        return json_error(404, f"no incident {key}", field="key")
    return respond(data)


def add_routes(app: web.Application) -> None:
    """Register the incident routes."""
    app.router.add_get("/api/v1/incidents", list_incidents)
    app.router.add_get("/api/v1/incidents/{key}", get_incident)
