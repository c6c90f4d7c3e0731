"""What intake keeps per integration between requests: rate limits and seen signatures.

Both live in memory, per process: a daemon restart forgets them, and several
daemons behind a load balancer each apply the rate limit on their own. The
seen signatures are a first, cheap check: the replay claim stored with each
report (`daemon.store.claims`) is what holds across restarts and daemons.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta

from aiohttp import web

from daemon.intake.signature import ReplayCache
from daemon.web import within


class TokenBucket:
    """`capacity` requests at once, refilled evenly over `period`."""

    def __init__(self, capacity: int, period: timedelta, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.rate = capacity / period.total_seconds()  # tokens per second
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()

    def take(self) -> float:
        """Take one token: 0.0 if there was one, else the seconds until there will be."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


class IntakeGuards:
    """Per-integration rate-limit buckets and replay caches."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[tuple[int, timedelta], TokenBucket]] = {}
        self._replays: dict[str, ReplayCache] = {}

    def admit(self, name: str, rate: tuple[int, timedelta] | None) -> int:
        """0 when integration `name` may post now, else the whole seconds to wait."""
        if rate is None:
            return 0
        entry = self._buckets.get(name)
        if entry is None or entry[0] != rate:  # new, or the limit changed on reload
            entry = (rate, TokenBucket(rate[0], rate[1], self._clock))
            self._buckets[name] = entry
        wait = entry[1].take()
        return 0 if wait == 0.0 else max(1, math.ceil(wait))

    def replays(self, name: str) -> ReplayCache:
        """The replay cache of integration `name`."""
        cache = self._replays.get(name)
        if cache is None:  # not setdefault: that would build a cache per request
            cache = self._replays[name] = ReplayCache()
        return cache


GUARDS = web.AppKey("intake_guards", IntakeGuards)


class BodyTooLarge(Exception):
    """The request body is larger than `limit` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body too large; the limit is {limit} bytes")
        self.limit = limit


async def read_body(request: web.Request, limit: int, seconds: float) -> bytes:
    """The whole body, refusing more than `limit` bytes without reading them all.

    Reads the stream itself (not `request.read()`) so that each integration's
    own limit applies rather than the application-wide one. Raises BodyTimeout
    when it has not arrived within `seconds`.
    """
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit)
    if request.content.is_eof():  # the usual case: it came with the headers
        body = request.content.read_nowait()
        if len(body) > limit:
            raise BodyTooLarge(limit)
        return body
    return await within(request, seconds, _read_at_most(request, limit))


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
