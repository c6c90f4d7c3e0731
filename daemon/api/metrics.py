"""`GET /metrics`: Prometheus text format, store gauges read at scrape time."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from daemon.intake.auth import bearer_token, token_matches
from daemon.keys import CLOCK, RUNTIME
from daemon.ops.metrics import METRICS
from daemon.ops.wiring import disk_space, store_stats
from daemon.web import json_error

log = logging.getLogger(__name__)


async def metrics(request: web.Request) -> web.Response:
    """Every `incidentd_*` series; optionally behind `[metrics] token`."""
    config = request.app[RUNTIME].config.metrics
    if not config.enabled:
        return json_error(404, "metrics are disabled ([metrics] enabled = false)")
    if config.token is not None:
        presented = bearer_token(request) or request.query.get("token")
        if not token_matches(presented, config.token.get_secret_value()):
            response = json_error(401, "a metrics token is required: Authorization: Bearer …")
            response.headers["WWW-Authenticate"] = 'Bearer realm="incidentd"'
            return response
    registry = request.app[METRICS]
    try:
        registry.update_store(await store_stats(request.app), request.app[CLOCK].now())
    except Exception as exc:  # noqa: BLE001 - still expose the process's own series
        log.warning("metrics: cannot read the store error=%s", type(exc).__name__)
        registry.database_up.set(0)
    try:
        await disk_space(request.app)
    except OSError as exc:  # the last figures stay
        log.warning("metrics: cannot measure disk space error=%s", exc)
    body = generate_latest(registry.registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def add_routes(app: web.Application) -> None:
    """Register the metrics route."""
    app.router.add_get("/metrics", metrics)
