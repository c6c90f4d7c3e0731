"""The HTTP listener's cap on open connections, and the throttled log of refusals."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from ipaddress import ip_network
from pathlib import Path

import pytest
from aiohttp import web

from daemon.logs import RefusalLog
from daemon.ops.http_site import CappedSite, ConnectionLimits
from tests.ops.proc import daemon_process
from tests.ops.test_activation import healthy


@asynccontextmanager
async def idle(port: int, source: str = "127.0.0.1") -> AsyncIterator[asyncio.StreamReader]:
    """A connection that sends nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        yield reader
    finally:
        writer.close()
        await writer.wait_closed()


async def get(port: int, path: str = "/", source: str = "127.0.0.1") -> bytes:
    """GET `path` on a new connection; the whole answer (the server closes it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


@asynccontextmanager
async def hello_site(limits: Callable[[], ConnectionLimits]) -> AsyncIterator[CappedSite]:
    """A capped site answering "hello" on /."""
    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    capped = CappedSite(runner, limits, host="127.0.0.1", port=0)
    await capped.start()
    try:
        yield capped
    finally:
        await runner.cleanup()


@pytest.fixture
async def site() -> AsyncIterator[tuple[CappedSite, list[int]]]:
    limit = [2]
    async with hello_site(lambda: ConnectionLimits(limit[0])) as capped:
        yield capped, limit


def port_of(site: CappedSite) -> int:
    return int(site.name.rsplit(":", 1)[1])


async def test_connections_beyond_the_cap_get_503_and_are_closed(
        site: tuple[CappedSite, list[int]], caplog: pytest.LogCaptureFixture) -> None:
    capped, limit = site
    port = port_of(capped)
    assert (await get(port)).endswith(b"hello")
    async with AsyncExitStack() as stack:
        for _ in range(2):
            await stack.enter_async_context(idle(port))
        await asyncio.sleep(0.05)
        answer = await get(port)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 Service Unavailable")
        assert b"Retry-After: 5" in head
        assert body == b'{"error": "too many connections; retry later", "field": null}'
        limit[0] = 3  # the setting in force decides (a reload changes it)
        assert (await get(port)).endswith(b"hello")
    await asyncio.sleep(0.05)
    limit[0] = 2
    assert (await get(port)).endswith(b"hello")  # the idle ones are gone: room again
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "http connection refused peer=127.0.0.1 reason=2 connections open "
        "(max_http_connections 2) count=1"]


async def test_one_client_gets_its_share_and_a_trusted_proxy_the_total(
        caplog: pytest.LogCaptureFixture) -> None:
    limits = [ConnectionLimits(10, per_client=2)]
    async with hello_site(lambda: limits[0]) as capped, AsyncExitStack() as stack:
        port = port_of(capped)
        for _ in range(2):
            await stack.enter_async_context(idle(port))
        await asyncio.sleep(0.05)
        assert (await get(port)).startswith(b"HTTP/1.1 503 ")
        assert (await get(port, source="127.0.0.2")).endswith(b"hello")  # another client
        limits[0] = ConnectionLimits(10, per_client=2, trusted=(ip_network("127.0.0.1/32"),))
        assert (await get(port)).endswith(b"hello")  # a proxy speaks for many
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "http connection refused peer=127.0.0.1 reason=2 connections open from this address "
        "(max_http_connections_per_client 2) count=1"]


def test_refusals_are_logged_once_per_ten_seconds(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    refusals = RefusalLog(logging.getLogger("test"), "smtp connection", clock=lambda: now[0])
    for step in (0.0, 1.0, 5.0, 3.9, 0.2, 1.0):  # at 100, 101, 106, 109.9, 110.1, 111.1
        now[0] += step
        refusals.refused("192.0.2.1", "full")
    assert [r.getMessage() for r in caplog.records] == [
        "smtp connection refused peer=192.0.2.1 reason=full count=1",
        "smtp connection refused peer=192.0.2.1 reason=full count=4",
    ]


async def test_the_daemon_applies_max_http_connections(tmp_path: Path) -> None:
    async with daemon_process(tmp_path, server="max_http_connections = 2") as daemon:
        await healthy(daemon.http, daemon.process, daemon.log_path)
        async with AsyncExitStack() as stack:
            for _ in range(2):
                await stack.enter_async_context(idle(daemon.http))
            await asyncio.sleep(0.1)
            assert (await get(daemon.http)).startswith(b"HTTP/1.1 503 ")
        await asyncio.sleep(0.1)
        assert b"HTTP/1.1 404 " in await get(daemon.http)  # served again ("/" is no route)
    assert "http connection refused peer=127.0.0.1" in daemon.log()


async def test_a_request_that_never_arrives_whole_is_closed(tmp_path: Path) -> None:
    async with daemon_process(tmp_path, server='http_idle_timeout = "1s"') as daemon:
        await healthy(daemon.http, daemon.process, daemon.log_path)
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", daemon.http)
        writer.write(b"POST /api/v1/webhooks/generic HTTP/1.1\r\nHost: x\r\n")  # and no more
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, nothing answered
        assert 0.9 <= time.monotonic() - started < 5
        writer.close()
        # a request that does arrive in time is answered as always
        assert b"HTTP/1.1 200 " in await get(daemon.http, "/healthz")
