"""The post-incident review: read and write it, its report as Markdown or HTML, mail it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

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
from daemon.comms.review import send_review
from daemon.keys import CLOCK, RUNTIME
from daemon.lifecycle.forms import parse_review
from daemon.reporting.review import Format, render_review, review_report
from daemon.work import Work

CONTENT_TYPES = {"md": "text/markdown", "html": "text/html"}


async def _report(request: web.Request) -> dict[str, Any]:
    number = incident_number(request)
    cfg, now = config(request), request.app[CLOCK].now()
    return await read(request, lambda s: review_report(s, cfg, load_incident(s, number), now))


@requires("read")
@answers
async def get_review(request: web.Request) -> web.Response:
    """The review and everything its report shows, as JSON."""
    return respond(await _report(request))


@requires("respond")
@answers
async def put_review(request: web.Request) -> web.Response:
    """Write the review (fields not given stay as they are); answers the report."""
    number = incident_number(request)
    data = await json_body(request)
    who = actor(request)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work.session, number)
        lifecycle.update_review(work, incident, who, **parse_review(work, data))
        work.session.flush()
        return review_report(work.session, work.config, incident, work.now)

    return respond(await change(request, apply))


def _rendered(fmt: Format) -> Any:
    @requires("read")
    @answers
    async def get_rendered(request: web.Request) -> web.Response:
        """The review report as a document."""
        report = await _report(request)
        text = render_review(request.app[RUNTIME].get_renderer(), report, fmt)
        return web.Response(text=text, content_type=CONTENT_TYPES[fmt], charset="utf-8")

    get_rendered.__name__ = f"get_review_{fmt}"
    return get_rendered


@requires("respond")
@answers
async def send(request: web.Request) -> web.Response:
    """Mail the review report to the incident's stakeholder lists (through the outbox)."""
    number = incident_number(request)
    renderer = request.app[RUNTIME].get_renderer()

    def apply(work: Work) -> list[str]:
        incident = load_incident(work.session, number)
        report = review_report(work.session, work.config, incident, work.now)
        return send_review(work, renderer, incident,
                           markdown=render_review(renderer, report, "md"),
                           html=render_review(renderer, report, "html"))

    recipients = await change(request, apply)
    if not recipients:
        raise ApiError(409, "the incident has no stakeholders to send the review to", "lists")
    return respond({"status": "queued", "recipients": recipients}, status=202)



def add_routes(app: web.Application) -> None:
    """Register the review routes."""
    app.router.add_get("/api/v1/incidents/{key}/review", get_review)
    app.router.add_put("/api/v1/incidents/{key}/review", put_review)
    app.router.add_get("/api/v1/incidents/{key}/review.md", _rendered("md"))
    app.router.add_get("/api/v1/incidents/{key}/review.html", _rendered("html"))
    app.router.add_post("/api/v1/incidents/{key}/review/send", send)
