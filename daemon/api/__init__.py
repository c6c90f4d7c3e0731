"""The HTTP API: incidents and their lifecycle, tasks, reviews, stats, intake, health.

Handlers only authorise, validate, call the store or lifecycle, and answer JSON.
One module per resource; each registers its own routes.
"""

from __future__ import annotations

from aiohttp import web

from daemon.api import (
    admin,
    attachments,
    changes,
    health,
    incidents,
    intake,
    metrics,
    openapi,
    outbox,
    recipients,
    review,
    stats,
    tasks,
    triage,
)
from daemon.api.common import dumps

__all__ = ["add_routes", "dumps"]


def add_routes(app: web.Application) -> None:
    """Register every API route."""
    for module in (health, intake, incidents, changes, tasks, review, stats, recipients,
                   attachments, outbox, triage, metrics, admin, openapi):
        module.add_routes(app)
