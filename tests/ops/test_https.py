"""HTTPS on the daemon's own listener: served, probed by doctor, renewed by a reload."""

from __future__ import annotations

import asyncio
import signal
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from daemon.cli import main
from daemon.config import load_config
from daemon.ops.certificates import not_after
from daemon.ops.reload import plan_reload
from tests.daemon.intake.tls import Certificate, issue
from tests.ops.proc import DaemonProcess, config_text, daemon_process
from tests.ops.test_activation import healthy
from tests.support import GENERIC_TOKEN


def tls_settings(certificate: Certificate) -> str:
    return f'tls_cert = "{certificate.cert}"\ntls_key = "{certificate.key}"'


async def fetch(daemon: DaemonProcess, context: ssl.SSLContext) -> int:
    """POST a webhook over HTTPS trusting `context`'s CA; the status."""
    async with aiohttp.ClientSession() as http, http.post(
            f"https://127.0.0.1:{daemon.http}/api/v1/webhooks/generic", ssl=context,
            json={"title": "Certificate expired on www"},
            headers={"Authorization": f"Bearer {GENERIC_TOKEN}"}) as response:
        return response.status


async def expiry(daemon: DaemonProcess, context: ssl.SSLContext) -> float:
    """The certificate expiry /metrics reports for the HTTP listener."""
    async with aiohttp.ClientSession() as http, http.get(
            f"https://127.0.0.1:{daemon.http}/metrics", ssl=context) as response:
        text = await response.text()
    name = 'incidentd_tls_certificate_expiry_timestamp_seconds{listener="http"} '
    (line,) = [line for line in text.splitlines() if line.startswith(name)]
    return float(line.removeprefix(name))


async def reloaded(daemon: DaemonProcess, count: int) -> None:
    """Wait for the `count`-th reload line in the log."""
    for _ in range(200):
        if daemon.log().count("config reloaded") + daemon.log().count(
                "config reload failed") >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(daemon.log())


async def test_https_is_served_probed_and_renewed_by_a_reload(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "renewed").mkdir()
    first = issue(tmp_path / "first")
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=400)
    renewed = issue(tmp_path / "renewed", not_after=until)  # another CA, another end
    async with daemon_process(tmp_path, server=tls_settings(first)) as daemon:
        await healthy(daemon.http, daemon.process, daemon.log_path, first.client())
        assert await fetch(daemon, first.client()) == 202
        with pytest.raises(aiohttp.ClientError):  # plain HTTP gets no answer it can read
            async with aiohttp.ClientSession() as http, http.get(
                    f"http://127.0.0.1:{daemon.http}/healthz") as response:
                await response.read()
        assert f"https listening on 127.0.0.1:{daemon.http}" in daemon.log()
        assert await expiry(daemon, first.client()) == not_after(first.cert).timestamp()

        doctor = await asyncio.to_thread(CliRunner().invoke, main,
                                         ["doctor", "--config", str(daemon.config_path)])
        assert f"OK   http listener: 127.0.0.1:{daemon.http} is held by a running incidentd" \
            in doctor.output

        # Renewal: new files at the same paths, then a reload.
        first.cert.write_bytes(renewed.cert.read_bytes())
        first.key.write_bytes(renewed.key.read_bytes())
        daemon.signal(signal.SIGHUP)
        await reloaded(daemon, 1)
        assert await fetch(daemon, renewed.client()) == 202
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await fetch(daemon, first.client())
        assert await expiry(daemon, renewed.client()) == until.timestamp()

        # A certificate that does not load: the reload is refused, the one in use stays.
        first.cert.write_text("not a certificate")
        daemon.signal(signal.SIGHUP)
        await reloaded(daemon, 2)
        assert "config reload failed, old configuration kept" in daemon.log()
        assert "tls_cert/tls_key: cannot load" in daemon.log()
        assert await fetch(daemon, renewed.client()) == 202


def test_turning_https_on_or_off_takes_a_restart(tmp_path: Path) -> None:
    certificate = issue(tmp_path)
    plain_path, tls_path = tmp_path / "plain.toml", tmp_path / "tls.toml"
    plain_path.write_text(config_text(tmp_path / "data", 8080, 2525))
    tls_path.write_text(config_text(tmp_path / "data", 8080, 2525,
                                    server=tls_settings(certificate)))
    plain, tls = load_config(plain_path), load_config(tls_path)
    for old, new in ((plain, tls), (tls, plain)):
        effective, result = plan_reload(old, new)
        assert result.restart_needed == ("server.tls_cert", "server.tls_key")
        assert effective.server.tls_cert == old.server.tls_cert
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = issue(elsewhere)
    moved_path = tmp_path / "moved.toml"
    moved_path.write_text(config_text(tmp_path / "data", 8080, 2525, server=tls_settings(moved)))
    _, result = plan_reload(tls, load_config(moved_path))
    assert result.changed == ("server.tls_cert", "server.tls_key")  # a new certificate: now
