"""The HTTP API: incidents, intake status, health.

Handlers only authorise, validate, call the store or lifecycle, and answer JSON.
One module per resource; each registers its own routes.
"""

from __future__ import annotations

from aiohttp import web

from daemon.api import admin, health, incidents, intake, metrics
from daemon.api.common import dumps

__all__ = ["add_routes", "dumps"]


def add_routes(app: web.Application) -> None:
    """Register every API route."""
    for module in (health, intake, incidents, metrics, admin):
        module.add_routes(app)
