"""How much mail the mailbox holds in memory while it is being received (`max_data_in_memory`)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from daemon.config.mail import SmtpConfig
from daemon.intake.smtp_memory import MailInMemory, Transfer
from tests.daemon.intake.smtp_talk import read_reply, rejections
from tests.daemon.intake.tls import Certificate
from tests.daemon.mailbox.support import mail_config
from tests.support import MAILBOX, running_daemon

LINE = b"x" * 998 + b"\r\n"  # 1000 bytes


class Client:
    """One SMTP conversation over a socket, a reply at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def reply(self) -> bytes:
        """The next reply, all its lines."""
        return await read_reply(self.reader)

    async def command(self, line: str) -> bytes:
        self.writer.write(line.encode() + b"\r\n")
        return await self.reply()

    async def start_data(self) -> bytes:
        """Greeting (unless STARTTLS came first) to DATA; the answer to DATA."""
        if not self.greeted:
            assert (await self.reply()).startswith(b"220 ")
        assert (await self.command("EHLO client.example.org")).startswith(b"250")
        assert (await self.command("MAIL FROM:<alice@example.org>")).startswith(b"250 ")
        assert (await self.command(f"RCPT TO:<{MAILBOX}>")).startswith(b"250 ")
        return await self.command("DATA")

    async def starttls(self, context: ssl.SSLContext) -> None:
        """Greeting, EHLO and STARTTLS; the rest of the conversation is encrypted."""
        assert (await self.reply()).startswith(b"220 ")
        assert (await self.command("EHLO client.example.org")).startswith(b"250")
        assert (await self.command("STARTTLS")).startswith(b"220 ")
        await self.writer.start_tls(context, server_hostname="127.0.0.1")
        self.greeted = True

    greeted = False

    async def send(self, lines: int) -> None:
        self.writer.write(LINE * lines)
        await self.writer.drain()

    async def finish(self) -> bytes:
        """End the mail; its answer."""
        self.writer.write(b"Subject: big\r\n\r\nend\r\n.\r\n")
        return await self.reply()


@asynccontextmanager
async def client(port: int, source: str = "127.0.0.1") -> AsyncIterator[Client]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        yield Client(reader, writer)
    finally:
        writer.close()
        await writer.wait_closed()


