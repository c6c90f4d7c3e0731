"""`GET /api/v1/intake/{id}`: what became of a raw report."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from daemon.api.common import requires, respond
from daemon.api.unit import answers, path_id
from daemon.keys import SESSIONS
from daemon.store import repo
from daemon.store.models import Intake
from daemon.web import json_error


@requires("read")
@answers
async def get_intake(request: web.Request) -> web.Response:
    """What became of one intake row."""
    intake_id = path_id(request, "intake_id", "intake id")

    def load(session: Session) -> dict[str, Any] | None:
        intake = session.get(Intake, intake_id)
        if intake is None:
            return None
        reports = repo.get_reports_for_intake(session, intake_id=intake_id)
        keys: dict[str, None] = {}
        for report in reports:
            if report.incident_id is not None:
                keys.setdefault(f"INC-{report.incident_id}", None)
        return {
            "id": intake.id, "status": intake.status, "reason": intake.reason,
            "details": intake.details, "source": intake.source,
            "integration": intake.integration, "received_at": intake.received_at,
            "processed_at": intake.processed_at, "sha256": intake.sha256,
            "incidents": list(keys),
            "reports": [{"title": r.title, "status": r.status, "outcome": r.outcome,
                         "incident": f"INC-{r.incident_id}" if r.incident_id else None}
                        for r in reports],
        }

    async with request.app[SESSIONS]() as session:
        data = await session.run_sync(load)
    if data is None:
        return json_error(404, f"no intake row {intake_id}", field="intake_id")
    return respond(data)


def add_routes(app: web.Application) -> None:
    """Register the intake routes."""
    app.router.add_get("/api/v1/intake/{intake_id}", get_intake)
