"""Liveness and readiness."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from daemon.api.common import respond
from daemon.keys import ENGINE
from daemon.store.migrate import SchemaError, check_schema


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and its event loop answers."""
    return respond({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers and its schema is current."""
    problems = []
    try:
        async with request.app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
        await check_schema(request.app[ENGINE], "")
    except SchemaError as exc:
        problems.append(f"database: {exc}")
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        problems.append(f"database: {type(exc).__name__}: {exc}")
    if problems:
        return respond({"status": "unready", "problems": problems}, status=503)
    return respond({"status": "ready", "problems": []})


def add_routes(app: web.Application) -> None:
    """Register the health routes."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
