"""Each authentication method accepts the right credential and refuses wrong, missing, replayed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon.store.models import Intake
from tests.conftest import FIXTURES
from tests.daemon.integrations.support import configured, count, post
from tests.daemon.test_intake_errors import break_intake_table, restore_intake_table
from tests.support import Daemon, running_daemon

TOKEN = "tok-3f9a1c77e2"
PASSWORD = "pw-5d2e8b1190"
SECRET = "hmac-secret-a81c4f"
GRAFANA_SECRET = "grafana-secret-77d1"
SENTRY_SECRET = "sentry-client-secret-0c4e"
PD_SECRET = "pd-signing-secret-91ab"
SECRETS = (TOKEN, PASSWORD, SECRET, GRAFANA_SECRET, SENTRY_SECRET, PD_SECRET)
BODY = b'{"title": "Disk full on db-1", "dedup_key": "db-1/disk"}'
GRAFANA = (FIXTURES / "webhooks/grafana-alerting/grafana-docs-webhook-grouped-firing.json")
SENTRY = FIXTURES / "webhooks/sentry/sentry-docs-event-alert-triggered.json"
PD = FIXTURES / "webhooks/pagerduty-webhook/zulip-v3-incident-triggered.json"

INTEGRATIONS: dict[str, Any] = {
    "tok": {"type": "generic", "token": TOKEN},
    "basic": {"type": "generic", "username": "grafana", "password": PASSWORD},
    "github_style": {"type": "generic", "hmac": {
        "secret": SECRET, "header": "X-Hub-Signature-256", "prefix": "sha256="}},
    "stamped": {"type": "generic", "hmac": {
        "secret": SECRET, "header": "X-Signature", "algorithm": "sha512", "encoding": "base64",
        "signed": "{timestamp}.{body}", "timestamp_header": "X-Timestamp",
        "replay_window": "5m"}},
    "token_and_signature": {"type": "generic", "token": TOKEN, "hmac": {
        "secret": SECRET, "header": "X-Signature", "algorithm": "sha1"}},
    "grafana": {"type": "grafana", "hmac": {
        "preset": "grafana", "secret": GRAFANA_SECRET,
        "timestamp_header": "X-Grafana-Alerting-Timestamp"}},
    "grafana_plain": {"type": "grafana", "hmac": {"preset": "grafana",
                                                  "secret": GRAFANA_SECRET}},
    "sentry": {"type": "sentry", "hmac": {"preset": "sentry", "secret": SENTRY_SECRET}},
    "pagerduty_webhook": {"type": "pagerduty_webhook",
                          "hmac": {"preset": "pagerduty", "secret": PD_SECRET}},
}


def mac(secret: str, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    config = await configured(tmp_path, None, INTEGRATIONS)
    async with running_daemon(config) as running:
        yield running


async def status_of(daemon: Daemon, name: str, body: bytes, headers: dict[str, str],
                    query: str = "") -> tuple[int, str]:
    status, answer, response_headers = await post(
        daemon, f"/api/v1/webhooks/{name}{query}", body, headers)
    error = "" if status == 202 else answer["error"]
    if status == 401:
        assert "WWW-Authenticate" in response_headers
    return status, error


async def test_token_as_bearer_or_query(daemon: Daemon) -> None:
    assert (await status_of(daemon, "tok", BODY, {"Authorization": f"Bearer {TOKEN}"}))[0] == 202
    assert (await status_of(daemon, "tok", BODY, {}, f"?token={TOKEN}"))[0] == 202
    assert await status_of(daemon, "tok", BODY, {}) == (401, "authentication failed: "
                                                           "missing token")
    assert await status_of(daemon, "tok", BODY, {"Authorization": "Bearer tok-3f9a1c77e3"}) \
        == (401, "authentication failed: wrong token")
    assert await count(daemon, Intake) == 2


async def test_basic_credentials(daemon: Daemon) -> None:
    def basic(user: str, password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode())
                .decode()}

    assert (await status_of(daemon, "basic", BODY, basic("grafana", PASSWORD)))[0] == 202
    assert await status_of(daemon, "basic", BODY, basic("grafana", "nope")) == (
        401, "authentication failed: wrong basic credentials")
    assert await status_of(daemon, "basic", BODY, basic("someone", PASSWORD)) == (
        401, "authentication failed: wrong basic credentials")
    assert await status_of(daemon, "basic", BODY, {}) == (
        401, "authentication failed: missing basic credentials")
    assert await status_of(daemon, "basic", BODY, {"Authorization": "Basic !!!"}) == (
        401, "authentication failed: missing basic credentials")
    _, _, headers = await post(daemon, "/api/v1/webhooks/basic", BODY)
    assert headers["WWW-Authenticate"] == 'Basic realm="incidentd"'
    assert await count(daemon, Intake) == 1


async def test_hmac_with_prefix(daemon: Daemon) -> None:
    good = "sha256=" + mac(SECRET, BODY).hex()
    header = "X-Hub-Signature-256"
    assert (await status_of(daemon, "github_style", BODY, {header: good}))[0] == 202
    assert (await status_of(daemon, "github_style", BODY, {header: good.upper()
                                                           .replace("SHA256=", "sha256=")}))[0] \
        == 202  # hex digits in either case
    tampered = BODY.replace(b"db-1", b"db-2")
    assert await status_of(daemon, "github_style", tampered, {header: good}) == (
        401, "authentication failed: signature does not match")
    assert await status_of(daemon, "github_style", BODY, {header: mac(SECRET, BODY).hex()}) == (
        401, "authentication failed: malformed signature")  # the prefix is missing
    assert await status_of(daemon, "github_style", BODY, {header: "sha256=zz"}) == (
        401, "authentication failed: malformed signature")
    assert await status_of(daemon, "github_style", BODY, {}) == (
        401, "authentication failed: missing signature header X-Hub-Signature-256")
    wrong_secret = "sha256=" + mac("guess", BODY).hex()
    assert (await status_of(daemon, "github_style", BODY, {header: wrong_secret}))[0] == 401
    assert await count(daemon, Intake) == 2


async def test_timestamped_signature_refuses_stale_and_replayed(daemon: Daemon) -> None:
    def signed(at: int, body: bytes = BODY) -> dict[str, str]:
        digest = mac(SECRET, f"{at}.".encode() + body, "sha512")
        return {"X-Timestamp": str(at), "X-Signature": base64.b64encode(digest).decode()}

    now = int(daemon.clock.now().timestamp())
    first = signed(now)
    assert (await status_of(daemon, "stamped", BODY, first))[0] == 202
    assert await status_of(daemon, "stamped", BODY, first) == (
        401, "authentication failed: replayed signature")
    assert (await status_of(daemon, "stamped", BODY, signed(now + 1)))[0] == 202
    assert await status_of(daemon, "stamped", BODY, signed(now - 301)) == (
        401, "authentication failed: signature timestamp is outside the replay window")
    assert await status_of(daemon, "stamped", BODY, signed(now + 301)) == (
        401, "authentication failed: signature timestamp is outside the replay window")
    moved = {**signed(now + 2), "X-Timestamp": str(now + 3)}  # the time is signed too
    assert await status_of(daemon, "stamped", BODY, moved) == (
        401, "authentication failed: signature does not match")
    assert await status_of(daemon, "stamped", BODY, {"X-Signature": first["X-Signature"]}) == (
        401, "authentication failed: missing timestamp header X-Timestamp")
    assert await status_of(daemon, "stamped", BODY, {**first, "X-Timestamp": "yesterday"}) == (
        401, "authentication failed: timestamp header X-Timestamp is not Unix seconds")
    # Past the window the signature is refused as stale, not remembered forever.
    daemon.clock.advance(timedelta(minutes=6))
    assert (await status_of(daemon, "stamped", BODY, first))[1].endswith("replay window")
    assert await count(daemon, Intake) == 2


async def test_a_retry_after_a_store_failure_is_not_a_replay(daemon: Daemon) -> None:
    at = int(daemon.clock.now().timestamp())
    headers = {"X-Timestamp": str(at), "X-Signature": base64.b64encode(
        mac(SECRET, f"{at}.".encode() + BODY, "sha512")).decode()}
    await break_intake_table(daemon)
    assert (await status_of(daemon, "stamped", BODY, headers))[0] == 503
    await restore_intake_table(daemon)
    assert (await status_of(daemon, "stamped", BODY, headers))[0] == 202
    assert (await status_of(daemon, "stamped", BODY, headers))[0] == 401


async def test_every_configured_method_must_pass(daemon: Daemon) -> None:
    signature = mac(SECRET, BODY, "sha1").hex()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert (await status_of(daemon, "token_and_signature", BODY,
                            {**bearer, "X-Signature": signature}))[0] == 202
    assert (await status_of(daemon, "token_and_signature", BODY, bearer))[1].endswith(
        "missing signature header X-Signature")
    assert (await status_of(daemon, "token_and_signature", BODY,
                            {"X-Signature": signature}))[1].endswith("missing token")


async def test_grafana_preset_signs_timestamp_colon_body(daemon: Daemon) -> None:
    # Grafana: hex HMAC-SHA256 of "<unix seconds>:<body>" when a timestamp header is set.
    body = GRAFANA.read_bytes()
    at = str(int(daemon.clock.now().timestamp()))
    good = {"X-Grafana-Alerting-Timestamp": at,
            "X-Grafana-Alerting-Signature": mac(GRAFANA_SECRET, f"{at}:".encode() + body).hex()}
    assert (await status_of(daemon, "grafana", body, good))[0] == 202
    assert (await status_of(daemon, "grafana", body, good))[1].endswith("replayed signature")
    dotted = {**good, "X-Grafana-Alerting-Signature":
              mac(GRAFANA_SECRET, f"{at}.".encode() + body).hex()}
    assert (await status_of(daemon, "grafana", body, dotted))[0] == 401
    # Without a timestamp header Grafana signs the body alone.
    plain = {"X-Grafana-Alerting-Signature": mac(GRAFANA_SECRET, body).hex()}
    assert (await status_of(daemon, "grafana_plain", body, plain))[0] == 202
    assert (await status_of(daemon, "grafana", body, plain))[1].endswith(
        "missing timestamp header X-Grafana-Alerting-Timestamp")


async def test_sentry_preset_signs_the_body(daemon: Daemon) -> None:
    body = SENTRY.read_bytes()
    good = {"Sentry-Hook-Signature": mac(SENTRY_SECRET, body).hex(),
            "Sentry-Hook-Resource": "event_alert"}
    assert (await status_of(daemon, "sentry", body, good))[0] == 202
    bad = {"Sentry-Hook-Signature": mac(GRAFANA_SECRET, body).hex()}
    assert (await status_of(daemon, "sentry", body, bad))[1].endswith("does not match")


async def test_pagerduty_preset_accepts_any_of_several_v1_signatures(daemon: Daemon) -> None:
    body = PD.read_bytes()
    right = "v1=" + mac(PD_SECRET, body).hex()
    old = "v1=" + mac("rotated-away", body).hex()
    assert (await status_of(daemon, "pagerduty_webhook", body,
                            {"X-PagerDuty-Signature": f"{old},{right}"}))[0] == 202
    assert (await status_of(daemon, "pagerduty_webhook", body,
                            {"X-PagerDuty-Signature": old}))[1].endswith("does not match")
    assert (await status_of(daemon, "pagerduty_webhook", body, {
        "X-PagerDuty-Signature": right.replace("v1=", "v0=")}))[1].endswith(
        "malformed signature")


async def test_no_secret_reaches_answers_or_logs(daemon: Daemon,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answers = []
    for name, headers, query in [
        ("tok", {"Authorization": "Bearer wrong"}, ""),
        ("tok", {}, "?token=wrong"),
        ("basic", {"Authorization": "Basic " + base64.b64encode(b"grafana:x").decode()}, ""),
        ("github_style", {"X-Hub-Signature-256": "sha256=" + mac("x", BODY).hex()}, ""),
        ("sentry", {"Sentry-Hook-Signature": "00"}, ""),
        ("tok", {"Authorization": f"Bearer {TOKEN}"}, ""),
        ("tok", {}, f"?token={TOKEN}"),
    ]:
        answers.append(str(await post(daemon, f"/api/v1/webhooks/{name}{query}", BODY, headers)))
    expected_digests = [mac(SECRET, BODY).hex(), mac(SENTRY_SECRET, BODY).hex()]
    text = caplog.text + "".join(answers)
    assert "webhook auth failed" in caplog.text
    for secret in (*SECRETS, *expected_digests):
        assert secret not in text
