"""`POST /api/v1/webhooks/{integration}`: authenticate, bound, store, answer 202.

In this order: unknown integration 404; token and basic credentials 401;
content type 415; body size 413 (the integration's `max_body_size`, else the
server's); signature 401; rate limit 429; empty or non-JSON body 400; store
(503 when the store is down). Nothing refused is stored.
"""

from __future__ import annotations

import codecs
import logging
from datetime import datetime

import orjson
from aiohttp import web

from daemon.config import Config, IntegrationConfig
from daemon.intake.auth import AuthError, authenticate_webhook, check_signature
from daemon.intake.json_body import NotJson, decode_json
from daemon.intake.limits import GUARDS, BodyTooLarge, IntakeGuards, read_body
from daemon.intake.signature import Claim
from daemon.intake.writer import IntakeRecord, IntakeWriter, Replayed, StoreUnavailable
from daemon.keys import CLOCK, RUNTIME, WRITER
from daemon.web import INTAKE_ID, json_error

log = logging.getLogger(__name__)

JSON_TYPES = ("application/json", "text/plain", "application/x-json", "text/json")


def accepts_content_type(content_type: str) -> bool:
    """JSON, `+json` types, and text/plain (AWS SNS posts JSON as text/plain)."""
    return not content_type or content_type in JSON_TYPES or content_type.endswith("+json")


def auth_refused(name: str, request: web.Request, exc: AuthError) -> web.Response:
    """401 with the reason (which never contains a credential), logged once."""
    log.info("webhook auth failed integration=%s peer=%s reason=%s", name, request.remote, exc)
    response = json_error(401, f"authentication failed: {exc}")
    challenge = "Basic" if exc.scheme == "Basic" else "Bearer"
    response.headers["WWW-Authenticate"] = f'{challenge} realm="incidentd"'
    return response


def rate_limited(name: str, wait: int) -> web.Response:
    """429 with Retry-After."""
    log.warning("webhook rate limit integration=%s retry_after=%ds", name, wait)
    response = json_error(429, f"integration {name!r} is over its rate limit; retry in {wait}s")
    response.headers["Retry-After"] = str(wait)
    return response


def json_problem(body: bytes) -> str | None:
    """Why `body` is not a JSON document, or None when it is.

    orjson answers the common case in a fraction of the standard parser's time;
    only a body it refuses goes through the standard parser, which accepts a
    little more (NaN, a byte-order mark) and words its errors with positions.
    """
    if not body.strip():
        return "empty body; send a JSON document"
    try:
        orjson.loads(body[3:] if body.startswith(codecs.BOM_UTF8) else body)
        return None
    except orjson.JSONDecodeError:
        pass
    try:
        decode_json(body)
    except NotJson as exc:
        return f"body is {exc.reason}"
    return None


def accepted(intake_id: int) -> web.Response:
    """202 with the intake id; the body is written out because it is answered per report."""
    body = (f'{{"status": "accepted", "intake_id": {intake_id:d}, '
            f'"url": "/api/v1/intake/{intake_id:d}"}}').encode()
    response = web.Response(body=body, status=202, content_type="application/json")
    response[INTAKE_ID] = intake_id  # the access log line names it
    return response


def body_limit(config: Config, integration: IntegrationConfig) -> int:
    """The integration's body size limit, else the server's."""
    return integration.max_body_size or config.server.max_body_size


async def receive_webhook(request: web.Request) -> web.Response:
    """Store one webhook body and answer with its intake id."""
    app = request.app  # a property that looks it up each time
    config: Config = app[RUNTIME].config  # integrations and tokens reload
    name = request.match_info["integration"]
    integration = config.integrations.get(name)
    if integration is None or not integration.enabled:
        return json_error(404, f"no integration named {name!r}", field="integration")
    try:
        authenticate_webhook(request, integration)
    except AuthError as exc:
        return auth_refused(name, request, exc)
    if not accepts_content_type(request.content_type.lower()):
        return json_error(415, f"content type {request.content_type!r} is not accepted; "
                               "send application/json", field="Content-Type")
    try:
        body = await read_body(request, body_limit(config, integration),
                               config.server.http_body_timeout.total_seconds())
    except BodyTooLarge as exc:
        return json_error(413, str(exc), field="body")
    guards = app[GUARDS]
    replays = guards.replays(name)
    now = app[CLOCK].now()
    try:
        claim = check_signature(integration, request.headers, body, now, replays)
    except AuthError as exc:
        return auth_refused(name, request, exc)
    response = await _admit_and_store(request, app[WRITER], guards, name, integration, body,
                                      now, claim)
    if claim is not None and response.status != 202:
        replays.release(claim.key)  # not stored: the sender's retry must not count as a replay
    return response


async def _admit_and_store(request: web.Request, writer: IntakeWriter, guards: IntakeGuards,
                           name: str, integration: IntegrationConfig, body: bytes,
                           now: datetime, claim: Claim | None) -> web.Response:
    wait = guards.admit(name, integration.rate_limit)
    if wait:
        return rate_limited(name, wait)
    problem = json_problem(body)
    if problem is not None:
        return json_error(400, problem, field="body")
    record = IntakeRecord(
        received_at=now,
        source="webhook",
        raw=body,
        integration=name,
        peer=request.remote,
        content_type=request.content_type,
        claim=claim,
    )
    try:
        intake_id = await writer.submit(record)
    except Replayed:  # stored already, through this daemon before a restart or another one
        return auth_refused(name, request, AuthError("replayed signature", "Signature"))
    except StoreUnavailable:
        response = json_error(503, "the report could not be stored; retry later")
        response.headers["Retry-After"] = "5"
        return response
    log.debug("webhook accepted intake=%d integration=%s size=%d", intake_id, name, len(body))
    return accepted(intake_id)
