"""Delivery through a real SMTP relay started in the test: success, 4xx, 5xx, STARTTLS."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import ssl
from datetime import timedelta
from pathlib import Path

import trustme
from click.testing import CliRunner, Result

from daemon.cli import main
from daemon.store.models import OutboxState
from tests.daemon.comms.sink import Sink, smtp_sink
from tests.daemon.comms.support import deliver, outbox, relay_store
from tests.support import FakeClock

OUTAGE = {"title": "Checkout down", "severity": "critical", "dedup_key": "checkout"}


async def test_delivered_once_as_a_tagged_multipart_mail(tmp_path: Path) -> None:
    clock = FakeClock()
    async with smtp_sink() as sink:
        store = await relay_store(tmp_path, sink.port, clock)
        try:
            await store.webhook(OUTAGE)
            assert await deliver(store) == 1
            assert await deliver(store) == 0  # sent is sent
            (row,) = await outbox(store)
        finally:
            await store.close()
    assert (row.state, row.attempts, row.last_error) == (OutboxState.SENT, 1, None)
    (received,) = sink.messages
    assert received.sender == "incidentd@example.org"
    assert received.recipients == ["oncall@example.org", "lead@example.org"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == "[INC-1] P1 Checkout down — Triaged"
    assert message["To"] == "INC-1 stakeholders:;"  # neither sees the other's address
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'style="' in html
    assert "prefers-color-scheme: dark" in html


async def test_recipients_are_listed_when_the_configuration_says_so(tmp_path: Path) -> None:
    async with smtp_sink() as sink:
        store = await relay_store(tmp_path, sink.port, FakeClock(),
                                  **{"notify.disclose_recipients": True})
        try:
            await store.webhook(OUTAGE)
            assert await deliver(store) == 1
        finally:
            await store.close()
    (received,) = sink.messages
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["To"] == "oncall@example.org, lead@example.org"
    assert received.recipients == ["oncall@example.org", "lead@example.org"]


async def test_a_4xx_is_retried_with_growing_back_off_then_delivered(tmp_path: Path) -> None:
    clock = FakeClock()
    start = clock.now()
    async with smtp_sink(Sink(replies=["451 4.3.0 try again later"] * 3)) as sink:
        store = await relay_store(tmp_path, sink.port, clock)
        try:
            await store.webhook(OUTAGE)
            waits = []
            for _ in range(3):
                assert await deliver(store) == 0
                (row,) = await outbox(store)
                assert row.state == OutboxState.PENDING
                assert "451" in (row.last_error or "")
                waits.append((row.next_attempt_at - clock.now()).total_seconds())
                assert await deliver(store) == 0  # not due yet: nothing is tried
                clock.current = row.next_attempt_at
            assert await deliver(store) == 1
            (row,) = await outbox(store)
        finally:
            await store.close()
    # retry_initial 30 s, doubling, each with ±20 % jitter
    for wait, base in zip(waits, (30, 60, 120), strict=True):
        assert base * 0.8 <= wait <= base * 1.2
    assert (row.state, row.attempts, row.last_error) == (OutboxState.SENT, 4, None)
    assert row.sent_at is not None
    assert row.sent_at > start
    assert len(sink.messages) == 1


async def test_a_5xx_fails_at_once_is_listed_and_can_be_requeued(tmp_path: Path) -> None:
    clock = FakeClock()
    async with smtp_sink(Sink(replies=["554 5.7.1 message refused"])) as sink:
        store = await relay_store(tmp_path, sink.port, clock)
        try:
            await store.webhook(OUTAGE)
            assert await deliver(store) == 0
            clock.advance(timedelta(hours=1))
            assert await deliver(store) == 0  # failed stays failed
            (row,) = await outbox(store)
            assert row.state == OutboxState.FAILED
            assert row.attempts == 1
            assert "554" in (row.last_error or "")

            path = tmp_path / "incidentd.toml"
            path.write_text(f'[database]\nurl = "{store.config.database_url}"\n',
                            encoding="utf-8")
            def cli(*args: str) -> Result:  # the CLI runs its own event loop: a thread
                return CliRunner().invoke(main, [*args, "--config", str(path)])

            listed = await asyncio.to_thread(cli, "outbox", "list", "--state", "failed",
                                             "--json")
            assert listed.exit_code == 0, listed.output
            (shown,) = json.loads(listed.output)["messages"]
            assert (shown["id"], shown["state"], shown["incident"]) == (1, "failed", "INC-1")
            assert "554 5.7.1 message refused" in shown["last_error"]
            text = await asyncio.to_thread(cli, "outbox", "list")
            assert "failed" in text.output
            assert "554 5.7.1" in text.output

            retried = await asyncio.to_thread(cli, "outbox", "retry", "1")
            assert retried.exit_code == 0, retried.output
            again = await asyncio.to_thread(cli, "outbox", "retry", "1")
            assert again.exit_code == 1
            assert "is pending; only failed messages are requeued" in again.output
            clock.current = max(clock.now(), (await outbox(store))[0].next_attempt_at)
            assert await deliver(store) == 1
        finally:
            await store.close()
    assert len(sink.messages) == 1


async def test_temporary_failures_give_up_after_retry_max_age(tmp_path: Path) -> None:
    clock = FakeClock()
    async with smtp_sink() as sink:
        port = sink.port
    store = await relay_store(tmp_path, port, clock, **{"notify.retry_max_age": "1h"})
    try:  # nothing listens on the port any more: connection refused, a temporary failure
        await store.webhook(OUTAGE)
        attempts = 0
        while (await outbox(store))[0].state == OutboxState.PENDING:
            await deliver(store)
            attempts += 1
            clock.current = max(clock.now(), (await outbox(store))[0].next_attempt_at)
        (row,) = await outbox(store)
    finally:
        await store.close()
    assert row.state == OutboxState.FAILED
    assert row.last_error is not None
    assert row.last_error.startswith(
        f"gave up after {attempts} attempts: relay 127.0.0.1:{port}")
    assert 7 <= attempts <= 9  # after 0 s, 30 s, 1.5 min, 3.5 min, … (±20 %) within the hour


async def test_some_recipients_refused_is_sent_once_with_the_refusals_shown(
        tmp_path: Path) -> None:
    clock = FakeClock()
    async with smtp_sink(Sink(refuse={"lead@example.org"})) as sink:
        store = await relay_store(tmp_path, sink.port, clock)
        try:
            await store.webhook(OUTAGE)
            assert await deliver(store) == 1
            (row,) = await outbox(store)
        finally:
            await store.close()
    assert row.state == OutboxState.SENT
    assert row.last_error == "refused: lead@example.org: 550 5.1.1 no such user"
    assert sink.messages[0].recipients == ["oncall@example.org"]


async def test_starttls_with_the_relays_own_ca(tmp_path: Path) -> None:
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "relay-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    clock = FakeClock()
    async with smtp_sink(tls=server_context, require_starttls=True) as sink:
        untrusted = await relay_store(tmp_path / "a", sink.port, clock,
                                      **{"notify.smtp.security": "starttls"})
        trusted = await relay_store(tmp_path / "b", sink.port, clock,
                                    **{"notify.smtp.security": "starttls",
                                       "notify.smtp.ca_file": str(ca_file)})
        try:
            await untrusted.webhook(OUTAGE)
            assert await deliver(untrusted) == 0
            (row,) = await outbox(untrusted)
            assert row.state == OutboxState.PENDING  # the CA may be fixed: retry later
            assert "CERTIFICATE_VERIFY_FAILED" in (row.last_error or "")

            await trusted.webhook(OUTAGE)
            assert await deliver(trusted) == 1
        finally:
            await untrusted.close()
            await trusted.close()
    (received,) = sink.messages
    assert received.tls


async def test_a_send_cut_short_by_a_crash_is_failed_not_resent(tmp_path: Path) -> None:
    from sqlalchemy import update

    from daemon.comms.delivery import LEASE
    from daemon.store.models import Outbox

    clock = FakeClock()
    async with smtp_sink() as sink:
        store = await relay_store(tmp_path, sink.port, clock)
        try:
            await store.webhook(OUTAGE)
            async with store.sessions.begin() as session:  # claimed, then the process died
                await session.execute(update(Outbox).values(
                    state=OutboxState.SENDING, claimed_by="host:123", attempts=1,
                    claimed_until=clock.now() + LEASE))
            assert await deliver(store) == 0  # the lease still runs: leave it alone
            clock.advance(LEASE + timedelta(seconds=1))
            assert await deliver(store) == 0
            (row,) = await outbox(store)
        finally:
            await store.close()
    assert row.state == OutboxState.FAILED
    assert row.last_error == ("delivery outcome unknown: host:123 stopped while sending; "
                              "not resent to avoid a duplicate (requeue it to send again)")
    assert sink.messages == []
