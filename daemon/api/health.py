"""Liveness and readiness: `GET /healthz`, `GET /readyz`."""

from __future__ import annotations

from aiohttp import web

from daemon.api.common import respond
from daemon.keys import RUNTIME
from daemon.ops.wiring import OPS, readiness


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and its event loop answers in time (503 when it lags)."""
    monitor = request.app[OPS].monitor
    lag = monitor.current_lag()
    limit = request.app[RUNTIME].config.health.loop_lag.total_seconds()
    body = {"service": "incidentd", "loop_lag_seconds": round(lag, 3)}
    if lag > limit:
        return respond({**body, "status": "unhealthy",
                        "problem": f"the event loop lags {lag:.1f} s (limit {limit:g} s)"},
                       status=503)
    return respond({**body, "status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when every check passes; otherwise 503 and what is wrong with each."""
    checks = await readiness(request.app)
    failed = [c for c in checks if not c.ok]
    body = {
        "status": "unready" if failed else "ready",
        "checks": [c.as_dict() for c in checks],
        "problems": [f"{c.name}: {c.detail}" for c in failed],
    }
    return respond(body, status=503 if failed else 200)


def add_routes(app: web.Application) -> None:
    """Register the health routes."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
