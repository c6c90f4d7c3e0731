"""When the certificates in use expire: the metric, the log line and doctor's finding."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.config import load_config
from daemon.ops.certificates import expiry_problem, not_after
from daemon.ops.doctor import check_certificates
from daemon.ops.metrics import METRICS
from tests.daemon.intake.tls import issue
from tests.daemon.mailbox.support import mail_config
from tests.ops.proc import config_text
from tests.support import FakeClock, running_daemon

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("left", "problem"), [
    (timedelta(days=90), None),
    (timedelta(days=14), None),
    (timedelta(days=13, hours=23), "expires in 13 day(s), at 2026-12-11 11:00 UTC"),
    (timedelta(0), "expired at 2026-11-27 12:00 UTC"),
    (-timedelta(days=2), "expired at 2026-11-25 12:00 UTC"),
])
def test_two_weeks_before_the_end_is_worth_a_word(left: timedelta, problem: str | None) -> None:
    assert expiry_problem(NOW + left, NOW) == problem


def test_doctor_says_how_long_each_certificate_lasts(tmp_path: Path) -> None:
    folders = [tmp_path / name for name in ("http", "smtp")]
    for folder in folders:
        folder.mkdir()
    soon = datetime.now(UTC) + timedelta(days=3, hours=1)
    http, smtp = issue(folders[0]), issue(folders[1], not_after=soon)
    path = tmp_path / "incidentd.toml"
    path.write_text(config_text(
        tmp_path / "data", 8080, 2525,
        server=f'tls_cert = "{http.cert}"\ntls_key = "{http.key}"',
        extra=f'[smtp]\ntls_cert = "{smtp.cert}"\ntls_key = "{smtp.key}"\n'))
    findings = check_certificates(load_config(path))
    assert [(f.level, f.topic) for f in findings] == [("ok", "http certificate"),
                                                     ("warn", "smtp certificate")]
    assert findings[0].message.startswith(f"{http.cert} is valid until ")
    assert findings[1].message.startswith(f"{smtp.cert} expires in 3 day(s), at ")
    assert findings[1].fix == "renew it, then: systemctl reload incidentd"
    expired = check_certificates(load_config(path), now=soon + timedelta(seconds=1))
    assert expired[1].level == "fail"


async def test_the_mailbox_certificate_is_a_metric_and_a_warning_when_it_is_due(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    now = datetime.now(UTC).replace(microsecond=0)
    soon = now + timedelta(days=5, hours=1)
    certificate = issue(tmp_path, not_after=soon)
    config = await mail_config(tmp_path, **certificate.settings())
    async with running_daemon(config, FakeClock(now)) as daemon:
        registry = daemon.app[METRICS].registry
        assert registry.get_sample_value("incidentd_tls_certificate_expiry_timestamp_seconds",
                                         {"listener": "smtp"}) == soon.timestamp()
        # still there for a connection over TLS, which is what it is for
        def starttls() -> int:
            with smtplib.SMTP("127.0.0.1", daemon.smtp_port, timeout=10) as client:
                client.ehlo()
                return int(client.starttls(context=certificate.client())[0])

        assert await asyncio.to_thread(starttls) == 220
    assert not_after(certificate.cert) == soon
    assert [r.getMessage() for r in caplog.records if "tls certificate" in r.getMessage()] == [
        f"tls certificate for smtp expires in 5 day(s), at {soon:%Y-%m-%d %H:%M} UTC: renew "
        f"{certificate.cert}, then reload"]
