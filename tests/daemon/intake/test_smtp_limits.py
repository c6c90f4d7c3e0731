"""How many mailbox connections may be open: in all, per client, and behind a trusted proxy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from tests.daemon.intake.smtp_talk import rejections
from tests.daemon.mailbox.support import mail_config
from tests.support import Daemon, running_daemon

REFUSAL = b"421 4.7.0 incidentd.test too many connections; try again later\r\n"


@asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[bytes, asyncio.StreamReader]]:
    """A connection to the mailbox; yields its first line (the greeting or the refusal)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield await asyncio.wait_for(reader.readline(), 5), reader
    finally:
        writer.close()
        await writer.wait_closed()


async def open_many(stack: AsyncExitStack, daemon: Daemon, count: int) -> list[bytes]:
    """The first lines of `count` connections, kept open on `stack`."""
    return [(await stack.enter_async_context(connection(daemon.smtp_port)))[0]
            for _ in range(count)]


async def test_connections_per_client_and_in_all(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = await mail_config(tmp_path, **{"smtp.max_connections": 3,
                                            "smtp.max_connections_per_client": 2})
    async with running_daemon(config) as daemon, AsyncExitStack() as stack:
        first, second, third = await open_many(stack, daemon, 3)
        assert (first[:4], second[:4]) == (b"220 ", b"220 ")
        assert third == REFUSAL
        async with connection(daemon.smtp_port) as (line, reader):
            assert line == REFUSAL
            assert await asyncio.wait_for(reader.read(), 5) == b""  # and closed
        assert rejections(daemon, "421") == 2
        assert "smtp connection refused peer=127.0.0.1 reason=2 connections open from this " \
               "address count=1" in caplog.text

        await stack.aclose()  # both close: their places are free again
        await asyncio.sleep(0.05)
        assert [line[:4] for line in await open_many(stack, daemon, 3)] == \
            [b"220 ", b"220 ", b"421 "]


async def test_a_trusted_proxy_counts_only_in_the_total(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{"smtp.max_connections": 3,
                                            "smtp.max_connections_per_client": 1,
                                            "server.trusted_proxies": ["127.0.0.1"]})
    async with running_daemon(config) as daemon, AsyncExitStack() as stack:
        lines = await open_many(stack, daemon, 4)
        assert [line[:4] for line in lines] == [b"220 ", b"220 ", b"220 ", b"421 "]


async def test_a_refused_connection_does_not_hold_a_place(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    config = await mail_config(tmp_path, **{"smtp.max_connections": 1})
    async with running_daemon(config) as daemon:
        async with AsyncExitStack() as stack:
            assert [line[:4] for line in await open_many(stack, daemon, 5)] == \
                [b"220 "] + [b"421 "] * 4
        await asyncio.sleep(0.05)
        async with connection(daemon.smtp_port) as (line, _):
            assert line.startswith(b"220 ")
    # a flood is one line, then one every 10 s with the number refused since
    assert caplog.text.count("smtp connection refused") == 1
