"""The HTTP API: incidents, intake status, health.

Handlers only authorise, validate, call the store or lifecycle, and answer JSON.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.orm import Session

from daemon.comms.context import incident_values
from daemon.config import ApiToken, Config
from daemon.config.types import parse_duration
from daemon.intake.auth import bearer_token, token_matches
from daemon.keys import CLOCK, CONFIG, ENGINE, SESSIONS
from daemon.store import repo
from daemon.store.migrate import SchemaError, check_schema
from daemon.store.models import IncidentStatus, Intake, parse_incident_key
from daemon.web import json_error

ROLES = {"read": 0, "respond": 1, "admin": 2}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def dumps(value: Any) -> str:
    """JSON with ISO 8601 datetimes."""
    return json.dumps(value, default=_default, ensure_ascii=False)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def respond(data: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.json_response(data, status=status, dumps=dumps)


def find_token(config: Config, presented: str | None) -> ApiToken | None:
    """The configured API token matching `presented` (each compared in constant time)."""
    found = None
    for token in config.api.tokens:
        if token_matches(presented, token.token.get_secret_value()):
            found = token
    return found


def requires(role: str) -> Callable[[Handler], Handler]:
    """Decorator: the request needs a bearer API token with at least `role`."""

    def decorate(handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            token = find_token(request.app[CONFIG], bearer_token(request))
            if token is None:
                response = json_error(401, "an API token is required: Authorization: Bearer …")
                response.headers["WWW-Authenticate"] = 'Bearer realm="incidentd"'
                return response
            if ROLES[token.role] < ROLES[role]:
                return json_error(403, f"token {token.name!r} has role {token.role}; "
                                       f"this needs {role}")
            return await handler(request)

        wrapped.__name__ = handler.__name__
        wrapped.__doc__ = handler.__doc__
        return wrapped

    return decorate


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and its event loop answers."""
    return respond({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers and its schema is current."""
    problems = []
    try:
        async with request.app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
        await check_schema(request.app[ENGINE], "")
    except SchemaError as exc:
        problems.append(f"database: {exc}")
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        problems.append(f"database: {type(exc).__name__}: {exc}")
    if problems:
        return respond({"status": "unready", "problems": problems}, status=503)
    return respond({"status": "ready", "problems": []})


@requires("read")
async def get_intake(request: web.Request) -> web.Response:
    """What became of one intake row."""
    try:
        intake_id = int(request.match_info["intake_id"])
    except ValueError:
        return json_error(400, "intake id must be a number", field="intake_id")

    def load(session: Session) -> dict[str, Any] | None:
        intake = session.get(Intake, intake_id)
        if intake is None:
            return None
        reports = repo.get_reports_for_intake(session, intake_id=intake_id)
        keys: dict[str, None] = {}
        for report in reports:
            if report.incident_id is not None:
                keys.setdefault(f"INC-{report.incident_id}", None)
        return {
            "id": intake.id, "status": intake.status, "reason": intake.reason,
            "details": intake.details, "source": intake.source,
            "integration": intake.integration, "received_at": intake.received_at,
            "processed_at": intake.processed_at, "sha256": intake.sha256,
            "incidents": list(keys),
            "reports": [{"title": r.title, "status": r.status, "outcome": r.outcome,
                         "incident": f"INC-{r.incident_id}" if r.incident_id else None}
                        for r in reports],
        }

    async with request.app[SESSIONS]() as session:
        data = await session.run_sync(load)
    if data is None:
        return json_error(404, f"no intake row {intake_id}", field="intake_id")
    return respond(data)


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
        filters["since"] = _parse_since(query["since"], request.app[CLOCK].now())
    if "limit" in query:
        if not query["limit"].isdigit() or not 1 <= int(query["limit"]) <= 1000:
            raise ValueError("limit: must be 1 to 1000")
        filters["limit"] = int(query["limit"])
    return filters


def _parse_since(value: str, now: datetime) -> datetime:
    try:
        return now - parse_duration(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("since: use a duration like 24h or an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ValueError("since: give a time zone, e.g. 2024-05-01T00:00:00Z")
    return parsed


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
            incident_values(i) for i in repo.get_incidents(s, **filters)])
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
        data = incident_values(incident)
        data["alerts"] = [{"dedup_key": a.dedup_key, "status": a.status, "title": a.title,
                           "severity": a.severity, "count": a.count,
                           "first_seen": a.first_seen, "last_seen": a.last_seen,
                           "resolved_at": a.resolved_at}
                          for a in repo.get_alerts(session, incident_id=number)]
        data["timeline"] = [{"at": t.at, "actor": t.actor, "source": t.source, "kind": t.kind,
                             "old": t.old, "new": t.new, "text": t.text}
                            for t in repo.get_timeline(session, incident_id=number)]
        return data

    async with request.app[SESSIONS]() as session:
        data = await session.run_sync(load)
    if data is None:
        return json_error(404, f"no incident {key}", field="key")
    return respond(data)


def add_routes(app: web.Application) -> None:
    """Register the API routes."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/api/v1/intake/{intake_id}", get_intake)
    app.router.add_get("/api/v1/incidents", list_incidents)
    app.router.add_get("/api/v1/incidents/{key}", get_incident)
