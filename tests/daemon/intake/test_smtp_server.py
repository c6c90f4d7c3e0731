"""The listener itself: LMTP, STARTTLS, AUTH only over TLS, timeouts."""

from __future__ import annotations

import asyncio
import base64
import smtplib
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from daemon.intake.passwords import hash_password
from daemon.keys import RUNTIME, SESSIONS
from daemon.ops.reload import plan_reload
from daemon.store.models import Intake
from tests.daemon.intake.tls import Certificate
from tests.daemon.mailbox.support import mail, mail_config
from tests.daemon.test_end_to_end import processed
from tests.support import MAILBOX, Daemon, running_daemon

OTHER = "security@example.org"


async def intakes(daemon: Daemon) -> list[Intake]:
    async with daemon.app[SESSIONS]() as session:
        return list((await session.scalars(select(Intake).order_by(Intake.id))).all())


async def client_call(port: int, conversation: Any, kind: type[smtplib.SMTP] = smtplib.SMTP
                      ) -> Any:
    def run() -> Any:
        with kind("127.0.0.1", port, timeout=10) as client:
            return conversation(client)

    return await asyncio.to_thread(run)


async def test_lmtp_answers_each_recipient_after_one_commit(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{"smtp.protocol": "lmtp",
                                            "mailbox.addresses": [MAILBOX, OTHER]})
    raw = mail().as_bytes()
    async with running_daemon(config) as daemon:
        def conversation(client: smtplib.LMTP) -> list[tuple[int, bytes]]:
            refused = client.docmd("EHLO", "mx.example.org")
            client.ehlo("mx.example.org")  # smtplib.LMTP says LHLO here
            client.mail("alice@example.org")
            client.rcpt(MAILBOX)
            client.rcpt(OTHER)
            first = client.data(raw)
            return [refused, first, client.getreply()]

        ehlo, first, second = await client_call(daemon.smtp_port, conversation, smtplib.LMTP)
        assert ehlo[0] == 500
        assert (first[0], second[0]) == (250, 250)
        assert first[1].startswith(f"2.0.0 <{MAILBOX}> OK queued as ".encode())
        assert second[1].startswith(f"2.0.0 <{OTHER}> OK queued as ".encode())
        (row,) = await intakes(daemon)
        assert row.rcpt_to == [MAILBOX, OTHER]
        assert first[1].endswith(f" {row.id}".encode())
        assert second[1].endswith(
            f" {row.id}".encode())
        assert (await processed(daemon, row.id))["status"] == "parsed"




def _plain(user: str, password: str) -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


async def test_starttls_and_auth_only_over_tls(tmp_path: Path,
                                              certificate: Certificate) -> None:
    config = await mail_config(tmp_path, **certificate.settings(), **{
        "smtp.auth_users": {"monitor": hash_password("s3cret")},
        "mailbox.require_authentication_results": {"authserv_id": "mx.example.org"}})
    context = certificate.client()
    raw = mail().as_bytes()
    async with running_daemon(config) as daemon:
        def before_tls(client: smtplib.SMTP) -> tuple[bool, bool, tuple[int, bytes]]:
            client.ehlo("client.example.org")
            return (client.has_extn("starttls"), client.has_extn("auth"),
                    client.docmd("AUTH", f"PLAIN {_plain('monitor', 's3cret')}"))

        starttls, auth, refused = await client_call(daemon.smtp_port, before_tls)
        assert (starttls, auth) == (True, False)
        assert refused[0] == 538  # encryption required for the mechanism

        def with_tls(client: smtplib.SMTP) -> tuple[str, int, tuple[int, bytes]]:
            client.starttls(context=context)
            client.ehlo("client.example.org")
            mechanisms = client.esmtp_features["auth"]
            with pytest.raises(smtplib.SMTPAuthenticationError) as wrong:
                client.login("monitor", "guess")
            ok = client.login("monitor", "s3cret")
            client.mail("alice@example.org")
            client.rcpt(MAILBOX)
            client.data(raw)
            return mechanisms, wrong.value.smtp_code, ok

        mechanisms, wrong, ok = await client_call(daemon.smtp_port, with_tls)
        assert set(mechanisms.split()) == {"LOGIN", "PLAIN"}
        assert wrong == 535
        assert ok[0] == 235
        (row,) = await intakes(daemon)
        assert row.auth_user == "monitor"
        # logged in: no upstream MTA, so no Authentication-Results to require
        assert (await processed(daemon, row.id))["status"] == "parsed"


