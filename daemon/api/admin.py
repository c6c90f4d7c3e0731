"""Administration: `POST /api/v1/admin/reload` (admin token)."""

from __future__ import annotations

from aiohttp import web

from daemon.api.common import requires, respond
from daemon.ops.wiring import reload_app


@requires("admin")
async def reload(request: web.Request) -> web.Response:
    """Reload the configuration file, as SIGHUP does; 422 and the reason when it is invalid."""
    result = await reload_app(request.app)
    return respond(result.as_dict(), status=200 if result.ok else 422)


def add_routes(app: web.Application) -> None:
    """Register the admin routes."""
    app.router.add_post("/api/v1/admin/reload", reload)
