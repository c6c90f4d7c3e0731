"""`POST /api/v1/webhooks/{integration}`: authenticate, bound, store, answer 202."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from daemon.config import Config
from daemon.intake.auth import AuthError, authenticate_webhook
from daemon.intake.writer import IntakeRecord, StoreUnavailable
from daemon.keys import CLOCK, RUNTIME, WRITER
from daemon.web import json_error

log = logging.getLogger(__name__)

JSON_TYPES = ("application/json", "text/plain", "application/x-json", "text/json")


def accepts_content_type(content_type: str) -> bool:
    """JSON, `+json` types, and text/plain (AWS SNS posts JSON as text/plain)."""
    return not content_type or content_type in JSON_TYPES or content_type.endswith("+json")


async def receive_webhook(request: web.Request) -> web.Response:
    """Store one webhook body and answer with its intake id."""
    config: Config = request.app[RUNTIME].config  # integrations and tokens reload
    name = request.match_info["integration"]
    integration = config.integrations.get(name)
    if integration is None or not integration.enabled:
        return json_error(404, f"no integration named {name!r}", field="integration")
    try:
        authenticate_webhook(request, integration)
    except AuthError as exc:
        log.info("webhook auth failed integration=%s peer=%s reason=%s",
                 name, request.remote, exc)
        response = json_error(401, f"authentication failed: {exc}")
        response.headers["WWW-Authenticate"] = 'Bearer realm="incidentd"'
        return response
    if not accepts_content_type(request.content_type.lower()):
        return json_error(415, f"content type {request.content_type!r} is not accepted; "
                               "send application/json", field="Content-Type")
    body = await request.read()  # aiohttp answers 413 above client_max_size
    if not body.strip():
        return json_error(400, "empty body; send a JSON document", field="body")
    try:
        json.loads(body.decode("utf-8-sig"))  # JSON on the wire is UTF-8 (RFC 8259)
    except UnicodeDecodeError:
        return json_error(400, "body is not UTF-8 text", field="body")
    except json.JSONDecodeError as exc:
        return json_error(400, f"body is not JSON: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}", field="body")
    record = IntakeRecord(
        received_at=request.app[CLOCK].now(),
        source="webhook",
        raw=body,
        integration=name,
        peer=request.remote,
        content_type=request.content_type,
    )
    try:
        intake_id = await request.app[WRITER].submit(record)
    except StoreUnavailable:
        response = json_error(503, "the report could not be stored; retry later")
        response.headers["Retry-After"] = "5"
        return response
    log.info("webhook accepted intake=%d integration=%s size=%d", intake_id, name, len(body))
    return web.json_response(
        {"status": "accepted", "intake_id": intake_id, "url": f"/api/v1/intake/{intake_id}"},
        status=202,
    )
