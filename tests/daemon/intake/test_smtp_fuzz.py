"""Odd SMTP conversations from a seeded generator: every one answered, nothing logged as an error.

Each session mostly follows a mail's usual order (EHLO, MAIL, RCPT, DATA), with
odd commands put in anywhere and arguments that have broken servers before: null senders,
source routes, address literals, SMTPUTF8, bad ESMTP parameters, NUL bytes,
undecodable bytes, overlong lines; DATA gets one of a few odd bodies, AUTH a
few odd answers. The check is the listener's: every command gets a reply or
the connection is closed, and neither the SMTP library nor incidentd logs an
ERROR (an exception in a handler).
"""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path

import pytest

from tests.daemon.intake.smtp_talk import read_reply
from tests.daemon.mailbox.support import mail_config
from tests.support import MAILBOX, running_daemon

VERBS = ["EHLO", "HELO", "MAIL FROM:", "RCPT TO:", "DATA", "RSET", "NOOP", "QUIT", "VRFY",
         "EXPN", "HELP", "STARTTLS", "AUTH", "BDAT", "LHLO", "XCLIENT", "mail from:"]
ARGUMENTS = [
    "", " ", "x", "<>", f"<{MAILBOX}>", f"<{MAILBOX.upper()}>", "<a@b>",
    "<\u00e9@example.org> SMTPUTF8", "<a@b> SIZE=10", "<a@b> SIZE=-1", "<a@b> SIZE=9" * 30,
    "<a@b> BODY=8BITMIME", "<a@b> BODY=BINARYMIME", f"<{MAILBOX}> NOTIFY=NEVER",
    "PLAIN", "LOGIN", "PLAIN AGFhAGI=", "PLAIN =", "LOGIN YQ==", "CRAM-MD5", "*", "\x00",
    "\udcff", "a" * 600, "<" + "a" * 70 + "@example.org>", "<a@[1.2.3.4]>",
    "<a@[IPv6:::1]>", '<"a b"@c>', "<a@b>\t", "<a@b> =", "<a@b> X=Y=Z", "<@x,@y:a@b>",
]
BODIES = [
    b"Subject: x\r\n\r\nhi\r\n.\r\n", b".\r\n", b"..\r\n.\r\n", b"\r\n.\r\n",
    b"\xff\xfe\r\n.\r\n", b"From: \x00\r\n\r\n.\r\n",
    b"Subject: =?utf-8?b?w6k=?=\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
    b"--x\r\n\r\n.\r\n",
]


def commands(rng: random.Random) -> list[str]:
    """Mostly a mail's usual order with odd arguments, with odd commands put in anywhere."""
    def address() -> str:
        return f"<{MAILBOX}>" if rng.random() < 0.4 else rng.choice(ARGUMENTS)

    usual = ["EHLO client.example.org"] if rng.random() < 0.8 else []
    usual += ["MAIL FROM:" + address()]
    usual += ["RCPT TO:" + address() for _ in range(rng.randint(1, 3))]
    usual += ["DATA"]
    for _ in range(rng.randint(0, 4)):
        usual.insert(rng.randint(0, len(usual)), rng.choice(VERBS) + rng.choice(ARGUMENTS))
    return usual


async def conversation(port: int, rng: random.Random) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        assert (await read_reply(reader)).startswith(b"220 ")
        for command in commands(rng):
            writer.write(command.encode("utf-8", "surrogateescape") + b"\r\n")
            line = await read_reply(reader)
            if line.startswith(b"354"):
                writer.write(rng.choice(BODIES))
                line = await read_reply(reader)
            elif line.startswith(b"334"):
                writer.write(rng.choice([b"*", b"YQ==", b"!!", b""]) + b"\r\n")
                line = await read_reply(reader)
            if not line or (line.startswith(b"220 ") and command.startswith("STARTTLS")):
                return  # closed (QUIT, too many bogus commands), or TLS we do not speak here
            assert line[:1] in b"2345", (command, line)
    finally:
        writer.close()


async def test_odd_conversations_are_answered_without_errors(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    config = await mail_config(tmp_path, **{"smtp.max_connections_per_client": 100})
    seeds = random.Random(13)
    async with running_daemon(config) as daemon:
        for _ in range(12):
            await asyncio.gather(*(conversation(daemon.smtp_port, random.Random(seeds.random()))
                                   for _ in range(25)))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_addresses_that_are_not_utf8_are_answered_and_stored(tmp_path: Path) -> None:
    """Found by the test above: such a sender failed every mail committed with it."""
    config = await mail_config(tmp_path)

    async def send(sender: bytes, recipients: list[bytes]) -> list[bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", daemon.smtp_port)
        try:
            lines = [b"EHLO client.example.org", b"MAIL FROM:<" + sender + b"> SMTPUTF8",
                     *(b"RCPT TO:<" + r + b">" for r in recipients), b"DATA"]
            answers = [await read_reply(reader)]
            for line in lines:
                writer.write(line + b"\r\n")
                answers.append(await read_reply(reader))
            writer.write(b"Subject: bytes\r\n\r\nhi\r\n.\r\n")
            answers.append(await read_reply(reader))
            return answers
        finally:
            writer.close()

    async with running_daemon(config) as daemon:
        odd, *plain = await asyncio.gather(
            send(b"a\xff@example.org", [b"nobody\xfe@example.org", MAILBOX.encode()]),
            *(send(b"alice@example.org", [MAILBOX.encode()]) for _ in range(5)))
        assert odd[3] == b"550 5.7.1 <nobody\\udcfe@example.org>: not an incident mailbox " \
                         b"here; relaying denied\r\n"
        assert odd[-1].startswith(b"250 2.0.0 OK queued as ")
        assert all(answers[-1].startswith(b"250 2.0.0 OK queued as ") for answers in plain)