async def settle() -> None:
    """Let the daemon read what was sent (it runs in this event loop)."""
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_mail_past_the_budget_waits_for_room(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    config = await mail_config(tmp_path, **{"server.max_message_size": "60K",
                                            "smtp.max_data_in_memory": "60K"})
    async with running_daemon(config) as daemon, AsyncExitStack() as stack:
        first = await stack.enter_async_context(client(daemon.smtp_port))
        second = await stack.enter_async_context(client(daemon.smtp_port))
        assert (await first.start_data()).startswith(b"354 ")
        await first.send(50)  # 50,000 bytes held
        assert (await second.start_data()).startswith(b"354 ")
        await second.send(11)  # 61,000 in all: within 60 KiB (61,440)
        await settle()
        await second.send(1)  # 62,000: past it, and not on its own
        assert await second.reply() == (b"421 4.3.1 incidentd.test too much mail being "
                                        b"received; try again later\r\n")
        assert await asyncio.wait_for(second.reader.read(), 5) == b""  # and closed

        async with client(daemon.smtp_port) as third:  # room for 11,440 bytes
            assert (await third.start_data()).startswith(b"354 ")
            third.writer.write(b"x" * 9_440 + b"\r\n")  # 9,442 + 50,000 = 59,442
            await third.send(2)  # 61,442: two bytes past
            assert (await third.reply()).startswith(b"421 4.3.1 ")

        async with client(daemon.smtp_port) as other:
            assert (await other.start_data()).startswith(b"354 ")
            other.writer.write(b"x" * 11_438 + b"\r\n")  # 61,440 in all: the budget, full
            await settle()
            async with client(daemon.smtp_port) as fourth:
                assert (await fourth.start_data()) == (
                    b"451 4.3.1 Too much mail being received; try again later\r\n")
                await other.writer.drain()
                other.writer.close()  # gone: its bytes are let go
                await settle()
                assert (await fourth.command("DATA")).startswith(b"354 ")
                await fourth.send(5)
                assert (await fourth.finish()).startswith(b"250 ")
        assert (await first.finish()).startswith(b"250 ")

        assert (rejections(daemon, "421"), rejections(daemon, "451")) == (2, 1)
    refused = [r.getMessage() for r in caplog.records if "smtp mail refused" in r.getMessage()]
    assert refused == [
        "smtp mail refused peer=127.0.0.1 reason=50000 bytes of other mail being received "
        "count=1"]  # the two after it fall within the 10 s of the first line


async def test_one_client_gets_its_share_and_no_more(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    config = await mail_config(tmp_path, **{"server.max_message_size": "60K",
                                            "smtp.max_data_in_memory": "100K",
                                            "smtp.max_data_in_memory_per_client": "40K"})
    async with running_daemon(config) as daemon, AsyncExitStack() as stack:
        port = daemon.smtp_port
        first = await stack.enter_async_context(client(port))
        assert (await first.start_data()).startswith(b"354 ")
        await first.send(30)  # 30,000 of this client's 40,960
        async with client(port) as second:
            assert (await second.start_data()).startswith(b"354 ")
            await second.send(11)  # 41,000 from 127.0.0.1, though 60,000 remain in all
            assert (await second.reply()).startswith(b"421 4.3.1 ")

        first.writer.write(b"x" * 10_958 + b"\r\n")  # 40,960: this client's share, full
        await settle()
        async with client(port) as third:
            assert (await third.start_data()).startswith(b"451 4.3.1 ")
        async with client(port, source="127.0.0.2") as other:  # another client has room
            assert (await other.start_data()).startswith(b"354 ")
            await other.send(35)
            assert (await other.finish()).startswith(b"250 ")
        assert (await first.finish()).startswith(b"250 ")  # past its share, but alone
    reasons = [r.getMessage() for r in caplog.records if "smtp mail refused" in r.getMessage()]
    assert reasons == ["smtp mail refused peer=127.0.0.1 reason=30000 bytes of other mail "
                       "being received from this address count=1"]


async def test_a_trusted_proxy_is_not_a_client_of_its_own(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{"server.max_message_size": "40K",
                                            "smtp.max_data_in_memory": "100K",
                                            "smtp.max_data_in_memory_per_client": "40K",
                                            "server.trusted_proxies": ["127.0.0.1"]})
    async with running_daemon(config) as daemon, AsyncExitStack() as stack:
        first = await stack.enter_async_context(client(daemon.smtp_port))
        second = await stack.enter_async_context(client(daemon.smtp_port))
        for each in (first, second):
            assert (await each.start_data()).startswith(b"354 ")
            await each.send(30)
        for each in (first, second):
            assert (await each.finish()).startswith(b"250 ")


async def test_mail_over_tls_counts_as_it_is_decrypted(
        tmp_path: Path, certificate: Certificate) -> None:
    config = await mail_config(tmp_path, **certificate.settings(), **{
        "server.max_message_size": "60K", "smtp.max_data_in_memory": "60K"})
    async with running_daemon(config) as daemon, AsyncExitStack() as stack:
        first = await stack.enter_async_context(client(daemon.smtp_port))
        second = await stack.enter_async_context(client(daemon.smtp_port))
        for each in (first, second):
            await each.starttls(certificate.client())
            assert (await each.start_data()).startswith(b"354 ")
        await first.send(50)
        await settle()
        await second.send(12)  # 62,000 in all: past 61,440
        assert (await second.reply()).startswith(b"421 4.3.1 ")
        assert (await first.finish()).startswith(b"250 ")


async def test_one_mail_alone_gets_its_own_size_limit(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{"server.max_message_size": "20K",
                                            "smtp.max_data_in_memory": "20K"})
    async with running_daemon(config) as daemon:
        async with client(daemon.smtp_port) as alone:
            assert (await alone.start_data()).startswith(b"354 ")
            await alone.send(40)  # twice the limit: aiosmtpd keeps the count, not the bytes
            assert (await alone.finish()).startswith(b"552 ")
        async with client(daemon.smtp_port) as after:  # the budget is back to nothing
            assert (await after.start_data()).startswith(b"354 ")
            await after.send(19)
            assert (await after.finish()).startswith(b"250 ")


async def test_what_follows_the_end_of_a_mail_is_not_counted(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{"server.max_message_size": "20K",
                                            "smtp.max_data_in_memory": "20K"})
    async with running_daemon(config) as daemon, AsyncExitStack() as stack:
        first = await stack.enter_async_context(client(daemon.smtp_port))
        second = await stack.enter_async_context(client(daemon.smtp_port))
        assert (await first.start_data()).startswith(b"354 ")
        await first.send(15)
        assert (await second.start_data()).startswith(b"354 ")
        # The mail ends within the budget; the NOOPs pipelined behind it would not fit.
        second.writer.write(b"Subject: small\r\n\r\nend\r\n.\r\n" + b"NOOP\r\n" * 1000)
        assert (await second.reply()).startswith(b"250 ")
        assert (await second.reply()).startswith(b"250 ")  # the first NOOP, not a 421


@pytest.mark.parametrize("data", [
    b"line\r\n.\r\nQUIT\r\n",
    b".\r\nQUIT\r\n",  # an empty mail: the end follows the DATA line's own CRLF
    b"a\r\n..\r\nb\r\n.\r\nNOOP\r\n",  # a dot-stuffed line is not the end
])
async def test_the_end_of_data_is_found_however_the_reads_split_it(data: bytes) -> None:
    end = data.index(b".\r\n", data.index(b"\r\n.\r\n") + 2 if data[0:1] != b"." else 0) + 3
    for cut in range(len(data) + 1):
        for second_cut in range(cut, len(data) + 1):
            transfer = Transfer(None)
            counted = [transfer.mail_part(part) for part in
                       (data[:cut], data[cut:second_cut], data[second_cut:]) if part]
            assert sum(counted) == end, (cut, second_cut, counted)


def test_the_counts_return_to_nothing_however_transfers_end() -> None:
    smtp = SmtpConfig(max_data_in_memory=100, max_data_in_memory_per_client=50)
    memory = MailInMemory()
    mine, also_mine, proxied = Transfer("192.0.2.1"), Transfer("192.0.2.1"), Transfer(None)
    assert memory.add(mine, 40, smtp) is None
    assert memory.add(proxied, 55, smtp) is None  # 95 in all; a proxy is not counted apart
    assert memory.add(also_mine, 20, smtp) == "95 bytes of other mail being received"
    assert memory.why_not_start("192.0.2.1", smtp) == "115 bytes of mail being received"
    memory.release(also_mine)  # cut off
    memory.release(proxied)
    assert memory.add(also_mine, 20, smtp) == (
        "40 bytes of other mail being received from this address")
    assert memory.why_not_start("192.0.2.9", smtp) is None
    assert memory.why_not_start("192.0.2.1", smtp) == (
        "60 bytes of mail being received from this address")
    memory.release(also_mine)
    memory.release(mine)
    assert (memory.total, dict(memory.by_client)) == (0, {})
