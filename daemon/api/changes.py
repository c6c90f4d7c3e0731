"""Changing incidents: `PATCH /api/v1/incidents/{key}`, notes, the timeline."""

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
    incident_number,
    json_body,
    load_incident,
    read,
)
from daemon.reporting.views import incident_json, timeline_json
from daemon.store import repo
from daemon.work import Work

NOTE_KINDS = {
    "note": lifecycle.add_comment,
    "investigation": lifecycle.add_investigation_note,
    "containment": lifecycle.add_containment,
}


@requires("respond")
@answers
async def patch_incident(request: web.Request) -> web.Response:
    """Change status and fields; every field is validated before anything changes."""
    number = incident_number(request)
    data = await json_body(request)
    if not isinstance(data, dict):
        raise ApiError(422, "the body must be a JSON object of fields to change", "body")
    who = actor(request)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work.session, number)
        lifecycle.apply_changes(work, incident, who, data)
        return incident_json(incident)

    return respond(await change(request, apply))


@requires("respond")
@answers
async def add_note(request: web.Request) -> web.Response:
    """Add a note, an investigation note or a containment action to the timeline."""
    number = incident_number(request)
    data = await json_body(request)
    if not isinstance(data, dict):
        raise ApiError(422, "the body must be a JSON object with text", "body")
    unknown = sorted(set(data) - {"text", "kind"})
    if unknown:
        raise ApiError(422, f"unknown field {unknown[0]!r}; known: kind, text", unknown[0])
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(422, "text is required", "text")
    kind = data.get("kind", "note")
    if not isinstance(kind, str) or kind not in NOTE_KINDS:
        raise ApiError(422, f"kind must be one of {', '.join(NOTE_KINDS)}", "kind")
    who = actor(request)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work.session, number)
        NOTE_KINDS[kind](work, incident, who, text.strip())
        work.session.flush()
        return timeline_json(repo.get_timeline(work.session, incident_id=number)[-1])

    return respond(await change(request, apply), status=201)


@requires("read")
@answers
async def get_timeline(request: web.Request) -> web.Response:
    """The incident's timeline, oldest first."""
    number = incident_number(request)

    def load(session: Session) -> list[dict[str, Any]]:
        load_incident(session, number)
        return [timeline_json(e) for e in repo.get_timeline(session, incident_id=number)]

    return respond({"timeline": await read(request, load)})


def add_routes(app: web.Application) -> None:
    """Register the routes that change incidents."""
    app.router.add_patch("/api/v1/incidents/{key}", patch_incident)
    app.router.add_post("/api/v1/incidents/{key}/notes", add_note)
    app.router.add_get("/api/v1/incidents/{key}/timeline", get_timeline)
