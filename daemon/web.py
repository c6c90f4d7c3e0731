"""HTTP plumbing shared by the webhook and API handlers: JSON errors, logging."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# The client's address behind a trusted proxy (set by `daemon.forwarded`), for
# the access log: it sees the request as it arrived, before middlewares.
CLIENT = web.RequestKey("client", str)

# The intake row a request was stored as, for the access log line: one line per
# accepted webhook, with the id to look it up by.
INTAKE_ID = web.ResponseKey("intake_id", int)

# The request body limit the application was built with (aiohttp enforces it
# before a handler runs and keeps its own copy private).
BODY_LIMIT = web.AppKey("body_limit", int)


def malformed_request_line(record: logging.LogRecord) -> bool:
    """A `logging` filter for "aiohttp.server": a malformed request as one INFO line.

    aiohttp answers a request it cannot parse with 400 itself and logs it at
    ERROR with a traceback; so it does again for a body that does not
    decompress, when it drains the rest after our 400. That is the client's
    mistake (or a scanner), not ours, so it becomes `bad HTTP request peer=…
    reason=…` and stays out of error alerts; anything else passes unchanged.
    """
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, web.RequestPayloadError):
        exc = exc.__cause__
    if not isinstance(exc, HttpProcessingError) or exc.code >= 500:
        return True
    peer = record.args[0] if isinstance(record.args, tuple) and record.args else "-"
    reason = (exc.message or "").strip().splitlines()
    record.levelno, record.levelname = logging.INFO, "INFO"
    record.msg = "bad HTTP request peer=%s status=%d reason=%s"
    record.args = (peer, exc.code, reason[0].rstrip(":") if reason else type(exc).__name__)
    record.exc_info, record.exc_text = None, None
    return logging.getLogger(record.name).isEnabledFor(logging.INFO)


class BodyTimeout(Exception):
    """The request body did not arrive whole in time (`[server] http_body_timeout`)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the body did not arrive within {seconds:g}s")


async def within(request: web.BaseRequest, seconds: float, reading: Awaitable[bytes]) -> bytes:
    """`reading` (`request`'s body), or BodyTimeout after `seconds`.

    Without it, a client whose body stops arriving (or a connection that died
    without a FIN) would hold its handler and its connection for as long as
    TCP keepalive takes: two hours by default. A body that is complete
    already (the usual case: it came with the headers) needs no timer.
    """
    if request.content.is_eof():
        return await reading
    try:
        async with asyncio.timeout(seconds):
            return await reading
    except TimeoutError:
        raise BodyTimeout(seconds) from None


def json_error(status: int, message: str, *, field: str | None = None,
               **extra: Any) -> web.Response:
    """`{"error": message, "field": field}` with `status`."""
    return web.json_response({"error": message, "field": field, **extra}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error answers JSON; nothing leaks a stack trace."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[BODY_LIMIT]
        return json_error(413, f"body too large; the limit is {limit} bytes", field="body")
    except web.HTTPMethodNotAllowed as exc:
        response = json_error(405, f"method {exc.method} not allowed here; "
                                   f"use {', '.join(sorted(exc.allowed_methods))}")
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return response
    except web.HTTPNotFound:
        return json_error(404, f"no such resource: {request.path}")
    except web.HTTPException as exc:
        if exc.status >= 400:
            return json_error(exc.status, exc.reason)
        raise
    except BodyTimeout as exc:
        response = json_error(408, str(exc), field="body")
        response.force_close()  # the rest may still come; it is not read
        return response
    except web.RequestPayloadError as exc:  # e.g. a gzip body that does not decompress
        reason = " ".join(str(exc).split()).removeprefix("400, message: ")
        return json_error(400, f"the body could not be read: {reason}", field="body")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "internal error; see the daemon log")


class AccessLogger(AbstractAccessLogger):
    """One line per request, without the query string (it may carry a token)."""

    @property
    def enabled(self) -> bool:
        """Whether a line would be written; aiohttp skips the timing and the call otherwise."""
        return self.logger.isEnabledFor(logging.INFO)  # the quiet DEBUG lines need INFO too

    def log(self, request: web.BaseRequest, response: web.StreamResponse,
            time: float) -> None:
        """See `AbstractAccessLogger`."""
        # Probes and scrapes arrive every few seconds; log them only when they fail.
        quiet = request.path in PROBE_PATHS and response.status < 400
        peer = request.get(CLIENT) or request.remote  # behind a trusted proxy: the client
        level = logging.DEBUG if quiet else logging.INFO
        intake_id = response.get(INTAKE_ID)
        if intake_id is not None:
            self.logger.log(level, "http %s %s status=%d bytes=%d ms=%.1f peer=%s intake=%d",
                            request.method, request.path, response.status,
                            response.body_length, time * 1000, peer, intake_id)
            return
        self.logger.log(level, "http %s %s status=%d bytes=%d ms=%.1f peer=%s",
                        request.method, request.path, response.status,
                        response.body_length, time * 1000, peer)
