"""Long lines in mail: accepted up to the message size limit; command lines stay short."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import select

from daemon.intake.smtp_server import MAX_LINE
from daemon.keys import SESSIONS
from daemon.store.models import Intake
from tests.daemon.intake.smtp_talk import read_reply
from tests.daemon.mailbox.support import mail_config
from tests.support import MAILBOX, Daemon, running_daemon

HEADERS = f"From: alice@example.org\r\nTo: {MAILBOX}\r\nSubject: Disk array alarm log\r\n\r\n"


async def stored(daemon: Daemon) -> list[bytes]:
    async with daemon.app[SESSIONS]() as session:
        return list((await session.scalars(select(Intake.raw).order_by(Intake.id))).all())


@asynccontextmanager
async def session(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A connection past the greeting and EHLO."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        assert (await read_reply(reader)).startswith(b"220 ")
        writer.write(b"EHLO client.example.org\r\n")
        assert (await read_reply(reader)).startswith(b"250")
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def deliver(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  message: bytes) -> bytes:
    """One mail over an open session, without SIZE; the answer to its end."""
    for command in (b"MAIL FROM:<alice@example.org>", f"RCPT TO:<{MAILBOX}>".encode(),
                    b"DATA"):
        writer.write(command + b"\r\n")
        assert (await read_reply(reader))[:1] in (b"2", b"3")
    writer.write(message + b"\r\n.\r\n")
    return await read_reply(reader)


async def test_a_mail_with_bare_lf_line_ends_over_64_kib_is_accepted(tmp_path: Path) -> None:
    # What a script sends when it hands smtplib a saved .eml file as bytes.
    log_lines = "".join(f"2026-11-27T04:{n % 60:02d} controller 2: media error on disk {n}\n"
                        for n in range(3000))
    message = (HEADERS.replace("\r\n", "\n") + log_lines).encode()
    assert len(message) > 2 * MAX_LINE
    assert b"\r\n" not in message
    config = await mail_config(tmp_path)
    async with running_daemon(config) as daemon:

        def send() -> dict[str, tuple[int, bytes]]:
            with smtplib.SMTP("127.0.0.1", daemon.smtp_port, timeout=10) as client:
                return client.sendmail("alice@example.org", [MAILBOX], message)

        refused = await asyncio.to_thread(send)

        assert refused == {}
        assert await stored(daemon) == [message + b"\r\n"]  # smtplib ends it with CRLF


async def test_one_line_may_be_as_long_as_the_size_limit(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{"server.max_message_size": 1_000_000})
    html = HEADERS.encode() + b"<p>" + b"x" * 900_000 + b"</p>"
    async with running_daemon(config) as daemon, session(daemon.smtp_port) as (reader, writer):
        assert (await deliver(reader, writer, html)).startswith(b"250 ")
        just_over = await deliver(reader, writer, HEADERS.encode() + b"y" * 1_010_000)
        far_over = await deliver(reader, writer, HEADERS.encode() + b"y" * 1_200_000)
        assert await stored(daemon) == [html + b"\r\n"]

    assert just_over.startswith(b"552 "), just_over
    # Far past the size limit the line overruns the reader itself: refused for good too.
    assert far_over.startswith(b"500 "), far_over


async def test_command_lines_keep_their_limit_after_a_long_mail(tmp_path: Path) -> None:
    config = await mail_config(tmp_path)
    async with running_daemon(config) as daemon, session(daemon.smtp_port) as (reader, writer):
        long_mail = HEADERS.encode() + b"z" * (3 * MAX_LINE)
        assert (await deliver(reader, writer, long_mail)).startswith(b"250 ")

        writer.write(b"NOOP " + b"n" * (2 * MAX_LINE) + b"\r\n")
        assert (await read_reply(reader)).startswith(b"500 ")
        writer.write(b"NOOP\r\n")
        assert (await read_reply(reader)).startswith(b"250 ")  # the session goes on
