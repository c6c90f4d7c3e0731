"""Plumbing for the API handlers that change incidents.

Handlers authorise (`requires`), read the body, run a lifecycle change as one
unit of work (`change`) and answer; refusals become JSON errors here:
unknown fields and bad values 422, refused transitions and unmet gates 409,
missing incidents and tasks 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.orm import Session

from daemon.api.common import Handler, find_token
from daemon.config import Config
from daemon.intake.auth import bearer_token
from daemon.intake.json_body import NotJson, decode_json
from daemon.keys import CLOCK, RUNTIME, SESSIONS
from daemon.lifecycle import (
    GateError,
    LifecycleError,
    NotFoundError,
    TransitionError,
    run_change,
)
from daemon.store import repo
from daemon.store.models import Incident, parse_incident_key, parse_row_id
from daemon.web import json_error, within
from daemon.work import Actor, ActorSource, Work

T = TypeVar("T")


class ApiError(Exception):
    """A refusal with its HTTP status and the field at fault."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def answers(handler: Handler) -> Handler:
    """Turn `ApiError` and lifecycle refusals raised by `handler` into JSON errors."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return json_error(exc.status, exc.message, field=exc.field)
        except LifecycleError as exc:
            return lifecycle_error(exc)

    return wrapped


def lifecycle_error(exc: LifecycleError) -> web.Response:
    """The HTTP answer to a lifecycle refusal."""
    if isinstance(exc, NotFoundError):
        return json_error(404, exc.message, field=exc.field)
    if isinstance(exc, TransitionError):
        return json_error(409, exc.message, field=exc.field, allowed=exc.allowed)
    if isinstance(exc, GateError):
        return json_error(409, exc.message, field=exc.field, missing=exc.missing)
    return json_error(422, exc.message, field=exc.field)


def incident_number(request: web.Request) -> int:
    """The incident number in the path (`INC-12` or `12`)."""
    key = request.match_info["key"]
    number = parse_incident_key(key)
    if number is None:
        raise ApiError(400, f"{key!r} is not an incident key like INC-12", "key")
    return number


def load_incident(session: Session, number: int) -> Incident:
    """The incident, or `NotFoundError` (404)."""
    incident = repo.get_incident(session, incident_id=number)
    if incident is None:
        raise NotFoundError(f"no incident INC-{number}", field="key")
    return incident


def path_id(request: web.Request, name: str, what: str) -> int:
    """A numeric id in the path; 400 for anything but a row id (digits, 64-bit)."""
    number = parse_row_id(request.match_info[name])
    if number is None:
        raise ApiError(400, f"{what} must be a number", name)
    return number


async def json_body(request: web.Request) -> Any:
    """The request body as JSON (400 when it is not JSON)."""
    timeout = request.app[RUNTIME].get_config().server.http_body_timeout
    body = await within(request, timeout.total_seconds(), request.read())
    if not body.strip():
        raise ApiError(400, "empty body; send a JSON object", "body")
    try:
        return decode_json(body)
    except NotJson as exc:
        raise ApiError(400, f"body is {exc.reason}", "body") from None


def actor(request: web.Request) -> Actor:
    """Who is making the change: the API token's name, through the API."""
    token = find_token(request.app[RUNTIME].get_config(), bearer_token(request))
    return Actor(token.name if token else "api", ActorSource.API)


def config(request: web.Request) -> Config:
    """The configuration in force."""
    return request.app[RUNTIME].get_config()


async def change(request: web.Request, fn: Callable[[Work], T]) -> T:
    """Run `fn` as one unit of work (the change and the mail it causes commit together)."""
    runtime = request.app[RUNTIME]
    now = request.app[CLOCK].now()
    async with request.app[SESSIONS].begin() as session:
        result = await session.run_sync(lambda s: run_change(
            s, runtime.get_config(), runtime.get_renderer(), now, fn))
    _kick_outbox(request.app)
    return result


async def read(request: web.Request, fn: Callable[[Session], T]) -> T:
    """Run a read-only query."""
    async with request.app[SESSIONS]() as session:
        return await session.run_sync(fn)


def _kick_outbox(app: web.Application) -> None:
    from daemon.app import SCHEDULER  # the app module imports the API: import when used

    scheduler = app.get(SCHEDULER)
    if scheduler is not None:
        scheduler.kick_outbox()
