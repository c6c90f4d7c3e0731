"""HMAC signatures over webhook bodies, and the cache that refuses exact replays.

The signed string is the integration's template (`{body}`, `{timestamp}.{body}`,
…) with the raw body bytes and the timestamp header's text put in. The header
may carry several signatures separated by commas (PagerDuty sends one per
secret while a secret is rotated); any one matching is enough. Every check
compares digests with `hmac.compare_digest`, and no reason names a secret or
the expected digest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from daemon.config.hmac import BODY, TIMESTAMP, SignatureScheme

MAX_REMEMBERED = 10_000  # signatures kept per integration for replay checks


@dataclass(frozen=True, slots=True)
class Claim:
    """A signed request's claim to be stored once: its HMAC, and when its window closes."""

    key: bytes
    until: datetime


class SignatureError(Exception):
    """The signature is missing, malformed, stale, replayed or wrong; `str()` says which."""


def signed_bytes(template: str, body: bytes, timestamp: str | None) -> bytes:
    """The bytes that were signed: the template with body and timestamp put in."""
    before, _, after = template.partition(BODY)

    def fill(text: str) -> bytes:
        return text.replace(TIMESTAMP, timestamp or "").encode("utf-8")

    return fill(before) + body + fill(after)


def digest(scheme: SignatureScheme, message: bytes) -> bytes:
    """The raw HMAC of `message` under the scheme's secret and algorithm."""
    return hmac.new(scheme.secret, message, getattr(hashlib, scheme.algorithm)).digest()


def _decode(text: str, encoding: str) -> bytes | None:
    try:
        if encoding == "hex":
            return bytes.fromhex(text)
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return None


def parse_timestamp(text: str) -> datetime | None:
    """Unix seconds (milliseconds are recognised by their size); None if not a number."""
    try:
        seconds = float(text.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds <= 0:  # NaN or nonsense
        return None
    if seconds > 1e11:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def verify(scheme: SignatureScheme, headers: Mapping[str, str], body: bytes,
           now: datetime) -> tuple[bytes, datetime | None]:
    """Check the request's signature; return (digest, signing time) or raise `SignatureError`.

    The digest identifies the signed request for the replay cache.
    """
    presented = headers.get(scheme.header)
    if presented is None or not presented.strip():
        raise SignatureError(f"missing signature header {scheme.header}")
    timestamp_text: str | None = None
    signed_at: datetime | None = None
    if scheme.timestamp_header:
        timestamp_text = headers.get(scheme.timestamp_header)
        if timestamp_text is None or not timestamp_text.strip():
            raise SignatureError(f"missing timestamp header {scheme.timestamp_header}")
        signed_at = parse_timestamp(timestamp_text)
        if signed_at is None:
            raise SignatureError(f"timestamp header {scheme.timestamp_header} is not "
                                 "Unix seconds")
        if abs(now - signed_at) > scheme.replay_window:
            raise SignatureError("signature timestamp is outside the replay window")
    expected = digest(scheme, signed_bytes(scheme.signed, body, timestamp_text))
    readable = False
    for candidate in presented.split(","):
        candidate = candidate.strip()
        if scheme.prefix:
            if not candidate.startswith(scheme.prefix):
                continue
            candidate = candidate[len(scheme.prefix):]
        decoded = _decode(candidate, scheme.encoding)
        if decoded is None:
            continue
        readable = True
        if hmac.compare_digest(decoded, expected):
            return expected, signed_at
    raise SignatureError("signature does not match" if readable else "malformed signature")


class ReplayCache:
    """Signatures seen recently, each kept until its timestamp leaves the window.

    Bounded: past `limit` entries the oldest are dropped first. A claim is
    taken before a report is stored and released if storing fails, so a
    sender's honest retry is not mistaken for a replay.
    """

    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self._limit = limit
        self._seen: OrderedDict[bytes, datetime] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def claim(self, key: bytes, until: datetime, now: datetime) -> bool:
        """Remember `key` until `until`; False if it is already remembered (a replay)."""
        self._expire(now)
        if key in self._seen:
            return False
        self._seen[key] = until
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return True

    def release(self, key: bytes) -> None:
        """Forget `key` (its request was not stored after all)."""
        self._seen.pop(key, None)

    def _expire(self, now: datetime) -> None:
        # Entries arrive roughly in timestamp order; stop at the first live one.
        while self._seen:
            key, until = next(iter(self._seen.items()))
            if until > now:
                break
            del self._seen[key]


def replay_deadline(signed_at: datetime, window: timedelta) -> datetime:
    """Until when a signature made at `signed_at` could still be accepted."""
    return signed_at + window
