"""Shared API plumbing: JSON answers, API tokens and roles."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from daemon.config import ApiToken, Config
from daemon.intake.auth import bearer_token, token_matches
from daemon.keys import RUNTIME
from daemon.web import json_error

ROLES = {"read": 0, "respond": 1, "admin": 2}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def dumps(value: Any) -> str:
    """JSON with ISO 8601 datetimes."""
    return json.dumps(value, default=_default, ensure_ascii=False)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def respond(data: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.json_response(data, status=status, dumps=dumps)


def find_token(config: Config, presented: str | None) -> ApiToken | None:
    """The configured API token matching `presented` (each compared in constant time)."""
    found = None
    for token in config.api.tokens:
        if token_matches(presented, token.token.get_secret_value()):
            found = token
    return found


def requires(role: str) -> Callable[[Handler], Handler]:
    """Decorator: the request needs a bearer API token with at least `role`."""

    def decorate(handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            token = find_token(request.app[RUNTIME].config, bearer_token(request))
            if token is None:
                response = json_error(401, "an API token is required: Authorization: Bearer …")
                response.headers["WWW-Authenticate"] = 'Bearer realm="incidentd"'
                return response
            if ROLES[token.role] < ROLES[role]:
                return json_error(403, f"token {token.name!r} has role {token.role}; "
                                       f"this needs {role}")
            return await handler(request)

        wrapped.__name__ = handler.__name__
        wrapped.__doc__ = handler.__doc__
        return wrapped

    return decorate
