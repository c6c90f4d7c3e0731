"""`[server] trusted_proxies`: the client behind a reverse proxy, and only behind a trusted one."""

from __future__ import annotations

import ipaddress
import json
import logging
from pathlib import Path

import aiohttp
import pytest

from daemon.forwarded import client_address
from daemon.keys import SESSIONS
from daemon.store.models import Intake
from tests.support import GENERIC_TOKEN, auth, make_config, migrate, running_daemon

PROXIES = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"),
           ipaddress.ip_network("2001:db8:1::/48")]


@pytest.mark.parametrize(("peer", "header", "client"), [
    # nginx in front: it appends the address it was connected from
    ("127.0.0.1", ["203.0.113.9"], "203.0.113.9"),
    # two of our proxies; the sender forged an entry of its own on the left
    ("127.0.0.1", ["198.51.100.1, 203.0.113.9, 10.0.0.5"], "203.0.113.9"),
    # the same list over two header lines
    ("127.0.0.1", ["198.51.100.1", "203.0.113.9, 10.0.0.5"], "203.0.113.9"),
    # every hop is ours: the farthest one is all we know of the client
    ("127.0.0.1", ["10.0.0.7, 10.0.0.5"], "10.0.0.7"),
    # a peer we do not trust cannot name anyone
    ("192.0.2.1", ["203.0.113.9"], "192.0.2.1"),
    # a broken chain names nobody reliably
    ("127.0.0.1", ["unknown, 10.0.0.5"], "127.0.0.1"),
    ("127.0.0.1", ["203.0.113.9:4711"], "127.0.0.1"),
    ("127.0.0.1", [""], "127.0.0.1"),
    # IPv6, and an IPv4 proxy as a dual-stack listener sees it
    ("2001:db8:1::2", ["2001:db8:ffff::1"], "2001:db8:ffff::1"),
    ("::ffff:127.0.0.1", ["203.0.113.9"], "203.0.113.9"),
])
def test_the_client_is_the_first_untrusted_hop_from_the_right(
        peer: str, header: list[str], client: str) -> None:
    assert client_address(peer, header, PROXIES) == client


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("127.0.0.1", ["203.0.113.9"], []) == "127.0.0.1"


async def stored_peers(tmp_path: Path, trusted: list[str]) -> tuple[list[str], list[str]]:
    """Post one webhook through a 'proxy' on loopback; return the stored peer and log lines.

    The access log line ends with the peer and the intake row it became.
    """
    config = make_config(tmp_path, **{"server.trusted_proxies": trusted})
    await migrate(config)
    handler = _Lines()
    access = logging.getLogger("aiohttp.access")
    level = access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
            response = await http.post(
                f"{daemon.url}/api/v1/webhooks/generic",
                data=json.dumps({"title": "VPN down"}).encode(),
                headers={**auth(GENERIC_TOKEN), "Content-Type": "application/json",
                         "X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
            assert response.status == 202, await response.text()
            intake_id = (await response.json())["intake_id"]
            async with daemon.app[SESSIONS]() as session:
                row = await session.get_one(Intake, intake_id)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    lines = [line for line in handler.lines if "/webhooks/" in line]
    suffix = f" intake={intake_id}"
    assert all(line.endswith(suffix) for line in lines)
    return [str(row.peer)], [line.removesuffix(suffix) for line in lines]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_behind_a_trusted_proxy_the_client_is_stored_and_logged(tmp_path: Path) -> None:
    peers, lines = await stored_peers(tmp_path, ["127.0.0.1"])
    assert peers == ["203.0.113.9"]
    assert [line.rsplit(" ", 1)[-1] for line in lines] == ["peer=203.0.113.9"]


async def test_an_untrusted_peer_cannot_set_its_address(tmp_path: Path) -> None:
    peers, lines = await stored_peers(tmp_path, ["10.0.0.0/8"])
    assert peers == ["127.0.0.1"]
    assert [line.rsplit(" ", 1)[-1] for line in lines] == ["peer=127.0.0.1"]

