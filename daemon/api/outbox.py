"""The outbox for administrators: `GET /api/v1/outbox`, `POST /api/v1/outbox/{id}/retry`."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from daemon.api.common import requires, respond
from daemon.api.unit import ApiError, answers, path_id, read
from daemon.comms.outbox import OutboxError, list_outbox, requeue
from daemon.keys import CLOCK, SESSIONS
from daemon.store.models import OutboxState, parse_incident_key

STATES = [state.value for state in OutboxState]


@requires("admin")
@answers
async def get_outbox(request: web.Request) -> web.Response:
    """Outgoing messages, newest first; `state`, `incident` and `limit` filter."""
    state = request.query.get("state")
    if state is not None and state not in STATES:
        raise ApiError(400, f"state must be one of {', '.join(STATES)}", "state")
    number = None
    if "incident" in request.query:
        number = parse_incident_key(request.query["incident"])
        if number is None:
            raise ApiError(400, "incident must be a key like INC-12", "incident")
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 1000:
        raise ApiError(400, "limit must be 1 to 1000", "limit")
    rows = await read(request, lambda s: list_outbox(s, state=state, incident_id=number,
                                                     limit=limit))
    return respond({"messages": rows})


@requires("admin")
@answers
async def retry_message(request: web.Request) -> web.Response:
    """Requeue a failed message; it is sent at the next outbox tick."""
    outbox_id = path_id(request, "outbox_id", "the outbox id")
    now = request.app[CLOCK].now()

    def run(session: Session) -> dict[str, Any]:
        return requeue(session, outbox_id=outbox_id, now=now)

    try:
        async with request.app[SESSIONS].begin() as session:
            row = await session.run_sync(run)
    except OutboxError as exc:
        raise ApiError(exc.status, exc.message, "outbox_id") from None
    _kick_outbox(request.app)
    return respond(row, status=202)


def _kick_outbox(app: web.Application) -> None:
    from daemon.app import SCHEDULER  # the app module imports the API: import when used

    scheduler = app.get(SCHEDULER)
    if scheduler is not None:
        scheduler.kick_outbox()


def add_routes(app: web.Application) -> None:
    """Register the outbox routes."""
    app.router.add_get("/api/v1/outbox", get_outbox)
    app.router.add_post("/api/v1/outbox/{outbox_id}/retry", retry_message)
