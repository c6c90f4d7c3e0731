"""Confirming Amazon SNS subscriptions, for integrations with `confirm_subscription = true`.

SNS starts an HTTPS subscription by posting a `SubscriptionConfirmation` whose
`SubscribeURL` must be fetched once. The pipeline stores it as ignored with the
URL in the intake details; this job (run by the scheduler, never by the HTTP
handler) fetches the URL when it is an `https://sns.<region>.amazonaws.com/`
address, and writes the outcome into the same intake details (`confirmation`):
confirmed (with the SubscriptionArn), refused (the URL is not SNS's) or failed
(retried on the next ticks, a few times). SNS confirmation tokens are valid
for three days; older requests are left alone.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.store.models import Intake, IntakeStatus

log = logging.getLogger(__name__)

SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
TIMEOUT = aiohttp.ClientTimeout(total=10)
MAX_ATTEMPTS = 3
TOKEN_LIFETIME = timedelta(days=3)
_ARN = re.compile(r"<SubscriptionArn>([^<]{1,512})</SubscriptionArn>")


@dataclass(frozen=True, slots=True)
class Pending:
    """A subscription confirmation waiting to be fetched."""

    intake_id: int
    integration: str
    url: str
    attempts: int


def refusal(url: str, pattern: str | None) -> str | None:
    """Why `url` must not be fetched, or None.

    Production: https, no credentials or port, and a host `sns.<region>.amazonaws.com`
    (or `.com.cn`). `pattern` (tests only) replaces that check with a regular expression.
    """
    if pattern is not None:
        return None if re.fullmatch(pattern, url) else "the URL does not match confirm_url_pattern"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the SubscribeURL is not a valid URL"
    if parts.scheme != "https":
        return "the SubscribeURL is not https"
    if parts.username or parts.password or port not in (None, 443):
        return "the SubscribeURL carries credentials or a port"
    if not SNS_HOST.fullmatch(parts.hostname or ""):
        return f"{parts.hostname!r} is not an SNS host (sns.<region>.amazonaws.com)"
    return None


def pending(session: Session, config: Config, now: datetime) -> list[Pending]:
    """Subscription confirmations of opted-in integrations still to be fetched."""
    names = [name for name, integration in config.integrations.items()
             if integration.type == "sns" and integration.confirm_subscription]
    if not names:
        return []
    query = (select(Intake).where(Intake.status == IntakeStatus.IGNORED,
                                  Intake.integration.in_(names),
                                  Intake.received_at >= now - TOKEN_LIFETIME)
             .order_by(Intake.id))
    found = []
    for intake in session.scalars(query):
        details = intake.details or {}
        url = details.get("SubscribeURL")
        done: dict[str, Any] = details.get("confirmation") or {}
        attempts = int(done.get("attempts", 0))
        if not url or (done and done.get("result") != "failed") or attempts >= MAX_ATTEMPTS:
            continue
        if _message_type(intake.raw) != "SubscriptionConfirmation":
            continue  # an UnsubscribeConfirmation carries a SubscribeURL too
        assert intake.integration is not None
        found.append(Pending(intake.id, intake.integration, str(url), attempts))
    return found


def _message_type(raw: bytes) -> str | None:
    try:
        body = json.loads(raw.decode("utf-8-sig"))
    except ValueError:
        return None
    return body.get("Type") if isinstance(body, dict) else None


def record(session: Session, intake_id: int, result: dict[str, Any]) -> None:
    """Write the outcome into the intake row's details (a new dict: JSON is replaced)."""
    intake = session.get(Intake, intake_id)
    if intake is not None:
        intake.details = {**(intake.details or {}), "confirmation": result}


async def fetch(url: str) -> dict[str, Any]:
    """GET the SubscribeURL (no redirects); the outcome as stored."""
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http, \
                http.get(url, allow_redirects=False) as response:
            text = await response.text(errors="replace")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return {"result": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
    if 200 <= response.status < 300:
        arn = _ARN.search(text)
        return {"result": "confirmed", "status": response.status,
                "subscription_arn": arn.group(1) if arn else None}
    return {"result": "failed", "status": response.status, "error": text[:500]}


async def confirm_subscriptions(sessions: async_sessionmaker[AsyncSession], config: Config,
                                now: datetime) -> int:
    """Fetch every pending SubscribeURL; return how many were confirmed."""
    async with sessions.begin() as session:
        todo = await session.run_sync(pending, config, now)
    confirmed = 0
    for item in todo:
        reason = refusal(item.url, config.integrations[item.integration].confirm_url_pattern)
        if reason is not None:
            result: dict[str, Any] = {"result": "refused", "reason": reason}
            log.warning("sns: not confirming intake=%d integration=%s: %s", item.intake_id,
                        item.integration, reason)
        else:
            result = await fetch(item.url)
            result["attempts"] = item.attempts + 1
            host = urlsplit(item.url).hostname
            if result["result"] == "confirmed":
                confirmed += 1
                log.info("sns: subscription confirmed intake=%d integration=%s host=%s",
                         item.intake_id, item.integration, host)
            else:
                log.warning("sns: confirmation failed intake=%d integration=%s host=%s "
                            "attempt=%d: %s", item.intake_id, item.integration, host,
                            result["attempts"], result.get("error") or result.get("status"))
        result["at"] = now.isoformat()
        async with sessions.begin() as session:
            await session.run_sync(record, item.intake_id, result)
    return confirmed