async def test_require_tls_and_auth_required_refuse_mail(tmp_path: Path,
                                                        certificate: Certificate) -> None:
    config = await mail_config(tmp_path, **certificate.settings(), **{
        "smtp.require_tls": True,
        "smtp.auth_users": {"monitor": hash_password("s3cret")}, "smtp.auth_required": True})
    context = certificate.client()
    async with running_daemon(config) as daemon:
        def conversation(client: smtplib.SMTP) -> list[tuple[int, bytes]]:
            client.ehlo("client.example.org")
            before = client.mail("alice@example.org")
            client.starttls(context=context)
            client.ehlo("client.example.org")
            return [before, client.mail("alice@example.org")]

        before_tls, without_auth = await client_call(daemon.smtp_port, conversation)
        assert before_tls[0] == 530
        assert without_auth == (530, b"5.7.0 Authentication required")
        assert await intakes(daemon) == []


async def test_idle_and_overlong_sessions_are_closed(tmp_path: Path) -> None:
    config = await mail_config(tmp_path, **{"smtp.timeout": "0.3s",
                                            "smtp.session_timeout": "0.6s"})
    async with running_daemon(config) as daemon:
        def idle(client: smtplib.SMTP) -> None:
            client.ehlo("client.example.org")
            time.sleep(0.5)
            with pytest.raises(smtplib.SMTPServerDisconnected):
                client.noop()

        def busy(client: smtplib.SMTP) -> int:
            commands = 0
            try:
                for _ in range(100):
                    client.noop()
                    commands += 1
                    time.sleep(0.1)
            except smtplib.SMTPServerDisconnected:
                return commands
            raise AssertionError("the session was never closed")

        await client_call(daemon.smtp_port, idle)
        commands = await client_call(daemon.smtp_port, busy)
        assert 3 <= commands <= 8  # about 0.6 s of NOOPs every 0.1 s, none idle for 0.3 s


async def test_without_users_auth_is_not_offered_even_over_tls(
        tmp_path: Path, certificate: Certificate) -> None:
    config = await mail_config(tmp_path, **certificate.settings())
    context = certificate.client()
    async with running_daemon(config) as daemon:
        def conversation(client: smtplib.SMTP) -> tuple[list[str], tuple[int, bytes]]:
            client.starttls(context=context)
            code, text = client.ehlo("client.example.org")
            assert code == 250
            lines = text.decode().splitlines()
            return lines, client.docmd("AUTH", f"PLAIN {_plain('monitor', 'x')}")

        lines, auth = await client_call(daemon.smtp_port, conversation)
        assert not [line for line in lines if line.upper().startswith("AUTH")]
        assert "8BITMIME" in lines
        assert auth[0] == 504


async def test_a_reload_changes_auth_users_for_new_connections(
        tmp_path: Path, certificate: Certificate) -> None:
    """Removing a leaked password takes effect at the reload, not at the next restart."""
    tls = certificate.settings()
    config = await mail_config(tmp_path, **tls,
                               **{"smtp.auth_users": {"monitor": hash_password("leaked")}})
    context = certificate.client()

    def login(password: str) -> int:
        def conversation(client: smtplib.SMTP) -> int:
            client.starttls(context=context)
            client.ehlo("client.example.org")
            try:
                return int(client.login("monitor", password)[0])
            except smtplib.SMTPAuthenticationError as exc:
                return int(exc.smtp_code)
        return conversation

    async with running_daemon(config) as daemon:
        assert await client_call(daemon.smtp_port, login("leaked")) == 235
        runtime = daemon.app[RUNTIME]
        new = await mail_config(tmp_path, **tls, **{
            "smtp.auth_users": {"monitor": hash_password("rotated")}, "smtp.protocol": "lmtp"})
        runtime.config, result = plan_reload(runtime.config, new)
        assert result.changed == ("smtp.auth_users",)
        assert result.restart_needed == ("smtp.protocol",)  # the listener stays SMTP
        assert await client_call(daemon.smtp_port, login("leaked")) == 535
        assert await client_call(daemon.smtp_port, login("rotated")) == 235


async def test_a_certificate_that_fails_to_load_after_a_reload_keeps_the_old_one(
        tmp_path: Path, certificate: Certificate) -> None:
    """The reload checked the file; by the next connection it is half rewritten."""
    config = await mail_config(tmp_path, **certificate.settings())
    context = certificate.client()

    def starttls(client: smtplib.SMTP) -> int:
        return int(client.starttls(context=context)[0])

    renewed = tmp_path / "renewed.pem"
    renewed.write_bytes(certificate.cert.read_bytes())
    async with running_daemon(config) as daemon:
        runtime = daemon.app[RUNTIME]
        new = await mail_config(tmp_path, **certificate.settings(renewed))
        runtime.config, result = plan_reload(runtime.config, new)
        assert result.changed == ("smtp.tls_cert",)
        renewed.write_text("-----BEGIN CERTIFICATE-----\n")
        assert await client_call(daemon.smtp_port, starttls) == 220
