"""`POST /v2/enqueue`: PagerDuty's Events API v2, for tools that only speak PagerDuty.

Point such a tool at `https://incidentd…/v2/enqueue` instead of
`https://events.pagerduty.com/v2/enqueue`. The event's `routing_key` selects
the `type = "pagerduty"` integration that carries it (compared in constant
time); it is the credential. Answers mirror PagerDuty's: 202
`{"status": "success", "message": "Event processed", "dedup_key": …}` and 400
`{"status": "invalid event", "message": "Event object is invalid", "errors": […]}`.

A trigger without a `dedup_key` gets a generated one, answered to the sender
and stored in the intake row's details, where the pipeline hands it to the
parser, so the stored alert carries the same key the sender was told.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from daemon.config import Config, IntegrationConfig
from daemon.intake.events_v2 import InvalidEvent, check_event, load_event, new_dedup_key
from daemon.intake.events_v2 import routing_key as event_routing_key
from daemon.intake.http import body_limit
from daemon.intake.limits import GUARDS, BodyTooLarge, read_body
from daemon.intake.writer import IntakeRecord, StoreUnavailable
from daemon.keys import CLOCK, RUNTIME, WRITER
from daemon.web import INTAKE_ID

log = logging.getLogger(__name__)

# The key under which the generated dedup key is kept in `intake.details`.
GENERATED_DEDUP_KEY = "dedup_key"


def answer(status: int, state: str, message: str, **extra: Any) -> web.Response:
    """A PagerDuty-shaped answer."""
    return web.json_response({"status": state, "message": message, **extra}, status=status)


def invalid(errors: list[str], status: int = 400) -> web.Response:
    """PagerDuty's answer to an event it refuses."""
    return answer(status, "invalid event", "Event object is invalid", errors=errors)


def find_integration(config: Config, presented: str) -> tuple[str, IntegrationConfig] | None:
    """The enabled pagerduty integration whose routing key is `presented`.

    Every configured key is compared (in constant time), so the answer time
    does not tell which integration came close.
    """
    found = None
    given = presented.encode("utf-8")
    for name, integration in config.integrations.items():
        key = integration.routing_key
        if key is None or integration.type != "pagerduty" or not integration.enabled:
            continue
        if hmac.compare_digest(given, key.get_secret_value().encode("utf-8")):
            found = (name, integration)
    return found


def largest_limit(config: Config) -> int:
    """The largest body any pagerduty integration accepts (before we know which one)."""
    limits = [body_limit(config, i) for i in config.integrations.values()
              if i.routing_key is not None]
    return max([config.server.max_body_size, *limits])


async def enqueue_event(request: web.Request) -> web.Response:
    """Store one Events API v2 event and answer as PagerDuty does."""
    config: Config = request.app[RUNTIME].config  # routing keys reload with the config
    try:
        body = await read_body(request, largest_limit(config),
                               config.server.http_body_timeout.total_seconds())
        event = load_event(body)
        presented = event_routing_key(event)
    except BodyTooLarge as exc:
        return invalid([str(exc)], status=413)
    except InvalidEvent as exc:
        return invalid(exc.errors)
    found = find_integration(config, presented)
    if found is None:
        log.info("enqueue refused: unknown routing key peer=%s", request.remote)
        return invalid(["Invalid routing key"])
    name, integration = found
    if len(body) > body_limit(config, integration):
        return invalid([str(BodyTooLarge(body_limit(config, integration)))], status=413)
    wait = request.app[GUARDS].admit(name, integration.rate_limit)
    if wait:
        log.warning("enqueue rate limit integration=%s retry_after=%ds", name, wait)
        response = answer(429, "throttle event", "Requests for this service are arriving "
                                                 "too quickly; retry later")
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        checked = check_event(event)
    except InvalidEvent as exc:
        return invalid(exc.errors)
    return await _store(request, name, body, checked.dedup_key)


async def _store(request: web.Request, name: str, body: bytes,
                 dedup_key: str | None) -> web.Response:
    details: Mapping[str, Any] | None = None
    if dedup_key is None:
        dedup_key = new_dedup_key()
        details = {GENERATED_DEDUP_KEY: dedup_key}
    record = IntakeRecord(received_at=request.app[CLOCK].now(), source="webhook", raw=body,
                          integration=name, peer=request.remote,
                          content_type="application/json", details=details)
    try:
        intake_id = await request.app[WRITER].submit(record)
    except StoreUnavailable:
        response = answer(503, "unavailable", "The event could not be stored; retry later")
        response.headers["Retry-After"] = "5"
        return response
    log.debug("enqueue accepted intake=%d integration=%s size=%d", intake_id, name, len(body))
    response = answer(202, "success", "Event processed", dedup_key=dedup_key)
    response[INTAKE_ID] = intake_id  # the access log line names it
    return response
