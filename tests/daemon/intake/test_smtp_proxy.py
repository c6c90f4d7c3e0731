"""`[smtp] proxy_protocol`: the client behind a TCP load balancer, named by a PROXY header."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.daemon.intake.test_smtp_server import intakes
from tests.daemon.mailbox.support import mail, mail_config
from tests.support import MAILBOX, running_daemon


class Proxied(smtplib.SMTP):
    """An SMTP client behind a load balancer: the balancer's header, then the client's talk."""

    header = b""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)
        sock.sendall(self.header)
        return sock


def v2_header(source: str, port: int) -> bytes:
    """A binary (v2) PROXY header for a TCP over IPv4 connection."""
    addresses = socket.inet_aton(source) + socket.inet_aton("127.0.0.1") + struct.pack(
        "!HH", port, 25)
    return (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(addresses))
            + addresses)


async def send_through(port: int, header: bytes) -> tuple[int, bytes]:
    def run() -> tuple[int, bytes]:
        client = Proxied(timeout=10)
        client.header = header
        try:
            client.connect("127.0.0.1", port)
            client.ehlo("mx.example.org")
            client.mail("alice@example.org")
            client.rcpt(MAILBOX)
            return client.data(mail().as_bytes())
        finally:
            client.close()

    return await asyncio.to_thread(run)


async def proxied_config(tmp_path: Path, trusted: list[str]) -> Any:
    return await mail_config(tmp_path, **{"smtp.proxy_protocol": True,
                                          "server.trusted_proxies": trusted})


@pytest.mark.parametrize(("header", "peer"), [
    (b"PROXY TCP4 203.0.113.9 127.0.0.1 40001 25\r\n", "203.0.113.9"),
    (v2_header("203.0.113.9", 40001), "203.0.113.9"),
    # a health check names no address: the balancer stays the peer
    (b"PROXY UNKNOWN\r\n", "127.0.0.1"),
], ids=["v1", "v2", "health-check"])
async def test_the_client_named_by_a_trusted_balancer_is_the_peer(
        tmp_path: Path, header: bytes, peer: str) -> None:
    config = await proxied_config(tmp_path, ["127.0.0.1"])
    async with running_daemon(config) as daemon:
        code, _ = await send_through(daemon.smtp_port, header)
        assert code == 250
        (row,) = await intakes(daemon)
        assert row.peer == peer


@pytest.mark.parametrize(("trusted", "first_line"), [
    # a header from a peer that is not one of our balancers
    ("10.0.0.0/8", b"PROXY TCP4 203.0.113.9 127.0.0.1 4 25\r\n"),
    # with proxy_protocol on, everything must come through the balancer
    ("127.0.0.1", b"EHLO mx.example.org\r\n"),
], ids=["untrusted-peer", "no-header"])
async def test_refused_before_the_greeting(tmp_path: Path, trusted: str,
                                           first_line: bytes) -> None:
    config = await proxied_config(tmp_path, [trusted])
    async with running_daemon(config) as daemon:
        with pytest.raises(smtplib.SMTPServerDisconnected):
            await send_through(daemon.smtp_port, first_line)
        assert await intakes(daemon) == []

