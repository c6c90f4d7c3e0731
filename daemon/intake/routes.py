"""The intake routes: the webhook endpoint and the PagerDuty-compatible one."""

from __future__ import annotations

from aiohttp import web

from daemon.intake.enqueue import enqueue_event
from daemon.intake.http import receive_webhook
from daemon.intake.limits import GUARDS, IntakeGuards


def add_routes(app: web.Application) -> None:
    """Register the intake routes and the per-integration state they share."""
    app[GUARDS] = IntakeGuards()
    app.router.add_post("/api/v1/webhooks/{integration}", receive_webhook)
    # PagerDuty's URL, with and without the trailing slash some senders append.
    app.router.add_post("/v2/enqueue", enqueue_event)
    app.router.add_post("/v2/enqueue/", enqueue_event)
