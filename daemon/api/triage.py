"""Triage over HTTP: re-triage an incident, silences, suppressed reports.

`POST /api/v1/incidents/{key}/retriage` (respond), `GET|POST /api/v1/silences`
(read | respond), `DELETE /api/v1/silences/{silence_id}` (admin: expires it),
`GET /api/v1/suppressed` (read).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from daemon.api.common import requires, respond
from daemon.api.stats import parse_since
from daemon.api.unit import (
    ApiError,
    actor,
    answers,
    change,
    config,
    incident_number,
    json_body,
    load_incident,
    path_id,
    read,
)
from daemon.keys import CLOCK, SESSIONS
from daemon.reporting.views import incident_json
from daemon.triage.pipeline import Verdict
from daemon.triage.replay import verdict_json
from daemon.triage.retriage import retriage as retriage_incident
from daemon.triage.silences import (
    SilenceError,
    check_vocabulary,
    create_silence,
    expire_silence,
    get_silences,
    get_suppressed,
    parse_silence,
    silence_json,
    suppressed_json,
    window_json,
)
from daemon.work import Work


@requires("respond")
@answers
async def retriage(request: web.Request) -> web.Response:
    """Run the rules in force now on the incident's first report; apply what changed."""
    number = incident_number(request)
    who = actor(request)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work.session, number)
        result = retriage_incident(work, incident, who)
        verdict = verdict_json(Verdict(result.decision,
                                       suppressed_by=result.decision.suppressed_by))
        return {"incident": incident_json(incident), "changed": list(result.changed),
                **verdict}

    return respond(await change(request, apply))


@requires("read")
@answers
async def list_silences(request: web.Request) -> web.Response:
    """Silences not yet ended (?all=true: also ended ones), and the configured windows."""
    include_expired = request.query.get("all", "").lower() in ("1", "true", "yes")
    now = request.app[CLOCK].now()
    windows = [window_json(w, now) for w in config(request).maintenance]
    stored = await read(request, lambda s: [
        silence_json(row, now) for row in get_silences(s, now=now,
                                                       include_expired=include_expired)])
    return respond({"silences": [*stored, *windows]})


@requires("respond")
@answers
async def add_silence(request: web.Request) -> web.Response:
    """Create a silence: matchers and a one-off or recurring schedule, with an expiry."""
    data = await json_body(request)
    now = request.app[CLOCK].now()
    try:
        window = parse_silence(data, now=now)
    except SilenceError as exc:
        raise ApiError(422, exc.message, exc.field) from None
    try:
        check_vocabulary(window, config(request).triage)
    except SilenceError as exc:
        raise ApiError(422, exc.message, exc.field) from None
    who = actor(request).name

    async with request.app[SESSIONS].begin() as session:
        row = await session.run_sync(lambda s: silence_json(create_silence(
            s, window, data.get("match") or {}, created_by=who, now=now), now))
    return respond(row, status=201)


@requires("admin")
@answers
async def delete_silence(request: web.Request) -> web.Response:
    """Expire a silence now (it stays listed with ?all=true)."""
    silence_id = path_id(request, "silence_id", "silence id")
    now = request.app[CLOCK].now()
    who = actor(request).name

    def expire(session: Session) -> dict[str, Any] | None:
        row = expire_silence(session, silence_id, by=who, now=now)
        return silence_json(row, now) if row is not None else None

    async with request.app[SESSIONS].begin() as session:
        answer = await session.run_sync(expire)
    if answer is None:
        raise ApiError(404, f"no silence {silence_id}", "silence_id")
    return respond(answer)


@requires("read")
@answers
async def list_suppressed(request: web.Request) -> web.Response:
    """Reports kept from opening incidents (by windows, silences or rules), newest first."""
    since = None
    if "since" in request.query:
        try:
            since = parse_since(request.query["since"], request.app[CLOCK].now())
        except ValueError as exc:
            raise ApiError(400, str(exc).partition(": ")[2], "since") from None
    limit = request.query.get("limit", "100")
    if not limit.isdecimal() or not 1 <= int(limit) <= 1000:
        raise ApiError(400, "limit must be 1 to 1000", "limit")
    reports = await read(request, lambda s: [
        suppressed_json(r) for r in get_suppressed(s, since=since, limit=int(limit))])
    return respond({"reports": reports})


def add_routes(app: web.Application) -> None:
    """Register the triage routes."""
    app.router.add_post("/api/v1/incidents/{key}/retriage", retriage)
    app.router.add_get("/api/v1/silences", list_silences)
    app.router.add_post("/api/v1/silences", add_silence)
    app.router.add_delete("/api/v1/silences/{silence_id}", delete_silence)
    app.router.add_get("/api/v1/suppressed", list_suppressed)
