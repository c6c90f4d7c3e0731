"""`GET /api/v1/stats`: metrics across incidents."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from daemon.api.common import requires, respond
from daemon.api.unit import ApiError, answers, config, read
from daemon.config.types import parse_duration
from daemon.keys import CLOCK
from daemon.reporting.stats import compute_stats

DEFAULT_SINCE = timedelta(days=30)


def parse_since(value: str | None, now: datetime) -> datetime:
    """A duration back from now (`30d`) or an ISO 8601 time; 30 days when not given."""
    if value is None:
        return now - DEFAULT_SINCE
    try:
        return now - parse_duration(value)
    except ValueError:
        pass
    try:
        since = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("since: use a duration like 30d or an ISO 8601 time") from None
    if since.tzinfo is None:
        raise ValueError("since: give a time zone, e.g. 2026-03-01T00:00:00Z")
    return since


@requires("read")
@answers
async def get_stats(request: web.Request) -> web.Response:
    """Counts, MTTA, MTTR, time to contain, updates on time, open incidents by age."""
    now = request.app[CLOCK].now()
    try:
        since = parse_since(request.query.get("since"), now)
    except ValueError as exc:
        raise ApiError(400, str(exc).removeprefix("since: "), "since") from None
    cfg = config(request)
    return respond(await read(request, lambda s: compute_stats(s, cfg, now=now, since=since)))


def add_routes(app: web.Application) -> None:
    """Register the stats route."""
    app.router.add_get("/api/v1/stats", get_stats)
