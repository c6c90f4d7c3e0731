"""An incident's recipients: `GET|POST|DELETE /api/v1/incidents/{key}/recipients`."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from daemon import lifecycle
from daemon.api.common import requires, respond
from daemon.api.unit import (
    ApiError,
    actor,
    answers,
    change,
    config,
    incident_number,
    json_body,
    load_incident,
    read,
)
from daemon.comms.recipients import describe
from daemon.keys import CLOCK
from daemon.work import Work


@requires("read")
@answers
async def get_recipients(request: web.Request) -> web.Response:
    """Who gets the incident's mail, and why (lists, added, removed, held by quiet hours)."""
    number = incident_number(request)
    now = request.app[CLOCK].now()
    settings = config(request)

    def load(session: Session) -> list[dict[str, Any]]:
        incident = load_incident(session, number)
        return [r.as_dict() for r in describe(settings, incident, now)]

    return respond({"recipients": await read(request, load)})


async def _addresses(request: web.Request) -> tuple[list[str], str]:
    data = await json_body(request)
    if not isinstance(data, dict):
        raise ApiError(422, "the body must be a JSON object with addresses", "body")
    unknown = sorted(set(data) - {"addresses", "comment"})
    if unknown:
        raise ApiError(422, f"unknown field {unknown[0]!r}; known: addresses, comment",
                       unknown[0])
    addresses = data.get("addresses")
    if isinstance(addresses, str):
        addresses = [addresses]
    if (not isinstance(addresses, list) or not addresses
            or not all(isinstance(a, str) for a in addresses)):
        raise ApiError(422, "addresses must be a non-empty list of mail addresses",
                       "addresses")
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        raise ApiError(422, "comment must be text", "comment")
    return addresses, comment.strip()


async def _change(request: web.Request, *, adding: bool) -> web.Response:
    number = incident_number(request)
    addresses, comment = await _addresses(request)
    who = actor(request)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work.session, number)
        changes = lifecycle.change_recipients(
            work, incident, who, add=addresses if adding else (),
            remove=() if adding else addresses, comment=comment)
        return {"changed": changes,
                "recipients": [r.as_dict() for r in describe(work.config, incident, work.now)]}

    return respond(await change(request, apply))


@requires("respond")
@answers
async def add_recipients(request: web.Request) -> web.Response:
    """Also mail these addresses about the incident."""
    return await _change(request, adding=True)


@requires("respond")
@answers
async def remove_recipients(request: web.Request) -> web.Response:
    """Stop mailing these addresses about the incident, even when a list includes them."""
    return await _change(request, adding=False)


def add_routes(app: web.Application) -> None:
    """Register the recipient routes."""
    app.router.add_get("/api/v1/incidents/{key}/recipients", get_recipients)
    app.router.add_post("/api/v1/incidents/{key}/recipients", add_recipients)
    app.router.add_delete("/api/v1/incidents/{key}/recipients", remove_recipients)
