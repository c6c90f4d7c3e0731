"""`GET /api/v1/openapi.json`: the API's description (see `daemon.api.spec`)."""

from __future__ import annotations

from aiohttp import web

from daemon.api.common import respond
from daemon.api.spec import DOCUMENT


async def get_openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document; public, like the routes' shapes it describes."""
    return respond(DOCUMENT)


def add_routes(app: web.Application) -> None:
    """Register the OpenAPI route."""
    app.router.add_get("/api/v1/openapi.json", get_openapi)
