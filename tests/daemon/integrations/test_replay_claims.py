"""A signed request is stored once, whichever daemon sharing the database receives it.

Each daemon's own replay cache is in memory; the claim stored with the report
is what two daemons behind a load balancer, or one daemon after a restart,
both see. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from daemon.intake.signature import Claim
from daemon.intake.writer import IntakeRecord, IntakeWriter, Replayed
from daemon.integration_jobs import forget_expired_claims
from daemon.keys import SESSIONS
from daemon.store.claims import SignatureClaim
from daemon.store.models import Intake
from tests.daemon.integrations.support import configured, count, post
from tests.daemon.integrations.test_auth import BODY, SECRET, mac
from tests.support import FakeClock, running_daemon

STAMPED = {"stamped": {"type": "generic", "hmac": {
    "secret": SECRET, "header": "X-Signature", "algorithm": "sha512", "encoding": "base64",
    "signed": "{timestamp}.{body}", "timestamp_header": "X-Timestamp", "replay_window": "5m"}}}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def signed(at: datetime) -> dict[str, str]:
    stamp = int(at.timestamp())
    return {"X-Timestamp": str(stamp), "X-Signature": base64.b64encode(
        mac(SECRET, f"{stamp}.".encode() + BODY, "sha512")).decode()}


async def test_a_request_replayed_to_another_daemon_is_refused(tmp_path: Path,
                                                               db_url: str) -> None:
    config = await configured(tmp_path, db_url, STAMPED)
    headers = signed(START)
    async with running_daemon(config, FakeClock(START)) as first, \
            running_daemon(config, FakeClock(START + timedelta(seconds=2))) as second:
        status, _, _ = await post(first, "/api/v1/webhooks/stamped", BODY, headers)
        assert status == 202
        status, answer, response_headers = await post(
            second, "/api/v1/webhooks/stamped", BODY, headers)
        assert (status, answer["error"]) == (401, "authentication failed: replayed signature")
        assert "WWW-Authenticate" in response_headers  # as for any refused credential
        # A newly signed request is no replay, on either daemon.
        status, _, _ = await post(second, "/api/v1/webhooks/stamped", BODY,
                                  signed(START + timedelta(seconds=1)))
        assert status == 202
        assert await count(first, Intake) == 2


async def test_a_replay_after_a_restart_is_refused(tmp_path: Path) -> None:
    config = await configured(tmp_path, None, STAMPED)
    headers = signed(START)
    async with running_daemon(config, FakeClock(START)) as daemon:
        assert (await post(daemon, "/api/v1/webhooks/stamped", BODY, headers))[0] == 202
    async with running_daemon(config, FakeClock(START + timedelta(minutes=1))) as daemon:
        status, answer, _ = await post(daemon, "/api/v1/webhooks/stamped", BODY, headers)
        assert (status, answer["error"]) == (401, "authentication failed: replayed signature")
        assert await count(daemon, Intake) == 1


async def test_one_batch_with_the_same_claim_twice_stores_one(tmp_path: Path,
                                                              db_url: str) -> None:
    config = await configured(tmp_path, db_url, STAMPED)
    claim = Claim(b"\x01" * 64, START + timedelta(minutes=5))
    writer = IntakeWriter(config.database_url)
    writer.start()

    def record(n: int, with_claim: Claim | None) -> IntakeRecord:
        return IntakeRecord(received_at=START, source="webhook", integration="stamped",
                            raw=f'{{"n": {n}}}'.encode(), claim=with_claim)

    try:
        results = await asyncio.gather(
            writer.submit(record(1, claim)), writer.submit(record(2, None)),
            writer.submit(record(3, claim)), return_exceptions=True)
    finally:
        await writer.close()
    first, plain, again = results
    assert isinstance(first, int)
    assert isinstance(plain, int)
    assert isinstance(again, Replayed)
    async with running_daemon(config) as daemon:
        assert await count(daemon, Intake) == 2
        assert await count(daemon, SignatureClaim) == 1


async def test_claims_are_forgotten_once_their_window_closes(tmp_path: Path,
                                                             db_url: str) -> None:
    config = await configured(tmp_path, db_url, STAMPED)
    async with running_daemon(config, FakeClock(START)) as daemon:
        assert (await post(daemon, "/api/v1/webhooks/stamped", BODY, signed(START)))[0] == 202
        sessions = daemon.app[SESSIONS]
        assert await forget_expired_claims(sessions, START + timedelta(minutes=4)) == 0
        assert await forget_expired_claims(sessions, START + timedelta(minutes=6)) == 1
        async with sessions() as session:
            left = await session.scalar(select(func.count()).select_from(SignatureClaim))
        assert left == 0
