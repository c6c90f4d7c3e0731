"""Webhook authentication: token, HTTP basic, HMAC signature; all compared in constant time.

An integration may configure several methods; a request must satisfy every
one configured (a token *and* a signature, say). With none it is open, which
suits a deployment behind a proxy that authenticates; the example
configuration always sets a token. Reasons given to the sender and written to
the log say what was wrong, never what was expected.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import datetime

from aiohttp import web

from daemon.config import IntegrationConfig
from daemon.intake.signature import (
    Claim,
    ReplayCache,
    SignatureError,
    replay_deadline,
    verify,
)


class AuthError(Exception):
    """The request did not prove it may post to this integration."""

    def __init__(self, reason: str, scheme: str = "Bearer") -> None:
        super().__init__(reason)
        self.scheme = scheme  # for WWW-Authenticate


def bearer_token(request: web.Request) -> str | None:
    """The token from `Authorization: Bearer …`, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def basic_credentials(request: web.Request) -> tuple[str, str] | None:
    """(user, password) from `Authorization: Basic …`, or None (absent or unreadable)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the configured one."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def authenticate_webhook(request: web.Request, integration: IntegrationConfig) -> None:
    """Raise `AuthError` unless the request carries the token and basic credentials.

    These need no body; the signature (`check_signature`) is checked once the
    body has been read.
    """
    if integration.token is not None:
        expected = integration.token.get_secret_value()
        presented = bearer_token(request) or request.query.get("token")
        if not token_matches(presented, expected):
            raise AuthError("missing token" if presented is None else "wrong token")
    if integration.username is not None and integration.password is not None:
        credentials = basic_credentials(request)
        if credentials is None:
            raise AuthError("missing basic credentials", "Basic")
        # Both compared every time: which of the two was wrong is not revealed by timing.
        user_ok = token_matches(credentials[0], integration.username)
        password_ok = token_matches(credentials[1], integration.password.get_secret_value())
        if not (user_ok and password_ok):
            raise AuthError("wrong basic credentials", "Basic")


def check_signature(integration: IntegrationConfig, headers: Mapping[str, str], body: bytes,
                    now: datetime, replays: ReplayCache) -> Claim | None:
    """Verify the HMAC signature, if the integration wants one; return the replay claim.

    With a timestamp header, a signature this daemon already saw inside the
    replay window is refused; the caller releases the returned claim when the
    report is not stored after all. The claim also goes into the store with
    the report, where every daemon sharing the database checks it.
    """
    if integration.hmac is None:
        return None
    scheme = integration.hmac.scheme()
    try:
        key, signed_at = verify(scheme, headers, body, now)
    except SignatureError as exc:
        raise AuthError(str(exc), "Signature") from None
    if signed_at is None:
        return None  # nothing bounds a replay without a signed time; see the docs
    until = replay_deadline(signed_at, scheme.replay_window)
    if not replays.claim(key, until, now):
        raise AuthError("replayed signature", "Signature")
    return Claim(key, until)
