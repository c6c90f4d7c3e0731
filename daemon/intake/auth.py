"""Webhook authentication: bearer token or `?token=`, compared in constant time."""

from __future__ import annotations

import hmac

from aiohttp import web

from daemon.config import IntegrationConfig


class AuthError(Exception):
    """The request did not prove it may post to this integration."""


def bearer_token(request: web.Request) -> str | None:
    """The token from `Authorization: Bearer …`, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the configured one."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def authenticate_webhook(request: web.Request, integration: IntegrationConfig) -> None:
    """Raise `AuthError` unless the request carries the integration's token.

    An integration without a token is open (useful behind a proxy that
    authenticates); the example configuration always sets one.
    """
    if integration.token is None:
        return
    expected = integration.token.get_secret_value()
    presented = bearer_token(request) or request.query.get("token")
    if not token_matches(presented, expected):
        raise AuthError("missing token" if presented is None else "wrong token")
